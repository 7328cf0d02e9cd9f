#!/usr/bin/env node
/**
 * A/B check of a performance change before it lands: the node sweep with the repo's dist/ (A)
 * against another build (B), interleaved with raw ssh on the same lab. Not part of `npm run bench`.
 *
 *   node bench/ab.mjs --dist-b /tmp/exp/dist [--env-b NAME=VALUE] [--forks-b 160] [--nodes 20] [--runs 3]
 *
 * The B build needs node_modules, templates and playbooks next to its dist/ (symlinks will do).
 */
import { spawnSync } from 'node:child_process';
import { labUp, labDown } from './lib/lab.mjs';
import { runRawSsh } from './lib/sweep.mjs';
import { median, load1 } from './lib/proc.mjs';

const argv = process.argv.slice(2);
const opt = (n, d) => (argv.includes(n) ? argv[argv.indexOf(n) + 1] : d);
const nodes = Number(opt('--nodes', '20'));
const runs = Number(opt('--runs', '3'));
const distB = opt('--dist-b');
const envB = opt('--env-b');
const forksB = Number(opt('--forks-b', String(nodes)));
if (!distB) throw new Error('--dist-b DIR is required');

// sweep.mjs resolves the CLI from NETDIAG_DIST at import time, so B runs in a child process.
function netdiagIn(dist, env, forks, lab) {
  const code = `const { runNetdiag } = await import(${JSON.stringify(new URL('./lib/sweep.mjs', import.meta.url).pathname)});
    const r = await runNetdiag(${JSON.stringify(lab)}, ${forks});
    console.log(JSON.stringify({ ms: r.ms, code: r.code, collectMs: r.collectMs, rss: r.peakRssMiB, files: r.files }));`;
  const extra = env ? Object.fromEntries([env.split('=')]) : {};
  const out = spawnSync('node', ['--input-type=module', '-e', code], { env: { ...process.env, ...(dist ? { NETDIAG_DIST: dist } : {}), ...extra }, encoding: 'utf8' });
  return JSON.parse(out.stdout.trim().split('\n').pop());
}

const name = `benchab${nodes}`;
const lab = await labUp(name, nodes);
try {
  const all = { raw: [], a: [], b: [] };
  for (let i = 0; i < runs; i++) {
    const raw = await runRawSsh(lab, nodes);
    const a = netdiagIn(undefined, undefined, nodes, lab);
    const b = netdiagIn(distB, envB, forksB, lab);
    all.raw.push(raw.ms);
    all.a.push(a.ms);
    all.b.push(b.ms);
    console.error(`run ${i + 1}: raw ${(raw.ms / 1000).toFixed(1)} s, A ${(a.ms / 1000).toFixed(1)} s (collect ${(a.collectMs / 1000).toFixed(1)}, ${a.files} files, exit ${a.code}), B ${(b.ms / 1000).toFixed(1)} s (collect ${(b.collectMs / 1000).toFixed(1)}, ${b.files} files, exit ${b.code}); load ${load1().toFixed(1)}`);
  }
  const m = { raw: median(all.raw), a: median(all.a), b: median(all.b) };
  console.log(JSON.stringify({ nodes, runs, medians: m, aOverRaw: m.a / m.raw, bOverRaw: m.b / m.raw, all }));
} finally {
  labDown(name);
}
