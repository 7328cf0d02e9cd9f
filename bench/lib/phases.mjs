/**
 * The benchmark phases other than the node sweep: startup, streaming (1 GiB) and the default
 * plan end to end. Each returns plain data for report.mjs.
 */
import { readFileSync, readdirSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measure, median } from './proc.mjs';
import { CLI, labUp, labDown } from './lab.mjs';
import { findRunDir } from './sweep.mjs';

const GiB = 1024 ** 3;
const plan = (name) => new URL(`../plans/${name}`, import.meta.url).pathname;

/** `node -e 0` vs `node dist/cli/index.js --version`, `runs` each, interleaved. */
export async function startup(runs) {
  const base = [];
  const cli = [];
  const loads = [];
  for (let i = 0; i < runs; i++) {
    const a = await measure('node', ['-e', '0']);
    const b = await measure('node', [CLI, '--version']);
    base.push(a.ms);
    cli.push(b.ms);
    loads.push(a.loadMax, b.loadMax);
  }
  return { runs, nodeMs: median(base), cliMs: median(cli), ratio: median(cli) / median(base), loadMax: Math.max(...loads), commands: ['node -e 0', `node ${CLI} --version`] };
}

async function streamOnce(kind, lab, log) {
  const out = mkdtempSync(path.join(os.tmpdir(), `ndbench-stream-${kind}-`));
  const inv = lab ? ['-i', lab.files.inventory] : [];
  const args = [CLI, 'run', ...inv, '-p', plan(`stream-${kind}.yaml`), '--no-bundle', '-o', out];
  const r = await measure('node', args, { timeoutMs: 900_000 });
  const runDir = findRunDir(out);
  let bytes = 0;
  let stepMs;
  if (runDir) {
    for (const f of readdirSync(runDir)) if (f.endsWith('.bin')) bytes += statSync(path.join(runDir, f)).size;
    const run = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8'));
    stepMs = run.steps?.[0]?.targets?.[0]?.durationMs;
  }
  rmSync(out, { recursive: true, force: true });
  const res = { kind, code: r.code, ms: r.ms, stepMs, bytes, peakRssMiB: r.peakRssMiB, loadMax: r.loadMax, mbps: bytes / 1e6 / ((stepMs ?? r.ms) / 1000), command: `node ${args.join(' ')}`, stderr: r.code ? r.stderr.slice(-800) : '' };
  log(`  stream ${kind}: ${(r.ms / 1000).toFixed(1)} s, ${(bytes / GiB).toFixed(2)} GiB, ${res.mbps.toFixed(0)} MB/s, peak RSS ${r.peakRssMiB.toFixed(0)} MiB, exit ${r.code}`);
  return res;
}

/** 1 GiB from a local step and from one lab node over SSH (a 1-node lab `benchstream`). */
export async function streaming(log) {
  const results = [await streamOnce('local', undefined, log)];
  const lab = await labUp('benchstream', 1);
  try {
    results.push(await streamOnce('ssh', lab, log));
  } finally {
    labDown('benchstream');
  }
  return results;
}

/** The default plan on a 3-node lab with the API server, as a user runs it (bundle included). */
export async function endToEnd(log) {
  const lab = await labUp('benche2e', 3, { nodesOnly: false, api: true });
  const out = mkdtempSync(path.join(os.tmpdir(), 'ndbench-e2e-'));
  try {
    const args = [CLI, 'run', '-i', lab.files.inventory, '--kubeconfig', lab.files.kubeconfig, '-o', out];
    const r = await measure('node', args, { timeoutMs: 900_000 });
    const runDir = findRunDir(out);
    let captureMs;
    let phasesMs = {};
    if (runDir) {
      const run = JSON.parse(readFileSync(path.join(runDir, 'run.json'), 'utf8'));
      const cap = run.steps.find((s) => s.kind === 'capture');
      captureMs = Math.max(...(cap?.targets ?? []).map((t) => t.durationMs ?? 0));
      const start = Date.parse(run.startedAt);
      let lastEnd = start;
      for (const s of run.steps) for (const t of s.targets ?? []) if (t.startedAt) lastEnd = Math.max(lastEnd, Date.parse(t.startedAt) + (t.durationMs ?? 0));
      phasesMs = { startup: start - r.startedAtMs, collect: lastEnd - start, after: r.endedAtMs - lastEnd };
      phasesMs.slowSteps = run.steps
        .map((s) => ({ id: s.id, ms: Math.max(0, ...(s.targets ?? []).map((t) => t.durationMs ?? 0)) }))
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 6);
    }
    log(`  e2e: ${(r.ms / 1000).toFixed(1)} s, capture ${(captureMs / 1000).toFixed(1)} s, exit ${r.code}`);
    return { code: r.code, ms: r.ms, captureMs, peakRssMiB: r.peakRssMiB, loadMax: r.loadMax, phasesMs, command: `node ${args.join(' ')}`, stderr: r.code > 1 ? r.stderr.slice(-800) : '' };
  } finally {
    rmSync(out, { recursive: true, force: true });
    labDown('benche2e');
  }
}
