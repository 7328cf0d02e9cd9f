/**
 * Process helpers for the benchmarks: run a command, time it, and sample its peak RSS.
 *
 * Peak RSS is the kernel's VmHWM ("high water mark") of the measured process, read from
 * /proc/<pid>/status every 20 ms; VmHWM only grows, so the last sample before exit is the peak
 * up to the last 20 ms. Only the process we spawn is sampled (for netdiag that is the node process:
 * we spawn `node` directly, never through a shell).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** 1-minute load average now. */
export const load1 = () => os.loadavg()[0];

/** Median of numbers (mean of the middle two for an even count). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function vmHwmKiB(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone (exited between samples)
  }
}

/**
 * Run `cmd args` (no shell unless the caller passes `sh -c`), return
 * `{ code, ms, peakRssMiB, loadBefore, loadAfter, loadMax (1-min load sampled every second), stdout, stderr, startedAtMs, endedAtMs }`.
 * stdout/stderr are kept (the commands measured here print little) unless `opts.discard`.
 */
export function measure(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const loadBefore = load1();
    const startedAtMs = Date.now();
    const t0 = performance.now();
    const child = spawn(cmd, args, {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', opts.discard ? 'ignore' : 'pipe', opts.discard ? 'ignore' : 'pipe'],
    });
    let peak = 0;
    let loadMax = loadBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, vmHwmKiB(child.pid))), 20);
    const loadSampler = setInterval(() => (loadMax = Math.max(loadMax, load1())), 1000);
    const out = [];
    const err = [];
    child.stdout?.on('data', (d) => out.push(d));
    child.stderr?.on('data', (d) => err.push(d));
    let timer;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs);
    // 'exit' fires before stdio closes; sample one last time while the zombie's /proc is readable.
    child.on('exit', () => (peak = Math.max(peak, vmHwmKiB(child.pid))));
    child.on('close', (code, signal) => {
      const ms = performance.now() - t0;
      clearInterval(sampler);
      clearInterval(loadSampler);
      clearTimeout(timer);
      resolve({
        loadMax: Math.max(loadMax, load1()),
        code: code ?? (signal ? 128 : -1),
        signal,
        ms,
        peakRssMiB: peak / 1024,
        loadBefore,
        loadAfter: load1(),
        startedAtMs,
        endedAtMs: Date.now(),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.on('error', (e) => {
      clearInterval(sampler);
      clearInterval(loadSampler);
      resolve({ code: -1, ms: performance.now() - t0, peakRssMiB: 0, loadBefore, loadAfter: load1(), stdout: '', stderr: String(e) });
    });
  });
}

/** Like `measure` but throws with the output when the exit code is not 0 (setup commands). */
export async function mustRun(cmd, args, opts = {}) {
  const r = await measure(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} → exit ${r.code}\n${r.stderr.slice(-2000)}${r.stdout.slice(-1000)}`);
  return r;
}
