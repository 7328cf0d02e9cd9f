/**
 * What the lab needs from the machine: root, and the Debian packages whose binaries it runs.
 * Missing packages are installed with apt-get when we are root (the project's machines are
 * Debian with apt reachable); otherwise the message names exactly what to install.
 */
import { existsSync } from 'node:fs';
import { tryRun } from './sh.js';

/** Binary → Debian package that ships it. */
export const REQUIRED_BINARIES: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  '/usr/sbin/sshd': 'openssh-server',
  'ssh-keygen': 'openssh-client',
  tcpdump: 'tcpdump',
  ping: 'iputils-ping',
  sysctl: 'procps',
  unshare: 'util-linux',
  nsenter: 'util-linux',
};

/** A problem that stops the lab from starting, as a value. */
export interface PrereqProblem {
  message: string;
}

async function has(binary: string): Promise<boolean> {
  if (binary.startsWith('/')) return existsSync(binary);
  const r = await tryRun('sh', ['-c', 'command -v "$1"', 'sh', binary]);
  return r.exitCode === 0;
}

/** Packages whose binaries are missing. */
export async function missingPackages(): Promise<string[]> {
  const missing = new Set<string>();
  for (const [bin, pkg] of Object.entries(REQUIRED_BINARIES)) if (!(await has(bin))) missing.add(pkg);
  return [...missing].sort();
}

/** True when running as root. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/**
 * Checks root and packages, installing missing packages when root. Returns the problem that
 * prevents the lab from starting, or undefined when everything is in place.
 */
export async function ensurePrerequisites(log: (line: string) => void = () => undefined): Promise<PrereqProblem | undefined> {
  if (!isRoot()) {
    return { message: 'netdiag lab needs root (it creates network namespaces, iptables rules and sshd processes): run it as root, e.g. `sudo netdiag lab up`' };
  }
  let missing = await missingPackages();
  if (missing.length === 0) return undefined;
  log(`installing missing packages: ${missing.join(' ')}`);
  let r = await tryRun('apt-get', ['install', '-y', '--no-install-recommends', ...missing]);
  if (r.exitCode !== 0) {
    await tryRun('apt-get', ['update']);
    r = await tryRun('apt-get', ['install', '-y', '--no-install-recommends', ...missing]);
  }
  missing = await missingPackages();
  if (missing.length > 0) {
    return { message: `netdiag lab needs these Debian packages and could not install them: ${missing.join(' ')} — run \`apt-get install -y ${missing.join(' ')}\`${r.stderr ? ` (apt-get said: ${r.stderr.trim().split('\n').slice(-1)[0]})` : ''}` };
  }
  return undefined;
}

/**
 * Whether bridged pod traffic can be sent through iptables (br_netfilter). Tries to load the
 * module; where it cannot be loaded, same-node pod→ClusterIP over cni0 would bypass
 * kube-proxy's DNAT (CATALOG #4), which the caller reports.
 */
export async function ensureBrNetfilter(): Promise<boolean> {
  const knob = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (existsSync(knob)) return true;
  await tryRun('modprobe', ['br_netfilter']);
  return existsSync(knob);
}
