/**
 * Symptom findings read off the connectivity matrix and the VXLAN flow table. They are what
 * the user sees; root-cause rules explain them and the ranking folds them under their cause.
 */
import type { AnalysisContext } from '../context.js';
import { matrixPatterns, nodesInEveryPair } from '../matrix.js';
import type { ConnectivityResult, EvidenceRef, Finding, VxlanFlow } from '../types.js';
import { parseEndpointSlices, parsePods, parseServices } from '../parse/k8s.js';
import { finding, listNames, listPairs, type Rule, type RuleOutput } from './rule.js';

/** The ClusterIP of a probe target written as `<namespace>/<name> <ip>:<port>` (or `[<ipv6>]:<port>`). */
function serviceIpOf(to: string): string {
  const addr = to.trim().split(/\s+/).pop() ?? '';
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(addr);
  return bracketed ? bracketed[1] : addr.replace(/:\d+$/, '');
}

/**
 * Node pairs (client node → backend node) behind failing service/DNS probes: the backend
 * nodes come from the CoreDNS pods / the Service's EndpointSlices. A cause on the backend's
 * node (e.g. the CoreDNS node's VXLAN port blocked) then explains failures seen elsewhere.
 */
function backendPairs(ctx: AnalysisContext, results: ConnectivityResult[], kind: 'dns' | 'service'): [string, string][] | undefined {
  const nodesFor = (r: ConnectivityResult): string[] => {
    if (kind === 'dns') return (ctx.cluster('coredns_pods', parsePods)?.value.items ?? []).map((p) => p.nodeName ?? '').filter(Boolean);
    const ip = serviceIpOf(r.to);
    const svc = ctx.cluster('services', parseServices)?.value.items.find((x) => x.clusterIP === ip);
    const slices = ctx.cluster('endpointslices', parseEndpointSlices)?.value.items ?? [];
    return svc ? slices.filter((e) => e.namespace === svc.namespace && e.service === svc.name).flatMap((e) => e.endpoints.map((x) => x.nodeName ?? '')).filter(Boolean) : [];
  };
  const pairs = new Map<string, [string, string]>();
  // A backend on the client's own node never crosses the overlay, so it cannot tie the failure to a node pair.
  for (const r of results) for (const n of nodesFor(r)) if (n !== r.fromNode) pairs.set(`${r.fromNode}>${n}`, [r.fromNode, n]);
  return pairs.size ? [...pairs.values()].sort() : undefined;
}

/** Symptom ids (the ranking's `explains` table refers to these). */
export const SYMPTOM = {
  crossNode: 'cross-node-pod-failure',
  sameNode: 'same-node-pod-failure',
  largePackets: 'large-packet-failure',
  clusterIp: 'clusterip-failure',
  dnsInternal: 'dns-internal-failure',
  dnsExternal: 'dns-external-failure',
  podNode: 'pod-node-failure',
  vxlanLost: 'vxlan-packets-lost',
  vxlanNotSent: 'vxlan-not-sent',
} as const;

function refs(file: string, rs: ConnectivityResult[], max = 4): EvidenceRef[] {
  return rs.slice(0, max).map((r) => ({
    file,
    excerpt: `${r.test} ${r.from} (${r.fromNode}) → ${r.to}${r.toNode ? ` (${r.toNode})` : ''}: ${r.ok ? 'ok' : 'FAILED'}${r.error ? ` — ${r.error}` : ''}`,
  }));
}

const optionalPairs = (pairs: [string, string][] | undefined) => (pairs ? { pairs } : {});

