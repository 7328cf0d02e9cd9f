/**
 * Catalog #8 (flannel VXLAN): for every remote node N, each node must hold
 *   route  N.podCIDR via N.podCIDR.0 dev flannel.1 onlink
 *   neigh  N.podCIDR.0 lladdr VtepMAC(N) dev flannel.1 (permanent)
 *   fdb    VtepMAC(N) dev flannel.1 dst public-ip(N)
 * and N's flannel.1 MAC must equal its `backend-data` annotation. A node missing entries is the
 * stale one (restart its flannel pod); a node whose MAC differs from its annotation is stale too.
 */
import { cite, type AnalysisContext } from '../context.js';
import { excerptOf, parseBridgeFdb, parseIpLinks, parseIpNeigh, parseIpRoutes } from '../parse/ip-json.js';
import { cidrText, networkAddress, parseCidr } from '../parse/ipv4.js';
import type { K8sNode } from '../parse/k8s.js';
import type { EvidenceRef, Finding, NotChecked } from '../types.js';
import { overlay, restartCniAgent } from './fixes.js';
import { finding, listNames, type Rule, type RuleOutput } from './rule.js';

interface Expected {
  peer: K8sNode;
  cidr: string;
  gw: string;
  mac?: string;
  dst?: string;
}

/** What flannel programs on every node for a peer. */
function expectedFor(ctx: AnalysisContext, peer: K8sNode): Expected | undefined {
  const c = peer.podCIDR ? parseCidr(peer.podCIDR) : undefined;
  if (!c) return undefined;
  const peerTarget = ctx.targetOf(peer.name);
  const linkMac = peerTarget ? ctx.parsed('links', peerTarget, parseIpLinks)?.value.items.find((l) => l.ifname === 'flannel.1')?.address : undefined;
  return { peer, cidr: cidrText(c), gw: networkAddress(c), mac: peer.vtepMac ?? linkMac?.toLowerCase(), dst: peer.publicIP ?? peer.internalIP };
}

