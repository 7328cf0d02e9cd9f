/**
 * Helpers for lab-backed tests: prerequisites (root, packages, a build of dist/ for the helper
 * servers and the CLI), a private labs root per test file (so `lab down --all` in one file
 * never touches another file's labs), running commands inside pods and nodes, and the
 * host snapshot used to prove a lab left nothing behind.
 */
import { execa } from 'execa';
import { existsSync, mkdtempSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabPod, LabState } from '../../src/lab/model.js';
import { missingPackages } from '../../src/lab/prereqs.js';

import { cliPath, repoRoot } from './cli.js';

export { cliPath, repoRoot };

/**
 * Why lab tests cannot run here (undefined when they can). Under CI=true a missing
 * prerequisite is a failure, never a skip: this throws instead.
 */
export async function labPrerequisiteProblem(): Promise<string | undefined> {
  let problem: string | undefined;
  if (process.getuid?.() !== 0) problem = 'lab tests need root (network namespaces, iptables, sshd)';
  else {
    const missing = await missingPackages();
    const tools = ['curl', 'dig'].filter((t) => !existsSync(`/usr/bin/${t}`));
    if (missing.length || tools.length) problem = `lab tests need: apt-get install -y ${[...missing, ...tools.map((t) => (t === 'dig' ? 'dnsutils' : t))].join(' ')}`;
  }
  if (problem && process.env.CI === 'true') throw new Error(`${problem} (CI=true: failing instead of skipping)`);
  if (problem) process.stderr.write(`SKIPPING lab tests: ${problem}\n`);
  return problem;
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p, ext));
    else if (e.name.endsWith(ext)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Makes sure dist/ holds a current build of the lab (its helper servers run from dist/ inside
 * namespaces, and the CLI tests run dist/cli/index.js). tsc still emits when unrelated files
 * have type errors; what matters here is that our outputs exist afterwards.
 */
export async function ensureBuilt(): Promise<void> {
  const stale = !existsSync(cliPath) || !existsSync(join(repoRoot, 'dist/lab/dns-responder.js')) || newestMtime(join(repoRoot, 'src/lab'), '.ts') > newestMtime(join(repoRoot, 'dist/lab'), '.js');
  if (stale) await execa('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repoRoot, reject: false });
  for (const f of ['dist/lab/dns-responder.js', 'dist/lab/echo-server.js', 'dist/cli/index.js']) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`build did not produce ${f} (npm run build)`);
  }
}

/** A private labs root for this test file (set before any lab call). */
export function usePrivateLabsRoot(tag: string): string {
  const root = mkdtempSync(join(tmpdir(), `ndt-labs-${tag}-`));
  process.env.NETDIAG_LABS_ROOT = root;
  return root;
}

/** Runs the CLI with the test's labs root. */
export function netdiag(args: string[], env: Record<string, string> = {}) {
  return execa('node', [cliPath, ...args], { reject: false, env: { NETDIAG_LABS_ROOT: process.env.NETDIAG_LABS_ROOT ?? '', ...env }, timeout: 120_000 });
}

/** Outcome of a command run inside a namespace. */
export interface NsResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command inside a network namespace (as `kubectl exec` into a pod would). */
export async function inNetns(netns: string, argv: string[], timeoutMs = 20_000): Promise<NsResult> {
  const r = await execa('ip', ['netns', 'exec', netns, ...argv], { reject: false, timeout: timeoutMs });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** The probe pod on a node. */
export function probeOn(state: LabState, node: string): LabPod {
  const pod = state.pods.find((p) => p.labels.app === 'netdiag-probe' && p.node === node);
  if (!pod) throw new Error(`no probe pod on ${node}`);
  return pod;
}

/** True when one ping from `from`'s namespace to `ip` gets an answer. */
export async function pingOk(netns: string, ip: string, opts: { size?: number; df?: boolean } = {}): Promise<boolean> {
  const args = ['ping', '-n', '-c', '2', '-i', '0.2', '-W', '1'];
  if (opts.df) args.push('-M', 'do');
  if (opts.size) args.push('-s', String(opts.size));
  const r = await inNetns(netns, [...args, ip]);
  return r.exitCode === 0;
}

/** HTTP GET from a namespace; the body, or undefined when it failed. */
export async function httpGet(netns: string, url: string): Promise<string | undefined> {
  const r = await inNetns(netns, ['curl', '-s', '-m', '3', url]);
  return r.exitCode === 0 ? r.stdout : undefined;
}

/** DNS lookup (A) from a namespace with its resolv.conf; answers, or the dig status line. */
export async function dig(netns: string, name: string, extra: string[] = []): Promise<{ answers: string[]; status: string; raw: string }> {
  const r = await inNetns(netns, ['dig', '+time=3', '+tries=1', ...extra, name, 'A']);
  const status = /status: (\w+)/.exec(r.stdout)?.[1] ?? (r.stdout.includes('connection refused') ? 'REFUSED-CONN' : r.stdout.includes('timed out') ? 'TIMEOUT' : 'ERROR');
  const answers = r.stdout
    .split('\n')
    .filter((l) => /\sIN\s+A\s/.test(l) && !l.startsWith(';'))
    .map((l) => l.trim().split(/\s+/).pop()!);
  return { answers, status, raw: r.stdout };
}

/** Runs a command on a node over real SSH with the lab's key and known_hosts (strict). */
export async function sshNode(state: LabState, node: string, command: string): Promise<NsResult> {
  const n = state.nodes.find((x) => x.name === node)!;
  const r = await execa(
    'ssh',
    ['-i', state.files.sshKey, '-o', `UserKnownHostsFile=${state.files.knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=5', `root@${n.address}`, command],
    { reject: false, timeout: 30_000 },
  );
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** What a lab could leave behind on the host. */
export interface HostSnapshot {
  netns: string[];
  links: string[];
  rootIptables: string;
}

/** Namespaces and root links with a prefix, plus the root namespace's iptables rules. */
export async function hostSnapshot(prefix: string): Promise<HostSnapshot> {
  const ns = await execa('ip', ['netns', 'list'], { reject: false });
  const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
  const ipt = await execa('iptables-save', [], { reject: false });
  return {
    netns: String(ns.stdout).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(prefix)),
    links: String(links.stdout).split('\n').map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1] ?? '').filter((n) => n.startsWith(prefix)),
    // Counters change all the time; rules are what matters.
    rootIptables: String(ipt.stdout).split('\n').filter((l) => l.startsWith('-A') || l.startsWith('-P')).join('\n'),
  };
}

/** True while a pid exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `lab up --json` for a test file (labs root set by usePrivateLabsRoot); its state, or a throw with lab's stderr. */
export async function upLab(name: string, flags: string[] = []): Promise<LabState> {
  const up = await netdiag(['lab', 'up', '--name', name, '--json', ...flags]);
  if (up.exitCode !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  return JSON.parse(readFileSync(JSON.parse(String(up.stdout)).stateFile, 'utf8')) as LabState;
}
