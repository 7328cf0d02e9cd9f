/**
 * Long-running lab processes (sshd per node, DNS responders, echo servers): started detached
 * inside a namespace so they outlive `lab up`, tracked by pid + start time in the state, and
 * killed by exactly that pid on `lab down` — never by name.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabProcess } from './model.js';

/** Start time (field 22 of /proc/<pid>/stat) or undefined when the pid is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after the last ')' are fixed.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** True when the recorded process is still the one we started. */
export function isAlive(p: LabProcess): boolean {
  const start = processStartTime(p.pid);
  return start !== undefined && (p.startTime === undefined || p.startTime === start);
}

/**
 * Starts `argv` inside `netns` (optionally in its own UTS namespace with `hostname`, and its own
 * mount namespace with `binds` — per-node files such as /run/flannel/subnet.env), detached,
 * with stdout/stderr appended to `logFile`. `unshare`, `sh` and `ip netns exec` all exec
 * their child, so the pid we record is the server's own.
 */
export async function spawnInNetns(opts: {
  netns: string;
  argv: string[];
  role: string;
  logFile: string;
  hostname?: string;
  binds?: { source: string; target: string }[];
}): Promise<LabProcess> {
  const { netns, argv, role, logFile, hostname } = opts;
  const binds = opts.binds ?? [];
  const fd = openSync(logFile, 'a');
  const inNs = ['ip', 'netns', 'exec', netns, ...argv];
  // sh: set the hostname, bind each (source, target) pair, then exec the server.
  const script = 'hostname "$1" && shift && while [ "$1" != "--" ]; do mkdir -p "$2" && mount --bind "$1" "$2" || exit 1; shift 2; done; shift; exec "$@"';
  const unshare = ['unshare', '--uts', ...(binds.length ? ['--mount', '--propagation', 'private'] : []), '--'];
  const full = hostname ? [...unshare, 'sh', '-c', script, 'sh', hostname, ...binds.flatMap((b) => [b.source, b.target]), '--', ...inNs] : inNs;
  const child = spawn(full[0], full.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`lab: could not start ${role}`);
  child.unref();
  child.on('error', () => undefined);
  return { pid, role, netns, startTime: processStartTime(pid) };
}

/** Kills one recorded process (TERM, then KILL after `graceMs`); no-op when already gone. */
export async function killProcess(p: LabProcess, graceMs = 2000): Promise<void> {
  if (!isAlive(p)) return;
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(p)) return;
    await sleep(25);
  }
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
  while (isAlive(p) && Date.now() < deadline + 2000) await sleep(25);
}

/** Sends a signal to a recorded process if it is still ours. */
export function signalProcess(p: LabProcess, signal: NodeJS.Signals): void {
  if (isAlive(p)) process.kill(p.pid, signal);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until every file exists (servers write a ready file once listening). */
export async function waitForFiles(files: string[], timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let missing = files;
  while (missing.length > 0 && Date.now() < deadline) {
    await sleep(30);
    missing = missing.filter((f) => !existsSync(f));
  }
  return missing;
}

/**
 * Path of a compiled helper script (`dns-responder.js`, `echo-server.js`). From dist/ it sits
 * beside this module; when this module runs from src/ (vitest), the built copy in dist/ is used.
 */
export async function helperScript(name: string): Promise<string> {
  const beside = fileURLToPath(new URL(`./${name}`, import.meta.url));
  try {
    await access(beside);
    return beside;
  } catch {
    const built = fileURLToPath(new URL(`../../dist/lab/${name}`, import.meta.url));
    await access(built).catch(() => {
      throw new Error(`lab: ${built} is missing — run \`npm run build\` first`);
    });
    return built;
  }
}

/** Folder for process output (sshd -e, responder crashes). */
export async function processLogDir(labDir: string): Promise<string> {
  const dir = join(labDir, 'proc');
  await mkdir(dir, { recursive: true });
  return dir;
}
