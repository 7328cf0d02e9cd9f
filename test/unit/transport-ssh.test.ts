/**
 * SshPool against REAL OpenSSH servers started by test/helpers/sshd.ts (no mocks).
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Host } from '../../src/inventory/types.js';
import { SshPool } from '../../src/transport/ssh-pool.js';
import type { ExecOutcome } from '../../src/transport/types.js';
import { startSshd, type SshdServer } from '../helpers/sshd.js';

class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function hostFor(server: SshdServer, extra: Partial<Host> = {}): Host {
  return {
    name: `h${server.port}`,
    address: server.host,
    port: server.port,
    user: server.user,
    privateKeyFile: server.userKeyFile,
    become: false,
    jump: [],
    knownHostsFile: server.knownHostsFile,
    vars: {},
    groups: ['all'],
    ...extra,
  };
}

async function run(
  pool: SshPool,
  host: Host,
  command: string,
  opts: { signal?: AbortSignal; become?: boolean; becomeUser?: string } = {},
): Promise<{ outcome: ExecOutcome; stdout: string; stderr: string }> {
  const stdout = new TextSink();
  const stderr = new TextSink();
  const outcome = await pool.exec(host, {
    command,
    stdout,
    stderr,
    signal: opts.signal ?? new AbortController().signal,
    become: opts.become,
    becomeUser: opts.becomeUser,
  });
  return { outcome, stdout: stdout.text, stderr: stderr.text };
}

/** pids whose full command line contains `marker` (pgrep exits 1 when none). */
function pgrep(marker: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** Killed processes can take a moment to be reaped; wait (bounded) for them to disappear. */
async function survivors(marker: string): Promise<string[]> {
  for (let i = 0; i < 30 && pgrep(marker).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  return pgrep(marker);
}

describe('SshPool against real sshd', () => {
  let servers: SshdServer[] = [];
  const pools: SshPool[] = [];
  const newPool = (...args: ConstructorParameters<typeof SshPool>) => {
    const pool = new SshPool({ killGraceMs: 1000, ...args[0] });
    pools.push(pool);
    return pool;
  };

  beforeAll(async () => {
    servers = await Promise.all([startSshd(), startSshd(), startSshd()]);
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.closeAll()));
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('runs a command: ok with streamed stdout and stderr, failed with the exit code', async () => {
    const pool = newPool();
    const host = hostFor(servers[0]);
    const ok = await run(pool, host, `echo out; echo err >&2; printf '%s' "it's quoted"`);
    expect(ok.outcome).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(ok.outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok.stdout).toBe("out\nit's quoted");
    // The wrapper's process-group marker never reaches the caller.
    expect(ok.stderr).toBe('err\n');
    const failed = await run(pool, host, 'echo before; exit 3');
    expect(failed.outcome).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(failed.stdout).toBe('before\n');
  });

  it('reuses one connection per host for every exec', async () => {
    const pool = newPool();
    const host = hostFor(servers[0]);
    const first = await run(pool, host, 'echo "$SSH_CONNECTION"');
    const second = await run(pool, host, 'echo "$SSH_CONNECTION"');
    expect(first.stdout).toMatch(/^127\.0\.0\.1 \d+ 127\.0\.0\.1 \d+\n$/);
    expect(second.stdout).toBe(first.stdout); // same client port = same TCP connection
  });

  it('runs on 3 hosts in parallel', async () => {
    const pool = newPool();
    const results = await Promise.all(servers.map((s) => run(pool, hostFor(s), 'echo "$SSH_CONNECTION"')));
    results.forEach((r, i) => {
      expect(r.outcome.status).toBe('ok');
      expect(r.stdout.trim().split(' ')[3]).toBe(String(servers[i].port));
    });
  });

  it('queues more than 8 concurrent execs on one host and all succeed', async () => {
    // sshd's MaxSessions is 10: without the per-host limit, channels 11+ would be refused.
    const pool = newPool();
    const host = hostFor(servers[1]);
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => run(pool, host, `sleep 0.3; echo ${i}`)),
    );
    results.forEach((r, i) => {
      expect(r.outcome.status).toBe('ok');
      expect(r.stdout).toBe(`${i}\n`);
    });
  });

  it('reports a closed port as unreachable without throwing', async () => {
    const pool = newPool();
    const probe = await startSshd();
    const closedPort = probe.port;
    await probe.stop(); // the port is now closed
    const host = hostFor(servers[0], { port: closedPort, name: 'gone' });
    const { outcome } = await run(pool, host, 'true');
    expect(outcome.status).toBe('unreachable');
    expect(outcome.error).toContain(`connection refused by 127.0.0.1:${closedPort}`);
    // Other hosts in the same pool are unaffected.
    expect((await run(pool, hostFor(servers[0]), 'true')).outcome.status).toBe('ok');
  });

  it('kills a hanging remote command and all its children on timeout', async () => {
    const pool = newPool();
    const marker = `300.${randomInt(1e8, 1e9)}`; // unique argument: `pgrep -f "sleep <marker>"`
    const command = `(sleep ${marker} & sleep ${marker}; wait) & sleep ${marker}; wait`;
    const result = await run(pool, hostFor(servers[0]), command, { signal: AbortSignal.timeout(1500) });
    expect(result.outcome.status).toBe('timedout');
    expect(result.outcome.error).toBe('timed out; remote process group killed');
    expect(await survivors(`sleep ${marker}`)).toEqual([]);
  });

  it('kills 10 commands timing out together on one host (8 running, 2 queued)', async () => {
    // What SIGINT does to a busy host: every running channel aborts at once.
    const pool = newPool();
    const marker = `304.${randomInt(1e8, 1e9)}`;
    const signal = AbortSignal.timeout(1500);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => run(pool, hostFor(servers[1]), `sleep ${marker} & sleep ${marker}`, { signal })),
    );
    expect(results.map((r) => r.outcome.status)).toEqual(Array(10).fill('timedout'));
    expect(results.filter((r) => r.outcome.error === 'timed out; remote process group killed')).toHaveLength(8);
    expect(await survivors(`sleep ${marker}`)).toEqual([]);
  });

  it('reports a non-timeout abort as interrupted and kills the command', async () => {
    const pool = newPool();
    const marker = `301.${randomInt(1e8, 1e9)}`;
    const controller = new AbortController();
    const pending = run(pool, hostFor(servers[0]), `echo started; sleep ${marker}`, { signal: controller.signal });
    for (let i = 0; i < 100 && pgrep(`^sleep ${marker}`).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(pgrep(`^sleep ${marker}`).length).toBe(1);
    controller.abort();
    const result = await pending;
    expect(result.outcome.status).toBe('interrupted');
    expect(result.stdout).toBe('started\n');
    expect(await survivors(`sleep ${marker}`)).toEqual([]);
  });

  it('honours an abort that lands while the channel is being opened', { timeout: 20_000 }, async () => {
    const pool = newPool();
    const host = hostFor(servers[0]);
    expect((await run(pool, host, 'true')).outcome.status).toBe('ok'); // connected
    for (let attempt = 0; attempt < 5; attempt++) {
      const controller = new AbortController();
      const pending = run(pool, host, 'sleep 30', { signal: controller.signal });
      setImmediate(() => controller.abort()); // after exec() started, before the channel is open
      expect((await pending).outcome.status).toBe('interrupted');
    }
  });

  it('runs through sudo -n with become (as root and as another user), quoting intact', async () => {
    const pool = newPool();
    const host = hostFor(servers[2]);
    const asRoot = await run(pool, host, `id -un; echo "a 'b' \\$HOME"`, { become: true });
    expect(asRoot.outcome.status).toBe('ok');
    expect(asRoot.stdout).toBe(`root\na 'b' $HOME\n`);
    const asNobody = await run(pool, host, 'id -un', { become: true, becomeUser: 'nobody' });
    expect(asNobody.outcome.status).toBe('ok');
    expect(asNobody.stdout).toBe('nobody\n');
  });

  it('kills a become command on timeout too', async () => {
    const pool = newPool();
    const marker = `302.${randomInt(1e8, 1e9)}`;
    const result = await run(pool, hostFor(servers[2]), `sleep ${marker} & sleep ${marker}`, {
      become: true,
      becomeUser: 'nobody',
      signal: AbortSignal.timeout(1500),
    });
    expect(result.outcome.status).toBe('timedout');
    expect(await survivors(`sleep ${marker}`)).toEqual([]);
  });

  it('refuses a changed host key under strict and accept-new', async () => {
    const server = servers[0];
    const wrongKeyFile = `${server.dir}/wrong_key`;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', wrongKeyFile]);
    const wrongPub = readFileSync(`${wrongKeyFile}.pub`, 'utf8').trim().split(' ');
    const knownHostsFile = `${server.dir}/known_hosts_wrong`;
    writeFileSync(knownHostsFile, `[127.0.0.1]:${server.port} ${wrongPub[0]} ${wrongPub[1]}\n`);
    for (const hostKeyPolicy of ['strict', 'accept-new'] as const) {
      const pool = newPool({ hostKeyPolicy });
      const { outcome } = await run(pool, hostFor(server, { knownHostsFile }), 'true');
      expect(outcome.status).toBe('unreachable');
      expect(outcome.error).toContain(`host key for 127.0.0.1:${server.port} changed (${hostKeyPolicy}): refusing`);
      expect(pool.hostKeyRecords()).toEqual([
        expect.objectContaining({ host: `[127.0.0.1]:${server.port}`, result: 'mismatch', accepted: false }),
      ]);
    }
    // The file was not touched.
    expect(readFileSync(knownHostsFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    // off connects anyway.
    const off = newPool({ hostKeyPolicy: 'off' });
    expect((await run(off, hostFor(server, { knownHostsFile }), 'true')).outcome.status).toBe('ok');
  });

  it('refuses an unknown key under strict; accept-new adds it and strict then accepts it', async () => {
    const server = servers[1];
    const knownHostsFile = `${server.dir}/known_hosts_empty`;
    const host = hostFor(server, { knownHostsFile });
    const strict = await run(newPool({ hostKeyPolicy: 'strict' }), host, 'true');
    expect(strict.outcome.status).toBe('unreachable');
    expect(strict.outcome.error).toContain('(strict): refusing');

    const acceptNew = newPool({ hostKeyPolicy: 'accept-new' });
    expect((await run(acceptNew, host, 'true')).outcome.status).toBe('ok');
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${server.dir}/host_ed25519.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(acceptNew.hostKeyRecords()).toEqual([
      {
        host: `[127.0.0.1]:${server.port}`,
        policy: 'accept-new',
        knownHostsFile,
        keyType: 'ssh-ed25519',
        fingerprint,
        result: 'added',
        accepted: true,
      },
    ]);
    expect(readFileSync(knownHostsFile, 'utf8')).toBe(server.hostKeyLine + '\n');

    const strictAgain = newPool({ hostKeyPolicy: 'strict' });
    expect((await run(strictAgain, host, 'true')).outcome.status).toBe('ok');
    expect(strictAgain.hostKeyRecords()[0]).toMatchObject({ result: 'known', accepted: true });
  });

  it('reaches a host through a jump host (forwardOut over the bastion connection)', async () => {
    const [bastion, target] = [servers[0], servers[1]];
    const knownHostsFile = `${target.dir}/known_hosts_both`;
    writeFileSync(knownHostsFile, `${bastion.hostKeyLine}\n${target.hostKeyLine}\n`);
    const pool = newPool({ hostKeyPolicy: 'strict' });
    const host = hostFor(target, {
      knownHostsFile,
      jump: [{ host: bastion.host, port: bastion.port, user: bastion.user, privateKeyFile: bastion.userKeyFile }],
    });
    const result = await run(pool, host, 'echo "$SSH_CONNECTION"');
    expect(result.outcome.status).toBe('ok');
    const [, sourcePort, , targetPort] = result.stdout.trim().split(' ');
    expect(targetPort).toBe(String(target.port));
    // The TCP connection into the target must belong to the bastion's sshd, not to us.
    const owner = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${sourcePort} )`], { encoding: 'utf8' });
    const ownerPid = Number(/pid=(\d+)/.exec(owner)?.[1]);
    expect(ownerPid).not.toBe(process.pid);
    let pid = ownerPid;
    while (pid > 1 && pid !== bastion.pid) pid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    expect(pid).toBe(bastion.pid);
    expect(pool.hostKeyRecords().map((r) => r.host).sort()).toEqual(
      [`[127.0.0.1]:${bastion.port}`, `[127.0.0.1]:${target.port}`].sort(),
    );
  });

  it('reports a key the server does not accept as unreachable (auth failure)', async () => {
    const server = servers[2];
    const strangerKey = `${server.dir}/stranger_key`;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', strangerKey]);
    const { outcome } = await run(newPool(), hostFor(server, { privateKeyFile: strangerKey }), 'true');
    expect(outcome).toMatchObject({
      status: 'unreachable',
      error: `authentication failed for ${server.user}@127.0.0.1:${server.port} (key not accepted)`,
    });
    const missing = await run(newPool(), hostFor(server, { privateKeyFile: `${server.dir}/no-such-key` }), 'true');
    expect(missing.outcome.status).toBe('unreachable');
    expect(missing.outcome.error).toContain(`cannot read private key ${server.dir}/no-such-key`);
  });

  it('gives up on a server that never completes the handshake after readyTimeout', async () => {
    const silent = createServer((socket) => socket.on('error', () => undefined)); // accepts, says nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const pool = newPool({ readyTimeoutMs: 1000 });
      const { outcome } = await run(pool, hostFor(servers[0], { port }), 'true');
      expect(outcome).toMatchObject({ status: 'unreachable', error: `no SSH handshake with 127.0.0.1:${port} within 1 s` });
    } finally {
      silent.close();
    }
  });

  it('reports a connection lost mid-command as unreachable, then reconnects', async () => {
    const server = await startSshd();
    const marker = `303.${randomInt(1e8, 1e9)}`;
    try {
      const pool = newPool();
      const host = hostFor(server);
      const pending = run(pool, host, `sleep ${marker}`);
      for (let i = 0; i < 100 && pgrep(`^sleep ${marker}`).length === 0; i++) await new Promise((r) => setTimeout(r, 50));
      // Kill the per-connection sshd processes our server forked: the TCP connection dies.
      const sessions = execFileSync('pgrep', ['-P', String(server.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
      expect(sessions.length).toBeGreaterThan(0);
      for (const pid of sessions) process.kill(Number(pid), 'SIGKILL');
      const lost = await pending;
      expect(lost.outcome.status).toBe('unreachable');
      expect(lost.outcome.error).toContain('connection lost while the command ran');
      const again = await run(pool, host, 'echo back');
      expect(again.outcome.status).toBe('ok');
      expect(again.stdout).toBe('back\n');
    } finally {
      for (const pid of pgrep(`sleep ${marker}`)) process.kill(Number(pid), 'SIGKILL');
      await server.stop();
    }
  });

  it('aborts an exec that is still queued for a channel', async () => {
    const pool = newPool({ maxChannelsPerHost: 1 });
    const host = hostFor(servers[2]);
    expect((await run(pool, host, 'true')).outcome.status).toBe('ok'); // connected: only the queue remains
    const busy = run(pool, host, 'sleep 1; echo done');
    const queued = await run(pool, host, 'echo never', { signal: AbortSignal.timeout(200) });
    expect(queued.outcome).toMatchObject({ status: 'timedout', error: 'aborted while waiting for a free channel' });
    expect(queued.stdout).toBe('');
    expect((await busy).outcome.status).toBe('ok');
  });

  it('reports a broken jump host as unreachable', async () => {
    const pool = newPool();
    const probe = await startSshd();
    await probe.stop();
    const host = hostFor(servers[1], { jump: [{ host: '127.0.0.1', port: probe.port }] });
    const { outcome } = await run(pool, host, 'true');
    expect(outcome.status).toBe('unreachable');
    expect(outcome.error).toContain(`jump host ${servers[1].user}@127.0.0.1:${probe.port}: connection refused`);
  });
});