function matrixFindings(ctx: AnalysisContext): Finding[] {
  const c = ctx.evidence.connectivity;
  if (!c) return [];
  const p = matrixPatterns(c.matrix);
  const out: Finding[] = [];
  const base = { catalog: 0, rootCause: false, fix: [] as string[] };
  if (p.crossNode.pairsFailed.length) {
    const all = p.crossNode.pairsOk.length === 0;
    const one = p.commonNodes.length === 1 ? p.commonNodes[0] : undefined;
    const pattern = all ? 'for every pair of nodes' : one ? `only for pairs involving ${one}` : `for ${listPairs(p.crossNode.pairsFailed)}`;
    out.push(
      finding({
        ...base,
        id: SYMPTOM.crossNode,
        severity: 'high',
        title: `Cross-node pod traffic fails ${pattern}`,
        summary: `Pod-to-pod probes between different nodes fail ${pattern}${p.sameNode.okNodes.length ? ' while same-node probes pass' : ''}. Failing: ${listPairs(p.crossNode.pairsFailed)}.`,
        nodes: one ? [one] : [...new Set(p.crossNode.pairsFailed.flat())],
        pairs: p.crossNode.pairsFailed,
        evidence: refs(c.file, p.crossNode.results),
      }),
    );
  }
  if (p.sameNode.failedNodes.length) {
    out.push(
      finding({
        ...base,
        id: SYMPTOM.sameNode,
        severity: 'high',
        title: `Pods on the same node cannot reach each other on ${listNames(p.sameNode.failedNodes)}`,
        summary: 'Same-node pod-to-pod probes fail: the local bridge, IPAM or policy on that node (catalog #10, #11, #21).',
        nodes: p.sameNode.failedNodes,
        evidence: refs(c.file, p.sameNode.results),
      }),
    );
  }
  if (p.largeOnly.pairs.length) {
    out.push(
      finding({
        ...base,
        id: SYMPTOM.largePackets,
        severity: 'medium',
        title: 'Large packets are lost while small ones pass',
        summary: `DF probes at the pod MTU fail while small probes pass for ${listPairs(p.largeOnly.pairs)}: an MTU problem (#5).`,
        nodes: nodesInEveryPair(p.largeOnly.pairs).length === 1 ? nodesInEveryPair(p.largeOnly.pairs) : [...new Set(p.largeOnly.pairs.flat())],
        pairs: p.largeOnly.pairs,
        evidence: refs(c.file, p.largeOnly.results),
      }),
    );
  }
  if (p.clusterIp.failedFrom.length) {
    const pairs = backendPairs(ctx, p.clusterIp.results, 'service');
    const backends = pairs ? ` The services' backends on other nodes run on ${listNames([...new Set(pairs.map(([, b]) => b))].sort())}: the path to them is suspect too.` : '';
    out.push(
      finding({
        ...base,
        id: SYMPTOM.clusterIp,
        severity: 'high',
        title: `ClusterIP services fail from pods on ${listNames(p.clusterIp.failedFrom)}`,
        summary: `Pod→ClusterIP probes fail while pod IPs answer: kube-proxy or service programming on those nodes (#15, #16).${backends}`,
        nodes: p.clusterIp.failedFrom,
        ...optionalPairs(pairs),
        evidence: refs(c.file, p.clusterIp.results),
      }),
    );
  }
  if (p.dns.internalFailedFrom.length) {
    out.push(
      finding({
        ...base,
        id: SYMPTOM.dnsInternal,
        severity: 'high',
        title: `Cluster DNS lookups fail from ${listNames(p.dns.internalFailedFrom)}`,
        summary: 'Lookups of cluster names (kubernetes.default / the FQDN) fail.',
        nodes: p.dns.internalFailedFrom,
        ...optionalPairs(backendPairs(ctx, p.dns.results.filter((r) => r.test !== 'dns-external'), 'dns')),
        evidence: refs(c.file, p.dns.results.filter((r) => r.test !== 'dns-external')),
      }),
    );
  }
  if (p.dns.externalFailedFrom.length && p.dns.internalOk > 0) {
    out.push(
      finding({
        ...base,
        id: SYMPTOM.dnsExternal,
        severity: 'medium',
        title: 'External names do not resolve while cluster names do',
        summary: 'Internal DNS works, external lookups fail: CoreDNS forwarding or upstream reachability (#18, #19).',
        nodes: p.dns.externalFailedFrom,
        evidence: refs(c.file, p.dns.results.filter((r) => r.test === 'dns-external')),
      }),
    );
  }
  if (p.podNode.failedFrom.length) {
    out.push(
      finding({
        ...base,
        id: SYMPTOM.podNode,
        severity: 'medium',
        title: `Pods on ${listNames(p.podNode.failedFrom)} cannot reach node addresses`,
        summary: 'Pod→node probes fail: a host INPUT firewall rejecting the pod CIDR (flannel#2055) or a broken datapath.',
        nodes: p.podNode.failedFrom,
        evidence: refs(c.file, p.podNode.results),
      }),
    );
  }
  return out;
}

