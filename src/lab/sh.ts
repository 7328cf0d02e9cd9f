/**
 * The lab's only way to run system tools (ip, iptables-restore, sysctl, ssh-keygen …). Setup
 * commands failing is exceptional for the lab (it cannot build half a cluster), so `run` throws
 * with the command and its stderr; `tryRun` returns the outcome for cleanup paths.
 */
import { spawn } from 'node:child_process';

/** Result of a command that may fail. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

const ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' };

/**
 * Runs a command without a shell (arguments are never re-parsed), returning its outcome.
 * Plain child_process: the lab spawns hundreds of short commands and a heavier wrapper's
 * per-call cost dominated a 100-node start.
 */
export function tryRun(cmd: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: ENV, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ exitCode: 127, stdout: '', stderr: e.message }));
    child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() }));
    if (input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(input);
    }
  });
}

/** Runs a command and throws (with stderr) when it fails. */
export async function run(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await tryRun(cmd, args, input);
  if (r.exitCode !== 0) {
    const shown = [cmd, ...args].join(' ');
    throw new Error(`lab: \`${shown}\` failed (exit ${r.exitCode}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r.stdout;
}

/** Runs a command inside a network namespace (`ip netns exec`). */
export function nsRun(netns: string, cmd: string, args: string[], input?: string): Promise<string> {
  return run('ip', ['netns', 'exec', netns, cmd, ...args], input);
}

/** Like nsRun, returning the outcome instead of throwing. */
export function nsTryRun(netns: string, cmd: string, args: string[], input?: string): Promise<RunResult> {
  return tryRun('ip', ['netns', 'exec', netns, cmd, ...args], input);
}

/**
 * Runs many `ip` commands in one process (`ip -batch -`), optionally inside a namespace:
 * one fork instead of dozens is what makes a 100-node lab start in seconds.
 */
export async function ipBatch(lines: string[], netns?: string, opts: { force?: boolean } = {}): Promise<void> {
  if (lines.length === 0) return;
  const args = [...(netns ? ['-n', netns] : []), ...(opts.force ? ['-force'] : []), '-batch', '-'];
  await run('ip', args, lines.join('\n') + '\n');
}

/** Loads iptables rules into a namespace (`iptables-restore`, --noflush keeps other tables). */
export async function iptablesRestore(netns: string, rules: string, opts: { noflush?: boolean } = {}): Promise<void> {
  await nsRun(netns, 'iptables-restore', [...(opts.noflush ? ['--noflush'] : []), '-w', '5'], rules);
}

/**
 * Sets sysctls inside a namespace in one process. `nsenter --net` only switches the network
 * namespace (net.* sysctls follow it), which is much cheaper than `ip netns exec`'s mount
 * namespace and sysfs remount — it matters with 100 nodes.
 */
export async function nsSysctl(netns: string, values: Record<string, string | number>): Promise<void> {
  const args = ['-q', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];
  await run('nsenter', [`--net=/run/netns/${netns}`, '--', 'sysctl', '-w', ...args]);
}

/** Runs async jobs with at most `limit` in flight (per-node work on a 2-core machine). */
export async function parallel<T>(items: T[], limit: number, job: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await job(items[i], i);
    }
  });
  await Promise.all(workers);
}
