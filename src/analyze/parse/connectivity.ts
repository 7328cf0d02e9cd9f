/**
 * `connectivity-matrix.json` (the probe step's output) → ConnectivityMatrix, validated
 * leniently: malformed results are dropped and counted instead of failing the analysis.
 */
import type { ConnectivityMatrix, ConnectivityResult, ConnectivityTest } from '../types.js';

const TESTS = new Set<ConnectivityTest>(['pod-pod', 'pod-pod-large', 'pod-pod-small', 'pod-clusterip', 'pod-node', 'dns-internal', 'dns-fqdn', 'dns-external']);

export function parseConnectivityMatrix(text: string): { matrix?: ConnectivityMatrix; dropped: number; error?: string } {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { dropped: 0, error: `connectivity matrix is not JSON: ${(e as Error).message}` };
  }
  if (!doc || !Array.isArray(doc.results)) return { dropped: 0, error: 'connectivity matrix has no results[]' };
  const results: ConnectivityResult[] = [];
  let dropped = 0;
  for (const r of doc.results) {
    if (!r || !TESTS.has(r.test) || typeof r.from !== 'string' || typeof r.ok !== 'boolean' || typeof r.fromNode !== 'string') {
      dropped++;
      continue;
    }
    results.push({
      test: r.test,
      from: r.from,
      fromNode: r.fromNode,
      to: String(r.to ?? ''),
      ...(typeof r.toNode === 'string' ? { toNode: r.toNode } : {}),
      ...(typeof r.sameNode === 'boolean' ? { sameNode: r.sameNode } : r.toNode ? { sameNode: r.toNode === r.fromNode } : {}),
      ok: r.ok,
      ...(typeof r.latencyMs === 'number' ? { latencyMs: r.latencyMs } : {}),
      ...(typeof r.error === 'string' ? { error: r.error } : {}),
    });
  }
  const pods = Array.isArray(doc.pods)
    ? doc.pods.filter((p: any) => p && typeof p.name === 'string').map((p: any) => ({ name: p.name, node: String(p.node ?? ''), ip: String(p.ip ?? '') }))
    : [];
  return { matrix: { pods, results }, dropped };
}
