/**
 * Re-derivations that several actors need after the cluster's state changed: kube-proxy's
 * rules follow Service endpoints (a crash-looping CoreDNS drops out of kube-dns) and exist only
 * on nodes whose kube-proxy is healthy.
 */
import type { LabState } from './model.js';
import { podHealthy } from './cluster.js';
import { installKubeProxyRules, removeKubeProxyRules } from './kube-proxy.js';
import { parallel } from './sh.js';

/** Programs (healthy kube-proxy) or removes (crashed kube-proxy) the service rules on every node. */
export async function resyncKubeProxy(state: LabState): Promise<void> {
  if (state.nodesOnly) return;
  await parallel(state.nodes, 8, async (node) => {
    const proxy = state.pods.find((p) => p.node === node.name && p.labels['k8s-app'] === 'kube-proxy');
    if (proxy && podHealthy(proxy)) await installKubeProxyRules(state, node);
    else await removeKubeProxyRules(node);
  });
}
