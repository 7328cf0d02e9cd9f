/**
 * Summarise a V8 .cpuprofile (from `node --cpu-prof`): top functions by self time, and the
 * share of time per area (our dist/ code by folder, node_modules by package, node internals,
 * GC, idle), so RESULTS.md can say where the time goes.
 */
import { readFileSync } from 'node:fs';

function area(url) {
  if (!url) return '(native/V8)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm:${nm[1]}`;
  const d = /\/dist\/([^/]+)\//.exec(url);
  if (d) return `netdiag:${d[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return url.replace(/^file:\/\//, '');
}

/** `{ totalMs, top: [{fn, where, selfMs, pct}], areas: [{area, selfMs, pct}] }`. */
export function summariseCpuProfile(file, topN = 12) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const interval = (p.endTime - p.startTime) / Math.max(1, p.samples.length); // µs per sample
  const byFn = new Map();
  const byArea = new Map();
  let total = 0;
  for (const n of p.nodes) {
    const selfMs = (n.hitCount ?? 0) * interval / 1000;
    if (!selfMs) continue;
    total += selfMs;
    const cf = n.callFrame;
    const name = cf.functionName || '(anonymous)';
    const where = cf.url ? `${cf.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${cf.lineNumber + 1}` : '';
    const key = `${name} ${where}`;
    byFn.set(key, { fn: name, where, selfMs: (byFn.get(key)?.selfMs ?? 0) + selfMs });
    const a = ['(idle)', '(garbage collector)', '(program)'].includes(name) ? name : area(cf.url);
    byArea.set(a, (byArea.get(a) ?? 0) + selfMs);
  }
  const pct = (ms) => Math.round((1000 * ms) / total) / 10;
  return {
    totalMs: total,
    top: [...byFn.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, topN).map((f) => ({ ...f, pct: pct(f.selfMs) })),
    areas: [...byArea.entries()].map(([a, ms]) => ({ area: a, selfMs: ms, pct: pct(ms) })).sort((a, b) => b.selfMs - a.selfMs).slice(0, topN),
  };
}
