/**
 * Test helper: a REAL OpenSSH server on 127.0.0.1 (no mocks for SSH). Each server gets a temp
 * dir with a generated ed25519 host key, a user key authorised for the current user (root on
 * the CI machines), a known_hosts file holding its host key, and its own sshd_config.
 *
 *   const server = await startSshd();
 *   … ssh to server.host:server.port with server.userKeyFile / server.knownHostsFile …
 *   await server.stop();
 *
 * A missing sshd is an error with the reason (never a silent skip): tests that need it fail.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

export const SSHD_BINARY = '/usr/sbin/sshd';

export interface SshdServer {
  host: '127.0.0.1';
  port: number;
  /** `[127.0.0.1]:port ssh-ed25519 AAAA…` — the line a known_hosts file needs. */
  hostKeyLine: string;
  /** Private key accepted for `user`. */
  userKeyFile: string;
  /** known_hosts containing only `hostKeyLine`. */
  knownHostsFile: string;
  user: string;
  dir: string;
  pid: number;
  /** Stops the listener and the per-connection sshd processes it forked; removes `dir`. */
  stop(): Promise<void>;
}

export interface StartSshdOptions {
  /** Reuse an existing user key (its `.pub` must sit beside it) instead of generating one. */
  userKeyFile?: string;
  /** Extra sshd_config lines (e.g. `MaxSessions 4`). */
  extraConfig?: string[];
}

/** Throw with the reason when sshd cannot run here (tests must fail, not skip). */
export function assertSshdAvailable(): void {
  if (!existsSync(SSHD_BINARY)) {
    throw new Error(`${SSHD_BINARY} not found: install openssh-server (apt-get install -y openssh-server)`);
  }
  if (!existsSync('/usr/bin/ssh-keygen')) {
    throw new Error('ssh-keygen not found: install openssh-client');
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something on the port answers with an SSH banner. */
function probeBanner(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
  });
}

function keygen(file: string, comment: string): void {
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

async function waitForSshd(child: ChildProcess, port: number, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}) on port ${port}: ${stderr().trim()}`);
    }
    if (await probeBanner(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd on port ${port} did not accept connections within 15 s: ${stderr().trim()}`);
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('/usr/bin/pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

async function launch(dir: string, port: number, config: string): Promise<{ child: ChildProcess; stderr: () => string }> {
  const configFile = join(dir, `sshd_config`);
  await writeFile(configFile, config.replace('@PORT@', String(port)));
  let log = '';
  const child = spawn(SSHD_BINARY, ['-D', '-e', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr!.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-8000);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await waitForSshd(child, port, () => log);
  return { child, stderr: () => log };
}

/** Start a real sshd on a free 127.0.0.1 port and wait until it accepts connections. */
export async function startSshd(options: StartSshdOptions = {}): Promise<SshdServer> {
  assertSshdAvailable();
  // Privilege-separation directory; Debian creates it at boot via tmpfiles, containers lack it.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'ndt-sshd-'));
  const hostKey = join(dir, 'host_ed25519');
  keygen(hostKey, 'netdiag-test-host');
  let userKeyFile = options.userKeyFile;
  if (!userKeyFile) {
    userKeyFile = join(dir, 'id_ed25519');
    keygen(userKeyFile, 'netdiag-test-user');
  }
  await writeFile(join(dir, 'authorized_keys'), await readFile(`${userKeyFile}.pub`), { mode: 0o600 });
  const config = [
    'Port @PORT@',
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    // Tests open many connections at once; the default 10:30:100 would drop some.
    'MaxStartups 200',
    'AllowTcpForwarding yes',
    'LogLevel ERROR',
    'Subsystem sftp internal-sftp',
    ...(options.extraConfig ?? []),
    '',
  ].join('\n');
  // The free port can be taken between probing and binding: retry a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      const { child } = await launch(dir, port, config);
      const hostPub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/);
      const hostKeyLine = `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}`;
      const knownHostsFile = join(dir, 'known_hosts');
      await writeFile(knownHostsFile, hostKeyLine + '\n');
      const pid = child.pid!;
      return {
        host: '127.0.0.1',
        port,
        hostKeyLine,
        userKeyFile,
        knownHostsFile,
        user: userInfo().username,
        dir,
        pid,
        stop: async () => {
          // Per-connection sshd processes are forked by our listener: collect them first.
          const sessions = childPids(pid);
          const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
          killQuietly(pid, 'SIGTERM');
          for (const session of sessions) killQuietly(session, 'SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
          killQuietly(pid, 'SIGKILL');
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastError = err;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

/** Write one known_hosts file trusting all the given servers (e.g. for a shared inventory). */
export async function writeKnownHosts(file: string, servers: Pick<SshdServer, 'hostKeyLine'>[]): Promise<string> {
  await writeFile(file, servers.map((s) => s.hostKeyLine + '\n').join(''));
  return file;
}

/** One inventory host pointing at a test sshd. */
export interface InventoryHostSpec {
  name: string;
  server: Pick<SshdServer, 'host' | 'port' | 'userKeyFile' | 'knownHostsFile' | 'user'>;
  /** Extra host vars (e.g. `{ ansible_become: true }`). */
  vars?: Record<string, unknown>;
}

/**
 * Write an Ansible-shaped inventory for test servers: every host gets ansible_host/port/user,
 * its key file and `ansible_ssh_common_args: -o UserKnownHostsFile=<file>`. `groups` maps a
 * group name to member host names (emitted under `all.children`).
 */
export async function writeInventory(
  file: string,
  hosts: InventoryHostSpec[],
  options: { groups?: Record<string, string[]>; vars?: Record<string, unknown>; knownHostsFile?: string } = {},
): Promise<string> {
  const hostEntries: Record<string, Record<string, unknown>> = {};
  for (const { name, server, vars } of hosts) {
    hostEntries[name] = {
      ansible_host: server.host,
      ansible_port: server.port,
      ansible_user: server.user,
      ansible_ssh_private_key_file: server.userKeyFile,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${options.knownHostsFile ?? server.knownHostsFile}`,
      ...vars,
    };
  }
  const all: Record<string, unknown> = { hosts: hostEntries };
  if (options.vars) all.vars = options.vars;
  if (options.groups) {
    all.children = Object.fromEntries(
      Object.entries(options.groups).map(([group, members]) => [
        group,
        { hosts: Object.fromEntries(members.map((m) => [m, null])) },
      ]),
    );
  }
  await writeFile(file, stringify({ all }));
  return file;
}
