/**
 * One SSH connection per host, shared by every step of a run.
 *
 * - Connects lazily on first use; concurrent callers await the same pending connect.
 * - At most `maxChannelsPerHost` (8) exec channels per connection; further execs queue.
 * - Jump hosts: each hop is itself a pooled connection; the next hop is reached over a
 *   `forwardOut` stream passed as ssh2's `sock`, so one bastion connection serves all targets.
 * - A failed connect is not cached: the next exec (e.g. a retry) tries again. An established
 *   connection that drops (keepalive timeout, reset) leaves the pool and is reopened on demand.
 * - Unreachable hosts, refused host keys and auth failures come back as `unreachable` outcomes.
 */
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import type { Host } from '../inventory/types.js';
import { ChannelLimiter } from './channel-limiter.js';
import type { HostKeyRecord } from './known-hosts.js';
import { connectSsh, forwardThrough, type ConnectResult, type SshEndpoint } from './ssh-connect.js';
import { abortStatus } from './abort.js';
import { execOnClient } from './ssh-exec.js';
import type { ExecOutcome, ExecRequest, HostKeyPolicy } from './types.js';

/** Pool-wide settings; every field has a default. */
export interface SshPoolOptions {
  /**
   * `--ssh-host-keys`: when given it applies to every host; unset, each host's own
   * `Host.hostKeyPolicy` (from the inventory) applies, else `accept-new`.
   */
  hostKeyPolicy?: HostKeyPolicy;
  /** known_hosts for hosts without their own `Host.knownHostsFile`; default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Handshake deadline (TCP connect + key exchange + auth); default 10 000 ms. */
  readyTimeoutMs?: number;
  /** SSH keepalive interval; default 5 000 ms, with `keepaliveCountMax` (default 3) misses allowed. */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Concurrent exec channels per connection; default 8 (OpenSSH MaxSessions is 10, keep slack). */
  maxChannelsPerHost?: number;
  /** Grace between TERM and KILL of an aborted remote command; default 2 000 ms. */
  killGraceMs?: number;
  /** Login user when neither the host nor the hop names one; default the local user. */
  defaultUser?: string;
}

interface PoolEntry {
  client?: Client;
  pending?: Promise<ConnectResult>;
  /** Exec channels (maxChannelsPerHost). */
  limiter: ChannelLimiter;
}

function endpointKey(chain: SshEndpoint[]): string {
  return chain.map((e) => `${e.user}@${e.host}:${e.port}`).join(' > ');
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  if (signal.aborted) return Promise.resolve(ABORTED);
  return new Promise((resolve) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener('abort', onAbort);
      resolve(value);
    });
  });
}
const ABORTED = Symbol('aborted');

/** Pooled SSH transport: `exec` never throws for an expected failure. */
export class SshPool {
  private readonly entries = new Map<string, PoolEntry>();
  private readonly records = new Map<string, HostKeyRecord>();
  private readonly opts: Required<Omit<SshPoolOptions, 'knownHostsFile' | 'hostKeyPolicy'>> & Pick<SshPoolOptions, 'hostKeyPolicy'> & { knownHostsFile: string };

  constructor(options: SshPoolOptions = {}) {
    this.opts = {
      hostKeyPolicy: options.hostKeyPolicy,
      knownHostsFile: options.knownHostsFile ?? join(homedir(), '.ssh', 'known_hosts'),
      readyTimeoutMs: options.readyTimeoutMs ?? 10_000,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? 5_000,
      keepaliveCountMax: options.keepaliveCountMax ?? 3,
      maxChannelsPerHost: options.maxChannelsPerHost ?? 8,
      killGraceMs: options.killGraceMs ?? 2_000,
      defaultUser: options.defaultUser ?? userInfo().username,
    };
  }

