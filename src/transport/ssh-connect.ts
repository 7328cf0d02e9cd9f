/**
 * Open ONE authenticated ssh2 connection (directly, or over a stream forwarded through a jump
 * host). Failures are values with a sentence a user can act on; nothing here throws.
 *
 * ssh2 is used directly rather than through node-ssh: node-ssh removes its `error` listener
 * once the connection is ready (node-ssh#421, an idle ECONNRESET then kills the process) and
 * its execCommand buffers whole outputs. Here the error listener lives as long as the client.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import { knownKeyTypes, verifyHostKey, type HostKeyRecord } from './known-hosts.js';
import type { HostKeyPolicy } from './types.js';

/** One SSH endpoint to authenticate against. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  knownHostsFile: string;
  /** This endpoint's host key checking (the inventory's, or the run's). */
  hostKeyPolicy: HostKeyPolicy;
}

export interface ConnectSettings {
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
  keepaliveCountMax: number;
  /** Called with the host-key decision for the manifest (also when refused). */
  onHostKey: (record: HostKeyRecord) => void;
  /** Called once when an established connection goes away (error, keepalive timeout, close). */
  onClosed: (reason: string) => void;
}

export type ConnectResult = { ok: true; client: Client } | { ok: false; error: string };

/** Default identity files, in the order OpenSSH tries them. */
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

const ALGORITHMS_BY_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};
const DEFAULT_HOST_KEY_ALGORITHMS = Object.values(ALGORITHMS_BY_KEY_TYPE).flat();

/**
 * Put the algorithms of key types we already know first, like OpenSSH does: otherwise a host
 * known by its RSA key would present ed25519 and look "unknown".
 */
async function hostKeyAlgorithms(endpoint: SshEndpoint): Promise<string[] | undefined> {
  const known = await knownKeyTypes(endpoint.knownHostsFile, endpoint.host, endpoint.port).catch(() => []);
  const preferred = known.flatMap((t) => ALGORITHMS_BY_KEY_TYPE[t] ?? []);
  if (preferred.length === 0) return undefined;
  return [...new Set([...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS])];
}

async function authMaterial(endpoint: SshEndpoint): Promise<{ privateKey?: Buffer; agent?: string } | string> {
  const agent = process.env.SSH_AUTH_SOCK || undefined;
  if (endpoint.privateKeyFile) {
    try {
      return { privateKey: await readFile(endpoint.privateKeyFile), agent };
    } catch (err) {
      return `cannot read private key ${endpoint.privateKeyFile}: ${(err as Error).message}`;
    }
  }
  const found = DEFAULT_KEYS.map((k) => join(homedir(), '.ssh', k)).find((f) => existsSync(f));
  if (found) return { privateKey: await readFile(found), agent };
  if (agent) return { agent };
  return `no private key for ${endpoint.user}@${endpoint.host}: set ansible_ssh_private_key_file, create ~/.ssh/id_ed25519 or start ssh-agent`;
}

function describeError(err: Error & { code?: string; level?: string }, endpoint: SshEndpoint, timeoutMs: number): string {
  const where = `${endpoint.host}:${endpoint.port}`;
  if (err.code === 'ECONNREFUSED') return `connection refused by ${where}`;
  if (err.code === 'EHOSTUNREACH' || err.code === 'ENETUNREACH') return `no route to ${where}`;
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `cannot resolve ${endpoint.host}`;
  if (err.level === 'client-timeout') return `no SSH handshake with ${where} within ${timeoutMs / 1000} s`;
  if (err.level === 'client-authentication') {
    return `authentication failed for ${endpoint.user}@${where} (key not accepted)`;
  }
  return `ssh ${endpoint.user}@${where}: ${err.message}`;
}

/** Connect and authenticate; `sock` is a forwarded stream when reaching the host via a jump host. */
export async function connectSsh(endpoint: SshEndpoint, settings: ConnectSettings, sock?: Duplex): Promise<ConnectResult> {
  const auth = await authMaterial(endpoint);
  if (typeof auth === 'string') return { ok: false, error: auth };
  const serverHostKey = endpoint.hostKeyPolicy === 'off' ? undefined : await hostKeyAlgorithms(endpoint);
  let refusal: string | undefined;
  const config: ConnectConfig = {
    host: endpoint.host,
    port: endpoint.port,
    username: endpoint.user,
    ...auth,
    sock,
    readyTimeout: settings.readyTimeoutMs,
    // ssh2 defaults to 0 = never: a host that vanished would hang its steps forever.
    keepaliveInterval: settings.keepaliveIntervalMs,
    keepaliveCountMax: settings.keepaliveCountMax,
    algorithms: serverHostKey ? { serverHostKey: serverHostKey as never } : undefined,
    // Without a verifier ssh2 accepts any key; this one applies the known_hosts policy.
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey({ file: endpoint.knownHostsFile, host: endpoint.host, port: endpoint.port, key, policy: endpoint.hostKeyPolicy })
        .then((record) => {
          settings.onHostKey(record);
          if (!record.accepted) refusal = record.error;
          verify(record.accepted);
        })
        .catch((err: Error) => {
          refusal = `host key check for ${endpoint.host}:${endpoint.port} failed: ${err.message}`;
          verify(false);
        });
    },
  };
  // Loaded on first use: a run without SSH steps never pays for ssh2.
  const { Client } = await import('ssh2');
  const client = new Client();
  return new Promise<ConnectResult>((resolve) => {
    let settled = false;
    let ready = false;
    const settle = (result: ConnectResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    // Stays attached for the client's whole life (node-ssh#421).
    client.on('error', (err: Error & { code?: string; level?: string }) => {
      if (!ready) {
        settle({ ok: false, error: refusal ?? describeError(err, endpoint, settings.readyTimeoutMs) });
        client.end();
      } else {
        settings.onClosed(describeError(err, endpoint, settings.readyTimeoutMs));
      }
    });
    client.on('close', () => {
      if (!ready) settle({ ok: false, error: refusal ?? `connection to ${endpoint.host}:${endpoint.port} closed during handshake` });
      else settings.onClosed(`connection to ${endpoint.host}:${endpoint.port} closed`);
    });
    client.on('ready', () => {
      ready = true;
      settle({ ok: true, client });
    });
    try {
      client.connect(config);
    } catch (err) {
      // ssh2 throws synchronously for e.g. an encrypted key without passphrase.
      settle({ ok: false, error: `ssh ${endpoint.user}@${endpoint.host}:${endpoint.port}: ${(err as Error).message}` });
    }
  });
}

/** Open a direct-tcpip stream from `via` to host:port (for the next hop), with a deadline. */
export function forwardThrough(via: Client, host: string, port: number, timeoutMs: number): Promise<Duplex | string> {
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      resolve(`jump host did not open a tunnel to ${host}:${port} within ${timeoutMs / 1000} s`);
    }, timeoutMs);
    try {
      via.forwardOut('127.0.0.1', 0, host, port, (err, stream) => {
        clearTimeout(timer);
        if (timedOut) stream?.destroy(); // nobody is waiting for it any more
        else if (err) resolve(`jump host cannot reach ${host}:${port}: ${err.message}`);
        else resolve(stream);
      });
    } catch (err) {
      clearTimeout(timer);
      resolve(`jump host cannot reach ${host}:${port}: ${(err as Error).message}`);
    }
  });
}
