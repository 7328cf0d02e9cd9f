/**
 * Catalog #5: MTU mismatch. Device evidence: the tunnel's MTU exceeds its uplink's MTU minus
 * the VXLAN overhead (50 bytes IPv4), or cni0 (pod side) is larger than the tunnel. Matrix
 * evidence: large DF probes fail while small ones pass.
 */
import { cite, type AnalysisContext } from '../context.js';
import { excerptOf, parseIpAddrs, parseIpLinks, type IpLink } from '../parse/ip-json.js';
import { matrixPatterns, nodesInEveryPair } from '../matrix.js';
import type { Finding } from '../types.js';
import { overlay, restartCniAgent } from './fixes.js';
import { finding, listNames, listPairs, type Rule, type RuleOutput } from './rule.js';

/** VXLAN over IPv4 adds 50 bytes (outer IP 20 + UDP 8 + VXLAN 8 + inner Ethernet 14). */
export const VXLAN_OVERHEAD = 50;

/** The underlay device of a node: the tunnel's `dev`, else the one holding InternalIP, else eth0. */
export function uplinkOf(ctx: AnalysisContext, target: string, links: IpLink[], tunnel?: IpLink): IpLink | undefined {
  if (tunnel?.vxlan?.dev) return links.find((l) => l.ifname === tunnel.vxlan!.dev);
  const ip = ctx.k8sNodeOf(target)?.internalIP ?? tunnel?.vxlan?.local;
  if (ip) {
    const addrs = ctx.parsed('addrs', target, parseIpAddrs)?.value.items ?? [];
    const holder = addrs.find((a) => a.addresses.some((x) => x.local === ip));
    if (holder) return links.find((l) => l.ifname === holder.ifname);
  }
  return links.find((l) => l.ifname === 'eth0');
}

export const mtuRule: Rule = {
  id: 'mtu',
  catalog: [5],
  run(ctx): RuleOutput {
    const { present, notChecked } = ctx.perNode('mtu', 'links', parseIpLinks);
    const findings: Finding[] = [];
    const ov = overlay(ctx);
    const matrix = ctx.evidence.connectivity ? matrixPatterns(ctx.evidence.connectivity.matrix) : undefined;
    const largePairs = matrix?.largeOnly.pairs ?? [];
    const fixFor = (node: string, mtu: number) =>
      ctx.cni() === 'calico'
        ? [`kubectl patch felixconfiguration default --type merge -p '{"spec":{"vxlanMTU":${mtu}}}'`, 'then restart calico-node and recreate pods so they pick up the MTU']
        : [`set the flannel MTU to ${mtu} (flannel derives it from the --iface MTU − 50; fix the uplink MTU of ${node} or pin it in /run/flannel/subnet.env FLANNEL_MTU)`, restartCniAgent(ctx, node), 'recreate pods on that node so their eth0 gets the new MTU'];
    for (const { target, out, value } of present) {
      const tunnel = value.items.find((l) => l.ifname === ov.device) ?? value.items.find((l) => l.kind === 'vxlan');
      if (!tunnel || tunnel.mtu === undefined) continue;
      const node = ctx.nodeName(target);
      const uplink = uplinkOf(ctx, target, value.items, tunnel);
      const cni0 = value.items.find((l) => l.ifname === 'cni0');
      const problems: string[] = [];
      const evidence = [cite(out, 1, excerptOf({ ifname: tunnel.ifname, mtu: tunnel.mtu, vxlan: tunnel.vxlan }))];
      let targetMtu = tunnel.mtu;
      if (uplink?.mtu !== undefined && tunnel.mtu > uplink.mtu - VXLAN_OVERHEAD) {
        problems.push(`${tunnel.ifname} MTU ${tunnel.mtu} > ${uplink.ifname} MTU ${uplink.mtu} − ${VXLAN_OVERHEAD}`);
        evidence.push(cite(out, 1, excerptOf({ ifname: uplink.ifname, mtu: uplink.mtu })));
        targetMtu = uplink.mtu - VXLAN_OVERHEAD;
      }
      if (cni0?.mtu !== undefined && cni0.mtu > tunnel.mtu) {
        problems.push(`cni0 (pod side) MTU ${cni0.mtu} > ${tunnel.ifname} MTU ${tunnel.mtu}`);
        evidence.push(cite(out, 1, excerptOf({ ifname: 'cni0', mtu: cni0.mtu })));
      }
      if (!problems.length) continue;
      const pairs = largePairs.filter(([a, b]) => a === node || b === node);
      findings.push(
        finding({
          id: 'mtu-mismatch',
          catalog: 5,
          severity: 'high',
          title: `MTU mismatch on ${node}: ${problems[0]}`,
          summary: `${problems.join('; ')}. Encapsulated full-size packets do not fit the underlay: ping and handshakes work, large transfers hang${pairs.length ? ` (large probes fail for ${listPairs(pairs)})` : ''}.`,
          nodes: [node],
          ...(pairs.length ? { pairs } : {}),
          evidence,
          fix: fixFor(node, targetMtu),
          rootCause: true,
        }),
      );
    }
    // Matrix-only evidence: large probes fail, small pass, and no device data explains it.
    if (largePairs.length && findings.length === 0) {
      const common = nodesInEveryPair(largePairs);
      const nodes = common.length ? common : [...new Set(largePairs.flat())];
      findings.push(
        finding({
          id: 'mtu-mismatch',
          catalog: 5,
          severity: 'high',
          title: `Packets above the path MTU are lost (${listNames(nodes)})`,
          summary: `Large DF probes fail while small ones pass for ${listPairs(largePairs)}, but the collected interface MTUs do not show why: check the underlay path MTU between the nodes and the pods' eth0 MTU.`,
          nodes,
          pairs: largePairs,
          evidence: matrix!.largeOnly.results.slice(0, 4).map((r) => ({ file: ctx.evidence.connectivity!.file, excerpt: `${r.test} ${r.from}→${r.to}: ${r.error ?? 'failed'}` })),
          fix: fixFor(nodes[0] ?? '<node>', 1450),
          rootCause: true,
          confidence: 'medium',
        }),
      );
    }
    return { findings, notChecked };
  },
};
