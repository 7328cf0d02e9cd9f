/**
 * OpenSSH known_hosts: parse, look up and verify a presented host key, and (under
 * `accept-new`) record unknown keys — the same decisions as `ssh -o StrictHostKeyChecking=…`.
 *
 * Supported line forms: `host[,host…] type base64 [comment]` with `[host]:port`, `*`/`?` globs
 * and `!negation`; hashed names `|1|salt|hmac`; the `@revoked` marker. `@cert-authority` lines
 * are skipped (netdiag does not negotiate host certificates).
 */
import { createHash, createHmac } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { HostKeyPolicy } from './types.js';

/** One key line of a known_hosts file. */
export interface KnownHostEntry {
  /** Comma-separated host patterns, or a single `|1|salt|hash` hashed name. */
  hostPatterns: string;
  marker?: 'revoked';
  /** Key type as written, e.g. `ssh-ed25519`. */
  keyType: string;
  /** SSH wire-format public key blob. */
  key: Buffer;
  line: number;
}

/** Outcome of checking one presented key, kept per host for the run manifest. */
export interface HostKeyRecord {
  /** `host` for port 22, else `[host]:port` — the known_hosts lookup name. */
  host: string;
  policy: HostKeyPolicy;
  knownHostsFile: string;
  keyType: string;
  /** `SHA256:<base64>` as `ssh-keygen -l` prints it. */
  fingerprint: string;
  /**
   * known: matched a stored key · added: unknown and appended (accept-new) · unknown: not stored
   * (refused under strict, accepted under off) · mismatch: a different key of the same type is
   * stored (refused unless off) · revoked: the key is marked @revoked (always refused).
   */
  result: 'known' | 'added' | 'unknown' | 'mismatch' | 'revoked';
  accepted: boolean;
  /** Human-readable reason when refused. */
  error?: string;
}

/** The name OpenSSH looks up: bare host on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:…` fingerprint of a wire-format key blob (unpadded base64, like OpenSSH). */
export function fingerprintOf(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

/** Key type from the first length-prefixed string of a wire-format key blob. */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

/** Parse known_hosts text; malformed lines are ignored, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') return; // @cert-authority and unknown markers
      marker = 'revoked';
      fields.shift();
    }
    if (fields.length < 3) return;
    const key = Buffer.from(fields[2], 'base64');
    if (key.length === 0) return;
    entries.push({ hostPatterns: fields[0], marker, keyType: fields[1], key, line: index + 1 });
  });
  return entries;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Does an entry's host field name `name` (already in `[host]:port` form where needed)? */
export function entryMatchesHost(hostPatterns: string, name: string): boolean {
  if (hostPatterns.startsWith('|1|')) {
    const [, , salt, hash] = hostPatterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return digest === hash;
  }
  let matched = false;
  for (const pattern of hostPatterns.split(',')) {
    const negated = pattern.startsWith('!');
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false; // a matching negation overrides every positive match
      matched = true;
    }
  }
  return matched;
}

/** Entries that apply to `name`, revoked ones included. */
export function entriesForHost(entries: KnownHostEntry[], name: string): KnownHostEntry[] {
  return entries.filter((e) => entryMatchesHost(e.hostPatterns, name));
}

/** Compare a presented key with stored entries (no policy applied yet). */
export function classifyKey(
  entries: KnownHostEntry[],
  name: string,
  key: Buffer,
): 'known' | 'unknown' | 'mismatch' | 'revoked' {
  // @revoked applies to the key wherever it appears, whatever host the line names.
  if (entries.some((e) => e.marker === 'revoked' && e.key.equals(key))) return 'revoked';
  const forHost = entriesForHost(entries, name).filter((e) => !e.marker);
  if (forHost.some((e) => e.key.equals(key))) return 'known';
  const type = keyTypeOf(key);
  // Only a stored key of the SAME type is a "changed" key; another type means this type is
  // simply unknown (OpenSSH treats it the same way).
  return forHost.some((e) => keyTypeOf(e.key) === type) ? 'mismatch' : 'unknown';
}

async function readKnownHosts(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Writers to one file are serialised so concurrent accept-new hosts don't lose lines. */
const appendQueues = new Map<string, Promise<unknown>>();

/**
 * Append a `name type base64` line to a known_hosts file atomically: the new content goes to a
 * temp file in the same directory and is renamed over the original, so a reader (or a crash)
 * never sees a half-written file.
 */
export function appendKnownHost(file: string, name: string, key: Buffer): Promise<void> {
  const previous = appendQueues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const current = await readKnownHosts(file);
    const separator = current === '' || current.endsWith('\n') ? '' : '\n';
    const line = `${name} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
    const temp = `${file}.netdiag-${process.pid}-${Date.now()}.tmp`;
    await writeFile(temp, current + separator + line, { mode: 0o600 });
    await rename(temp, file);
  });
  appendQueues.set(file, next);
  return next;
}

/** Key types stored for a host, so the client can prefer them during key exchange. */
export async function knownKeyTypes(file: string, host: string, port: number): Promise<string[]> {
  const entries = parseKnownHosts(await readKnownHosts(file));
  const types = entriesForHost(entries, knownHostsName(host, port))
    .filter((e) => !e.marker)
    .map((e) => keyTypeOf(e.key));
  return [...new Set(types)];
}

/**
 * Check a presented host key against `file` under `policy`; appends it under accept-new when
 * unknown. Never throws for an unreadable/unwritable file: that becomes a refused record.
 */
export async function verifyHostKey(opts: {
  file: string;
  host: string;
  port: number;
  key: Buffer;
  policy: HostKeyPolicy;
}): Promise<HostKeyRecord> {
  const name = knownHostsName(opts.host, opts.port);
  const base = {
    host: name,
    policy: opts.policy,
    knownHostsFile: opts.file,
    keyType: keyTypeOf(opts.key),
    fingerprint: fingerprintOf(opts.key),
  };
  let result: ReturnType<typeof classifyKey>;
  try {
    result = classifyKey(parseKnownHosts(await readKnownHosts(opts.file)), name, opts.key);
  } catch (err) {
    if (opts.policy === 'off') return { ...base, result: 'unknown', accepted: true };
    const msg = `cannot read known_hosts ${opts.file}: ${(err as Error).message}`;
    return { ...base, result: 'unknown', accepted: false, error: msg };
  }
  const where = `${opts.host}:${opts.port}`;
  if (opts.policy === 'off' || result === 'known') return { ...base, result, accepted: true };
  if (result === 'revoked') {
    return { ...base, result, accepted: false, error: `host key for ${where} is revoked in ${opts.file}: refusing` };
  }
  if (result === 'mismatch') {
    return {
      ...base,
      result,
      accepted: false,
      error: `host key for ${where} changed (${opts.policy}): refusing; presented ${base.keyType} ${base.fingerprint}, see ${opts.file}`,
    };
  }
  if (opts.policy === 'strict') {
    return {
      ...base,
      result,
      accepted: false,
      error: `host key for ${where} is not in ${opts.file} (strict): refusing; presented ${base.keyType} ${base.fingerprint}`,
    };
  }
  try {
    await appendKnownHost(opts.file, name, opts.key);
    return { ...base, result: 'added', accepted: true };
  } catch (err) {
    const msg = `cannot add host key for ${where} to ${opts.file}: ${(err as Error).message}`;
    return { ...base, result: 'unknown', accepted: false, error: msg };
  }
}
