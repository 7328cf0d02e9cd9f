/**
 * Connectivity-matrix patterns (CATALOG.md "Connectivity matrix and what each pattern means"):
 * which node pairs fail cross-node, whether only pairs involving one node fail, same-node
 * failures, large-vs-small probes, ClusterIP and DNS failures per source node.
 */
import type { ConnectivityMatrix, ConnectivityResult } from './types.js';

/** Ordered node pair key. */
export const pairKey = (a: string, b: string) => `${a}\u2192${b}`;

/** A pattern digest the symptom rules and the ranking read. */
export interface MatrixPatterns {
  total: number;
  failed: number;
  /** pod-pod (and small/large when no plain pod-pod exists) between different nodes. */
  crossNode: { pairsFailed: [string, string][]; pairsOk: [string, string][]; results: ConnectivityResult[] };
  /** Nodes where a same-node pod-pod probe failed / passed. */
  sameNode: { failedNodes: string[]; okNodes: string[]; results: ConnectivityResult[] };
  /** Node pairs where the large DF probe failed while the small one passed. */
  largeOnly: { pairs: [string, string][]; results: ConnectivityResult[] };
  /** ClusterIP probes failing, by source node, while pod→pod works from that node. */
  clusterIp: { failedFrom: string[]; okFrom: string[]; results: ConnectivityResult[] };
  dns: { internalFailedFrom: string[]; externalFailedFrom: string[]; internalOk: number; externalOk: number; results: ConnectivityResult[] };
  podNode: { failedFrom: string[]; results: ConnectivityResult[] };
  /** Nodes present in every failing cross-node pair (the "one node" pattern), when any fail. */
  commonNodes: string[];
  /** All nodes seen in the matrix. */
  nodes: string[];
}

const uniq = <T>(xs: T[]) => [...new Set(xs)];
const sorted = (xs: string[]) => uniq(xs).sort();

function pairsOf(rs: ConnectivityResult[]): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const r of rs) if (r.toNode) seen.set(pairKey(r.fromNode, r.toNode), [r.fromNode, r.toNode]);
  return [...seen.values()].sort((a, b) => pairKey(...a).localeCompare(pairKey(...b)));
}

/** Nodes that occur in every pair. */
export function nodesInEveryPair(pairs: [string, string][]): string[] {
  if (pairs.length === 0) return [];
  let common = new Set(pairs[0]);
  for (const [a, b] of pairs.slice(1)) common = new Set([...common].filter((n) => n === a || n === b));
  return [...common].sort();
}

const isSame = (r: ConnectivityResult) => r.sameNode ?? (r.toNode !== undefined && r.toNode === r.fromNode);

export function matrixPatterns(m: ConnectivityMatrix): MatrixPatterns {
  const rs = m.results;
  const podPod = rs.filter((r) => r.test === 'pod-pod');
  // When the probe only ran the small/large pair, the small probe stands for plain reachability.
  const reach = podPod.length > 0 ? podPod : rs.filter((r) => r.test === 'pod-pod-small');
  const cross = reach.filter((r) => r.toNode && !isSame(r));
  const same = reach.filter((r) => isSame(r));
  const crossFailed = cross.filter((r) => !r.ok);
  const pairsFailed = pairsOf(crossFailed);
  const failedKeys = new Set(pairsFailed.map((p) => pairKey(...p)));
  const pairsOk = pairsOf(cross.filter((r) => r.ok)).filter((p) => !failedKeys.has(pairKey(...p)));

  const smallOk = new Set(rs.filter((r) => r.test === 'pod-pod-small' && r.ok).map((r) => `${r.from}>${r.to}`));
  const largeFailed = rs.filter((r) => r.test === 'pod-pod-large' && !r.ok && smallOk.has(`${r.from}>${r.to}`));

  const reachOkFrom = new Set(reach.filter((r) => r.ok).map((r) => r.fromNode));
  const cip = rs.filter((r) => r.test === 'pod-clusterip');
  const cipFailed = cip.filter((r) => !r.ok);
  const dns = rs.filter((r) => r.test.startsWith('dns-'));
  const internal = dns.filter((r) => r.test !== 'dns-external');
  const external = dns.filter((r) => r.test === 'dns-external');
  const podNode = rs.filter((r) => r.test === 'pod-node');

  const nodes = sorted([...rs.map((r) => r.fromNode), ...rs.flatMap((r) => (r.toNode ? [r.toNode] : [])), ...m.pods.map((p) => p.node)].filter(Boolean));
  return {
    total: rs.length,
    failed: rs.filter((r) => !r.ok).length,
    crossNode: { pairsFailed, pairsOk, results: crossFailed },
    sameNode: {
      failedNodes: sorted(same.filter((r) => !r.ok).map((r) => r.fromNode)),
      okNodes: sorted(same.filter((r) => r.ok).map((r) => r.fromNode)),
      results: same.filter((r) => !r.ok),
    },
    largeOnly: { pairs: pairsOf(largeFailed), results: largeFailed },
    clusterIp: {
      failedFrom: sorted(cipFailed.filter((r) => reachOkFrom.has(r.fromNode) || reach.length === 0).map((r) => r.fromNode)),
      okFrom: sorted(cip.filter((r) => r.ok).map((r) => r.fromNode)),
      results: cipFailed,
    },
    dns: {
      internalFailedFrom: sorted(internal.filter((r) => !r.ok).map((r) => r.fromNode)),
      // External-only failures: nodes whose cluster lookups fail too are a different pattern.
      externalFailedFrom: sorted(external.filter((r) => !r.ok && !internal.some((i) => i.fromNode === r.fromNode && !i.ok)).map((r) => r.fromNode)),
      internalOk: internal.filter((r) => r.ok).length,
      externalOk: external.filter((r) => r.ok).length,
      results: dns.filter((r) => !r.ok),
    },
    podNode: { failedFrom: sorted(podNode.filter((r) => !r.ok).map((r) => r.fromNode)), results: podNode.filter((r) => !r.ok) },
    commonNodes: nodesInEveryPair(pairsFailed),
    nodes,
  };
}
