/**
 * Namespaces: the standard ones of a kubeadm cluster plus every namespace the lab's objects use.
 */
import { flannelNamespace } from './configmaps.js';
import { objectMeta, type KObject, type ViewContext } from './meta.js';

/** Names of all namespaces, sorted. */
export function namespaceNames(ctx: ViewContext): string[] {
  const s = ctx.state;
  const names = new Set(['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  if (s.cni !== 'calico') names.add(flannelNamespace(ctx));
  for (const list of [s.pods, s.services, s.workloads ?? [], s.events ?? []]) for (const o of list) names.add(o.namespace);
  return [...names].sort();
}

/** A Namespace object. */
export function namespaceObject(ctx: ViewContext, name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: objectMeta(ctx, 'Namespace', name, undefined, { labels: { 'kubernetes.io/metadata.name': name } }),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}