function flowRefs(file: string, flows: VxlanFlow[]): EvidenceRef[] {
  return flows.slice(0, 6).map((f) => ({ file, excerpt: `${f.from}→${f.to}${f.port ? ` udp/${f.port}` : ''}: sent ${f.sent ?? '-'}, received ${f.received ?? '-'} (${f.verdict}) — ${f.explanation}` }));
}

function flowFindings(ctx: AnalysisContext): Finding[] {
  const f = ctx.evidence.flows;
  if (!f) return [];
  const out: Finding[] = [];
  const lost = f.table.rows.filter((x) => x.verdict === 'lost' || x.verdict === 'partial');
  // "Nothing left A toward B" only means something when traffic A→B was attempted and failed:
  // without a failing probe for the pair it may just be that no traffic was generated.
  const probedFailing = new Set((ctx.evidence.connectivity ? matrixPatterns(ctx.evidence.connectivity.matrix).crossNode.pairsFailed : []).map(([a, b]) => `${a}>${b}`));
  const notSent = f.table.rows.filter((x) => x.verdict === 'not-sent' && probedFailing.has(`${x.from}>${x.to}`));
  const pairs = (xs: VxlanFlow[]) => xs.map((x) => [x.from, x.to] as [string, string]);
  if (lost.length) {
    const receivers = [...new Set(lost.map((x) => x.to))];
    out.push(
      finding({
        id: SYMPTOM.vxlanLost,
        catalog: 0,
        severity: 'high',
        rootCause: false,
        fix: [],
        title: `VXLAN packets leave the sender but never arrive (${listPairs(pairs(lost))})`,
        summary: `The capture shows tunnel packets sent toward ${listNames(receivers)} that the receiver never saw: something on the path or the receiver's firewall drops them (#1, #23).`,
        nodes: receivers,
        pairs: pairs(lost),
        evidence: flowRefs(f.file, lost),
      }),
    );
  }
  if (notSent.length) {
    const senders = [...new Set(notSent.map((x) => x.from))];
    out.push(
      finding({
        id: SYMPTOM.vxlanNotSent,
        catalog: 0,
        severity: 'medium',
        rootCause: false,
        fix: [],
        title: `No VXLAN packets leave ${listNames(senders)} toward some peers`,
        summary: `The sender's capture has no tunnel packets for ${listPairs(pairs(notSent))}: its routes/FDB (#8), forwarding (#2, #3) or encapsulation not in use (#23).`,
        nodes: senders,
        pairs: pairs(notSent),
        evidence: flowRefs(f.file, notSent),
      }),
    );
  }
  return out;
}

export const matrixSymptomsRule: Rule = {
  id: 'connectivity-matrix',
  catalog: [],
  run(ctx): RuleOutput {
    const notChecked = [];
    if (!ctx.evidence.connectivity) notChecked.push({ rule: 'connectivity-matrix', reason: `not checked: ${ctx.why('connectivity')}` });
    if (!ctx.evidence.flows) notChecked.push({ rule: 'vxlan-flow-table', reason: `not checked: ${ctx.why('vxlan_capture')}` });
    return { findings: [...matrixFindings(ctx), ...flowFindings(ctx)], notChecked };
  },
};