export const vxlanEntriesRule: Rule = {
  id: 'vxlan-entries',
  catalog: [8],
  run(ctx): RuleOutput {
    const notChecked: NotChecked[] = [];
    if (ctx.cni() === 'calico') return { findings: [], notChecked: [{ rule: 'vxlan-entries', reason: 'not checked: per-peer route/neigh/FDB check is flannel-specific (Calico routing is covered by calico-encapsulation)' }] };
    const nodes = ctx.k8sNodes();
    if (!nodes.length) return { findings: [], notChecked: [ctx.missingCluster('vxlan-entries', 'nodes')] };
    const dev = overlay(ctx).device;
    const findings: Finding[] = [];
    for (const target of ctx.evidence.nodes) {
      const self = ctx.nodeName(target);
      const routes = ctx.parsed('routes', target, parseIpRoutes);
      const neigh = ctx.parsed('neigh', target, parseIpNeigh);
      const fdb = ctx.parsed('fdb', target, parseBridgeFdb);
      for (const [step, p] of [['routes', routes], ['neigh', neigh], ['fdb', fdb]] as const) {
        if (!p) notChecked.push({ rule: 'vxlan-entries', reason: `not checked on ${target} (${step}): ${ctx.why(step, target)}` });
      }
      const problems: string[] = [];
      const evidence: EvidenceRef[] = [];
      const absent = { routes: [] as string[], neigh: [] as string[], fdb: [] as string[] };
      const pairs: [string, string][] = [];
      for (const peer of nodes) {
        if (peer.name === self) continue;
        const exp = expectedFor(ctx, peer);
        if (!exp) continue;
        const before = problems.length;
        if (routes) {
          const r = routes.value.items.find((x) => {
            const c = parseCidr(x.dst);
            return c && cidrText(c) === exp.cidr;
          });
          if (!r) {
            problems.push(`no route to ${peer.name}'s ${exp.cidr}`);
            absent.routes.push(`${exp.cidr} via ${exp.gw} dev ${dev} onlink`);
          }
          else if (r.dev !== dev || r.gateway !== exp.gw) {
            problems.push(`route to ${exp.cidr} goes ${r.gateway ? `via ${r.gateway} ` : ''}dev ${r.dev}, expected via ${exp.gw} dev ${dev} onlink`);
            evidence.push(cite(routes.out, 1, excerptOf(r.raw)));
          }
        }
        if (neigh && exp.mac) {
          const n = neigh.value.items.find((x) => x.dst === exp.gw && x.dev === dev);
          if (!n) {
            problems.push(`no neighbour entry ${exp.gw} lladdr ${exp.mac} dev ${dev}`);
            absent.neigh.push(`${exp.gw} lladdr ${exp.mac}`);
          }
          else if (n.lladdr?.toLowerCase() !== exp.mac) {
            problems.push(`neighbour ${exp.gw} has lladdr ${n.lladdr}, ${peer.name}'s VtepMAC is ${exp.mac}`);
            evidence.push(cite(neigh.out, 1, excerptOf(n.raw)));
          }
        }
        if (fdb && exp.mac) {
          const f = fdb.value.items.find((x) => x.mac === exp.mac && x.dev === dev);
          if (!f) {
            problems.push(`no FDB entry ${exp.mac} dev ${dev} dst ${exp.dst}`);
            absent.fdb.push(`${exp.mac} dst ${exp.dst}`);
          }
          else if (exp.dst && f.dst !== exp.dst) {
            problems.push(`FDB entry for ${exp.mac} points to ${f.dst}, ${peer.name} is ${exp.dst}`);
            evidence.push(cite(fdb.out, 1, excerptOf(f.raw)));
          }
        }
        if (problems.length > before) pairs.push([self, peer.name]);
      }
      if (problems.length) {
        // Absence is the evidence: cite each file that lacks entries, with what it does hold.
        const held = {
          routes: routes?.value.items.filter((x) => x.dev === dev).map((x) => x.dst) ?? [],
          neigh: neigh?.value.items.filter((x) => x.dev === dev).map((x) => x.dst) ?? [],
          fdb: fdb?.value.items.filter((x) => x.dev === dev).map((x) => `${x.mac}→${x.dst}`) ?? [],
        };
        for (const [kind, p] of [['routes', routes], ['neigh', neigh], ['fdb', fdb]] as const) {
          if (p && absent[kind].length) evidence.push(cite(p.out, 1, `${dev} ${kind}: missing ${absent[kind].join(', ')}; present: ${held[kind].join(', ') || 'none'}`));
        }
        findings.push(
          finding({
            id: 'vxlan-entries-missing',
            catalog: 8,
            severity: 'critical',
            title: `${self} is missing VXLAN route/neighbour/FDB entries for ${listNames(pairs.map((p) => p[1]))}`,
            summary: `${problems.join('; ')}. Packets from ${self} toward those nodes are never encapsulated (or go to the wrong VTEP): cross-node traffic fails only for pairs involving ${self}.`,
            nodes: [self],
            pairs,
            evidence: evidence.slice(0, 6),
            fix: [restartCniAgent(ctx, self) + '   # flannel re-programs route, neighbour and FDB entries on start', `verify on ${self}: ip route show dev ${dev}; ip neigh show dev ${dev}; bridge fdb show dev ${dev}`],
            rootCause: true,
            remediable: true,
          }),
        );
      }
      // The node's own VTEP MAC must match what its annotation tells the others.
      const k8s = ctx.k8sNodeOf(target);
      const link = ctx.parsed('links', target, parseIpLinks);
      const mine = link?.value.items.find((l) => l.ifname === dev);
      if (k8s?.vtepMac && mine?.address && mine.address.toLowerCase() !== k8s.vtepMac) {
        const nodesOut = ctx.output('nodes');
        findings.push(
          finding({
            id: 'vtep-mac-stale',
            catalog: 8,
            severity: 'critical',
            title: `${self}'s ${dev} MAC differs from its flannel annotation`,
            summary: `${dev} on ${self} has MAC ${mine.address} but the node annotation advertises ${k8s.vtepMac}: every other node sends ${self}'s traffic to a MAC it no longer has.`,
            nodes: [self],
            evidence: [cite(link!.out, 1, excerptOf({ ifname: dev, address: mine.address })), ...(nodesOut ? [cite(nodesOut, k8s.line, `flannel.alpha.coreos.com/backend-data VtepMAC ${k8s.vtepMac}`)] : [])],
            fix: [restartCniAgent(ctx, self) + '   # re-publishes the VtepMAC'],
            rootCause: true,
            remediable: true,
          }),
        );
      }
    }
    return { findings, notChecked };
  },
};
