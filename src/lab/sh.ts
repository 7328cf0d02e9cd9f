/**
 * The lab's only way to run system tools (ip, iptables-restore, sysctl, ssh-keygen …). Setup
 * commands failing is exceptional for the lab (it cannot build half a cluster), so `run` throws
 * with the command and its stderr; `tryRun` returns the outcome for cleanup paths.
 */
import { execa } from 'execa';

/** Result of a command that may fail. */
export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell (arguments are never re-parsed), returning its outcome. */
export async function tryRun(cmd: string, args: string[], input?: string): Promise<RunResult> {
  const r = await execa(cmd, args, { input, reject: false, stripFinalNewline: false, env: { DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' } });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? r.message ?? '') };
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

/** Sets sysctls inside a namespace in one process. */
export async function nsSysctl(netns: string, values: Record<string, string | number>): Promise<void> {
  const args = ['-q', ...Object.entries(values).map(([k, v]) => `${k}=${v}`)];
  await nsRun(netns, 'sysctl', ['-w', ...args]);
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