  /** Run a command on `host`, streaming its output; resolves with the outcome, never rejects. */
  async exec(host: Host, req: ExecRequest): Promise<ExecOutcome> {
    const started = performance.now();
    const finish = (outcome: Omit<ExecOutcome, 'durationMs'>): ExecOutcome => ({
      ...outcome,
      durationMs: Math.round(performance.now() - started),
    });
    const aborted = (when: string) => finish({ status: abortStatus(req.signal), exitCode: null, error: `aborted ${when}` });
    const chain = this.chainFor(host);
    const connection = await raceAbort(this.acquire(chain), req.signal);
    if (connection === ABORTED) return aborted('while connecting');
    if (!connection.ok) return finish({ status: 'unreachable', exitCode: null, error: connection.error });
    const entry = this.entries.get(endpointKey(chain)) ?? this.newEntry(); // gone only after closeAll()
    const release = await entry.limiter.acquire(req.signal);
    if (!release) return aborted('while waiting for a free channel');
    try {
      const target = chain[chain.length - 1];
      const label = `${target.user}@${target.host}:${target.port}`;
      // The request decides; the inventory (ansible_become / ansible_become_user) fills gaps.
      const effective: ExecRequest = {
        ...req,
        become: req.become ?? host.become,
        becomeUser: req.becomeUser ?? host.becomeUser,
      };
      const settings = { killGraceMs: this.opts.killGraceMs, label };
      return finish(await execOnClient(connection.client, effective, settings));
    } finally {
      release();
    }
  }

  /** Host-key decisions so far (one per known_hosts file × host, latest wins), for the run manifest. */
  hostKeyRecords(): HostKeyRecord[] {
    return [...this.records.values()];
  }

  /** Close every connection (targets before the jump hosts they tunnel through). */
  async closeAll(): Promise<void> {
    const entries = [...this.entries.entries()].sort((a, b) => b[0].length - a[0].length);
    this.entries.clear();
    for (const [, entry] of entries) {
      const client = entry.client ?? (await entry.pending?.then((r) => (r.ok ? r.client : undefined)));
      if (!client) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        client.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        client.end();
      });
    }
  }

  private newEntry(): PoolEntry {
    return { limiter: new ChannelLimiter(this.opts.maxChannelsPerHost) };
  }

  /** Hops then the target, each with its user, key and known_hosts file resolved. */
  private chainFor(host: Host): SshEndpoint[] {
    const knownHostsFile = host.knownHostsFile ?? this.opts.knownHostsFile;
    const hostKeyPolicy = this.opts.hostKeyPolicy ?? host.hostKeyPolicy ?? 'accept-new';
    const hops: SshEndpoint[] = host.jump.map((hop) => ({
      host: hop.host,
      port: hop.port,
      user: hop.user ?? host.user ?? this.opts.defaultUser,
      privateKeyFile: hop.privateKeyFile ?? host.privateKeyFile,
      knownHostsFile,
      hostKeyPolicy,
    }));
    const target: SshEndpoint = {
      host: host.address,
      port: host.port,
      user: host.user ?? this.opts.defaultUser,
      privateKeyFile: host.privateKeyFile,
      knownHostsFile,
      hostKeyPolicy,
    };
    return [...hops, target];
  }

  /** The pooled connection for a chain (connecting its hops first), shared by concurrent callers. */
  private acquire(chain: SshEndpoint[]): Promise<ConnectResult> {
    const key = endpointKey(chain);
    let entry = this.entries.get(key);
    if (!entry) {
      entry = this.newEntry();
      this.entries.set(key, entry);
    }
    if (entry.client) return Promise.resolve({ ok: true, client: entry.client });
    if (entry.pending) return entry.pending;
    const pool = entry;
    pool.pending = this.connectChain(chain, key).then((result) => {
      pool.pending = undefined;
      if (result.ok) pool.client = result.client;
      return result;
    });
    return pool.pending;
  }

  private async connectChain(chain: SshEndpoint[], key: string): Promise<ConnectResult> {
    const target = chain[chain.length - 1];
    let sock;
    if (chain.length > 1) {
      const hop = chain[chain.length - 2];
      const via = await this.acquire(chain.slice(0, -1));
      if (!via.ok) return { ok: false, error: `jump host ${hop.user}@${hop.host}:${hop.port}: ${via.error}` };
      const stream = await forwardThrough(via.client, target.host, target.port, this.opts.readyTimeoutMs);
      if (typeof stream === 'string') return { ok: false, error: stream };
      sock = stream;
    }
    let client: Client | undefined;
    const result = await connectSsh(
      target,
      {
        readyTimeoutMs: this.opts.readyTimeoutMs,
        keepaliveIntervalMs: this.opts.keepaliveIntervalMs,
        keepaliveCountMax: this.opts.keepaliveCountMax,
        onHostKey: (record) => this.records.set(`${record.knownHostsFile}\0${record.host}`, record),
        onClosed: () => {
          // Forget a dead connection so the next exec reconnects (only if it is still ours).
          const entry = this.entries.get(key);
          if (entry && client && entry.client === client) entry.client = undefined;
        },
      },
      sock,
    );
    if (result.ok) client = result.client;
    else sock?.destroy();
    return result;
  }
}
