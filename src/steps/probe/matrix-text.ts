/** The readable `connectivity-matrix.txt`: a pod × pod grid per test, then the other probes. */
import type { ConnectivityMatrix } from '../../analyze/types.js';

export function formatMatrix(m: ConnectivityMatrix): string {
  const lines: string[] = [];
  const names = m.pods.map((p) => p.name);
  const width = Math.max(8, ...names.map((n) => n.length));
  const failed = m.results.filter((r) => !r.ok).length;
  lines.push(`Connectivity matrix: ${m.results.length} probes, ${failed} failed`, '');
  lines.push('Pods:', ...m.pods.map((p) => `  ${p.name.padEnd(width)}  ${p.node.padEnd(10)}  ${p.ip}`), '');
  for (const test of ['pod-pod', 'pod-pod-small', 'pod-pod-large'] as const) {
    const rs = m.results.filter((r) => r.test === test);
    if (rs.length === 0) continue;
    lines.push(`${test} (row = from, column = to; ok / FAIL):`);
    lines.push(`  ${''.padEnd(width + 4)}  ${names.map((_, i) => `#${i + 1}`.padStart(5)).join('')}`);
    names.forEach((from, i) => {
      const cells = names.map((to) => {
        if (to === from) return '    -';
        const r = rs.find((x) => x.from === from && x.to === to);
        return (r ? (r.ok ? 'ok' : 'FAIL') : '?').padStart(5);
      });
      lines.push(`  ${`#${i + 1} ${from}`.padEnd(width + 4)}  ${cells.join('')}`);
    });
    lines.push('');
  }
  const other = m.results.filter((r) => !r.test.startsWith('pod-pod'));
  if (other.length) {
    lines.push('Other probes:');
    for (const r of other) lines.push(`  ${r.ok ? 'ok  ' : 'FAIL'}  ${r.test.padEnd(14)} ${r.from} -> ${r.to}${r.latencyMs !== undefined ? ` (${r.latencyMs} ms)` : ''}${r.error ? `  ${r.error}` : ''}`);
  }
  return lines.join('\n') + '\n';
}
