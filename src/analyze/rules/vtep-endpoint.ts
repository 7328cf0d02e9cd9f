/**
 * Catalog #7: wrong tunnel endpoint / interface. Two nodes advertising the same flannel
 * public-ip; a VXLAN device whose `local` address is not the node's InternalIP (flannel picked
 * the wrong interface) or whose underlay device does not hold that address.
 */
import { cite, type AnalysisContext } from '../context.js';
import { excerptOf, parseIpLinks } from '../parse/ip-json.js';
import type { Finding, NotChecked } from '../types.js';
import { overlay, restartCniAgent } from './fixes.js';
import { finding, listNames, type Rule, type RuleOutput } from './rule.js';

function fixes(ctx: AnalysisContext, node: string, ip?: string): string[] {
  return ctx.cni() === 'calico'
    ? [`set IP_AUTODETECTION_METHOD on calico-node (e.g. kubectl -n ${ctx.cniNamespace()} set env ds/calico-node IP_AUTODETECTION_METHOD=kubernetes-internal-ip)`, restartCniAgent(ctx, node)]
    : [`run flanneld with --iface=<uplink of ${node}>${ip ? ` (the interface holding ${ip})` : ''} or --public-ip, in the kube-flannel DaemonSet args`, `check kubelet --node-ip on ${node}`, restartCniAgent(ctx, node)];
}

export const vtepEndpointRule: Rule = {
  id: 'vtep-endpoint',
  catalog: [7],
  run(ctx): RuleOutput {
    const findings: Finding[] = [];
    const notChecked: NotChecked[] = [];
    const nodes = ctx.k8sNodes();
    const nodesOut = ctx.output('nodes');
    if (!nodes.length || !nodesOut) return { findings, notChecked: [ctx.missingCluster('vtep-endpoint', 'nodes')] };
    // Same public-ip on two nodes: both send/receive as one VTEP.
    const byIp = new Map<string, string[]>();
    for (const n of nodes) if (n.publicIP) byIp.set(n.publicIP, [...(byIp.get(n.publicIP) ?? []), n.name]);
    for (const [ip, names] of byIp) {
      if (names.length < 2) continue;
      findings.push(
        finding({
          id: 'vtep-endpoint-wrong',
          catalog: 7,
          severity: 'critical',
          title: `${listNames(names)} advertise the same tunnel endpoint ${ip}`,
          summary: `The flannel public-ip annotation is ${ip} on ${listNames(names)}: other nodes cannot tell them apart and send their tunnel traffic to one of them.`,
          nodes: names,
          evidence: names.map((n) => cite(nodesOut, nodes.find((x) => x.name === n)?.line, `${n}: flannel.alpha.coreos.com/public-ip: ${ip}`)),
          fix: names.flatMap((n) => fixes(ctx, n)),
          rootCause: true,
        }),
      );
    }
    const dev = overlay(ctx).device;
    const { present, notChecked: nc } = ctx.perNode('vtep-endpoint', 'links', parseIpLinks);
    notChecked.push(...nc);
    for (const { target, out, value } of present) {
      const k8s = ctx.k8sNodeOf(target);
      const tunnel = value.items.find((l) => l.ifname === dev);
      const expected = ctx.cni() === 'calico' ? k8s?.calicoAddress?.split('/')[0] ?? k8s?.internalIP : k8s?.publicIP ?? k8s?.internalIP;
      const local = tunnel?.vxlan?.local;
      if (!k8s || !tunnel || !local || !expected || local === expected) continue;
      findings.push(
        finding({
          id: 'vtep-endpoint-wrong',
          catalog: 7,
          severity: 'critical',
          title: `${k8s.name}'s ${dev} uses local address ${local}, not its node address ${expected}`,
          summary: `The VXLAN device on ${k8s.name} sources tunnel packets from ${local}${tunnel.vxlan?.dev ? ` on ${tunnel.vxlan.dev}` : ''} while the other nodes send to ${expected}: the CNI picked the wrong interface.`,
          nodes: [k8s.name],
          evidence: [cite(out, 1, excerptOf({ ifname: dev, vxlan: tunnel.vxlan })), cite(nodesOut, k8s.line, `${k8s.name}: InternalIP ${k8s.internalIP}${k8s.publicIP ? `, public-ip ${k8s.publicIP}` : ''}`)],
          fix: fixes(ctx, k8s.name, expected),
          rootCause: true,
        }),
      );
    }
    return { findings, notChecked };
  },
};
