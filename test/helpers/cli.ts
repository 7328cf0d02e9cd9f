/**
 * Runs the BUILT netdiag CLI (dist/cli/index.js) as a real process, the way users do.
 * `npm test` builds first; a missing build is an error with the reason, not a skip.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const cliPath = path.join(repoRoot, 'dist/cli/index.js');

function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} missing: run "npm run build" first (npm test does)`);
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs netdiag to completion; never throws on a non-zero exit. */
export async function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  assertBuilt();
  const r = await execa('node', [cliPath, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...opts.env, CI: 'true' },
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Starts netdiag without waiting (for SIGINT and RSS sampling tests). */
export function spawnCli(args: string[], opts: { cwd?: string } = {}): ResultPromise {
  assertBuilt();
  return execa('node', [cliPath, ...args], { cwd: opts.cwd ?? repoRoot, env: { CI: 'true' }, reject: false });
}

/** Reads the newest run directory's manifest under `<out>/<plan>/`. */
export async function readManifest(runDir: string): Promise<any> {
  return JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8'));
}

/** The run directory printed as the last line (`run <status>: artifacts in <dir>`). */
export function runDirFrom(stdout: string): string {
  const m = /artifacts in (\S+)\s*$/m.exec(stdout);
  if (!m) throw new Error(`no run directory in output:\n${stdout}`);
  return m[1];
}

/** Peak resident set size (VmHWM, bytes) of a live process; undefined once it has exited. */
export async function peakRss(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
