/**
 * Catalog #23: Calico encapsulation unsuited to the underlay. IPPool `Never`/`Never` (no
 * tunnel, no BGP → no remote pod routes) or `CrossSubnet` while all nodes share a subnet (pod
 * traffic goes straight out eth0 with pod source IPs, which a cloud's source/destination check
 * drops). Confirmed by the nodes' routes to remote pod blocks and cross-node failures.
 */
import { cite, type AnalysisContext } from '../context.js';
import { parseIPPools, type CalicoIPPool } from '../parse/cni-config.js';
import { excerptOf, parseIpRoutes } from '../parse/ip-json.js';
import { cidrText, parseCidr } from '../parse/ipv4.js';
import { matrixPatterns } from '../matrix.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { finding, type Rule, type RuleOutput } from './rule.js';

const TUNNELS = new Set(['vxlan.calico', 'tunl0']);

/** How each node reaches the other nodes' pod blocks: via a tunnel, the uplink, or not at all. */
function remoteRoutes(ctx: AnalysisContext): { direct: EvidenceRef[]; absent: string[]; tunnel: number; notChecked: NotChecked[] } {
  const res = { direct: [] as EvidenceRef[], absent: [] as string[], tunnel: 0, notChecked: [] as NotChecked[] };
  const nodes = ctx.k8sNodes();
  for (const target of ctx.evidence.nodes) {
    const routes = ctx.parsed('routes', target, parseIpRoutes);
    if (!routes) {
      res.notChecked.push({ rule: 'calico-encapsulation', reason: `not checked on ${target} (routes): ${ctx.why('routes', target)}` });
      continue;
    }
    const self = ctx.nodeName(target);
    for (const peer of nodes) {
      const c = peer.name !== self && peer.podCIDR ? parseCidr(peer.podCIDR) : undefined;
      if (!c) continue;
      const r = routes.value.items.find((x) => {
        const d = parseCidr(x.dst);
        return d && cidrText(d) === cidrText(c);
      });
      if (!r) res.absent.push(`${self}→${peer.name} (${cidrText(c)})`);
      else if (r.dev && TUNNELS.has(r.dev)) res.tunnel++;
      else res.direct.push(cite(routes.out, 1, `${self}: ${excerptOf(r.raw)}`));
    }
  }
  return res;
}

/** True when every node address sits in one subnet (Calico's IPv4Address carries the prefix). */
function oneSubnet(ctx: AnalysisContext): boolean {
  const nets = new Set(ctx.k8sNodes().map((n) => (n.calicoAddress ? cidrText(parseCidr(n.calicoAddress)!) : n.internalIP ? cidrText(parseCidr(`${n.internalIP}/24`)!) : '?')));
  return nets.size === 1 && !nets.has('?');
}

function patch(pool: CalicoIPPool): string {
  return `kubectl patch ippools.crd.projectcalico.org ${pool.name} --type merge -p '{"spec":{"vxlanMode":"Always","ipipMode":"Never"}}'   # or: calicoctl patch ippool ${pool.name} -p '{"spec":{"vxlanMode":"Always"}}'`;
}

export const calicoEncapRule: Rule = {
  id: 'calico-encapsulation',
  catalog: [23],
  run(ctx): RuleOutput {
    if (ctx.cni() === 'flannel') return { findings: [], notChecked: [] };
    const pools = ctx.cluster('calico_ippools', parseIPPools);
    if (!pools) return { findings: [], notChecked: ctx.cni() === 'calico' ? [ctx.missingCluster('calico-encapsulation', 'calico_ippools')] : [] };
    const findings: Finding[] = [];
    const routes = remoteRoutes(ctx);
    const m = ctx.evidence.connectivity ? matrixPatterns(ctx.evidence.connectivity.matrix) : undefined;
    const crossFails = m ? m.crossNode.pairsFailed : [];
    const allNodes = ctx.k8sNodes().map((n) => n.name);
    for (const pool of pools.value.items.filter((p) => !p.disabled)) {
      const poolRef = cite(pools.out, pool.line, `${pool.name}: cidr ${pool.cidr ?? '?'}, vxlanMode ${pool.vxlanMode}, ipipMode ${pool.ipipMode}`);
      const roll = `kubectl -n ${ctx.cniNamespace()} rollout restart daemonset/calico-node`;
      if (pool.vxlanMode === 'Never' && pool.ipipMode === 'Never') {
        // Never/Never is fine with working BGP (routes via the uplink); it breaks when routes are absent.
        if (routes.absent.length === 0 && crossFails.length === 0) continue;
        findings.push(
          finding({
            id: 'calico-encapsulation-unsuited',
            catalog: 23,
            severity: 'critical',
            title: `Calico IPPool ${pool.name} has no encapsulation (vxlanMode/ipipMode Never) and nodes lack remote pod routes`,
            summary: `With ipipMode and vxlanMode Never, Calico relies on BGP to route pod blocks; ${routes.absent.length ? `the nodes have no route for ${routes.absent.slice(0, 4).join(', ')}${routes.absent.length > 4 ? ' …' : ''}` : 'routes are not usable'}, so cross-node pod traffic fails${crossFails.length ? ` (${crossFails.length} failing pairs)` : ''} while same-node works.`,
            nodes: allNodes,
            ...(crossFails.length ? { pairs: crossFails } : {}),
            evidence: [poolRef, ...routes.direct.slice(0, 2)],
            fix: [patch(pool), roll, 'validate with pods on different nodes (netdiag run --tags vxlan)'],
            rootCause: true,
            confidence: routes.absent.length && crossFails.length ? 'high' : 'medium',
          }),
        );
      } else if (pool.vxlanMode === 'CrossSubnet' || pool.ipipMode === 'CrossSubnet') {
        if (!oneSubnet(ctx) || (routes.direct.length === 0 && crossFails.length === 0)) continue;
        if (m && crossFails.length === 0) continue; // direct routing works on this underlay
        findings.push(
          finding({
            id: 'calico-encapsulation-unsuited',
            catalog: 23,
            severity: 'critical',
            title: `Calico IPPool ${pool.name} is CrossSubnet but all nodes share one subnet: pod traffic is routed unencapsulated`,
            summary: `All nodes are in one subnet, so CrossSubnet never encapsulates: routes to remote pods go straight out the uplink with pod source IPs, which the underlay (cloud source/destination check) drops. Same-node works, cross-node times out${crossFails.length ? ` (${crossFails.length} failing pairs)` : ''}.`,
            nodes: allNodes,
            ...(crossFails.length ? { pairs: crossFails } : {}),
            evidence: [poolRef, ...routes.direct.slice(0, 3)],
            fix: [
              `option 1 (simplest, 5–10% encapsulation overhead): ${patch(pool)}; then ${roll}`,
              'option 2: disable the cloud source/destination check on every node (AWS: aws ec2 modify-instance-attribute --instance-id <id> --no-source-dest-check)',
              'option 3: add VPC routes for each node\'s pod block to that node (AWS route tables hold at most 50 routes)',
            ],
            rootCause: true,
            confidence: crossFails.length ? 'high' : 'medium',
          }),
        );
      }
    }
    return { findings, notChecked: routes.notChecked };
  },
};

/** Helper for the report: every pool's modes, e.g. `default-ipv4-ippool: vxlan Always, ipip Never`. */
export function describePools(ctx: AnalysisContext): string[] {
  return (ctx.cluster('calico_ippools', parseIPPools)?.value.items ?? []).map((p) => `${p.name}: vxlan ${p.vxlanMode}, ipip ${p.ipipMode}`);
}

