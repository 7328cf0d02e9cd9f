/**
 * known_hosts parsing and policy decisions, with keys and hashed lines made by the real
 * ssh-keygen so the format is OpenSSH's, not our idea of it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classifyKey,
  entryMatchesHost,
  fingerprintOf,
  knownHostsName,
  parseKnownHosts,
  verifyHostKey,
} from '../../src/transport/known-hosts.js';

let dir: string;
const keys: Record<string, { type: string; base64: string; blob: Buffer; fingerprint: string }> = {};

function makeKey(name: string, type: 'ed25519' | 'ecdsa'): void {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', file]);
  const [keyType, base64] = execFileSync('cat', [`${file}.pub`], { encoding: 'utf8' }).trim().split(' ');
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
  keys[name] = { type: keyType, base64, blob: Buffer.from(base64, 'base64'), fingerprint };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ndt-knownhosts-'));
  makeKey('a', 'ed25519');
  makeKey('b', 'ed25519');
  makeKey('c', 'ecdsa');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('known_hosts parsing', () => {
  it('names hosts like OpenSSH: bare on port 22, [host]:port otherwise', () => {
    expect(knownHostsName('node1', 22)).toBe('node1');
    expect(knownHostsName('10.0.0.1', 2222)).toBe('[10.0.0.1]:2222');
  });

  it('computes the same SHA256 fingerprint as ssh-keygen -l', () => {
    expect(fingerprintOf(keys.a.blob)).toBe(keys.a.fingerprint);
  });

  it('parses comments, markers, patterns and skips junk and @cert-authority', () => {
    const text = [
      '# comment',
      '',
      `node1,10.0.0.1 ${keys.a.type} ${keys.a.base64} some comment`,
      `@revoked * ${keys.b.type} ${keys.b.base64}`,
      `@cert-authority *.example ${keys.c.type} ${keys.c.base64}`,
      'garbage-line',
    ].join('\n');
    const entries = parseKnownHosts(text);
    expect(entries.map((e) => [e.hostPatterns, e.marker, e.keyType, e.line])).toEqual([
      ['node1,10.0.0.1', undefined, 'ssh-ed25519', 3],
      ['*', 'revoked', 'ssh-ed25519', 4],
    ]);
  });

  it('matches globs and lets a negation win', () => {
    expect(entryMatchesHost('node*,!node3', 'node1')).toBe(true);
    expect(entryMatchesHost('node*,!node3', 'node3')).toBe(false);
    expect(entryMatchesHost('[10.0.0.?]:2222', '[10.0.0.7]:2222')).toBe(true);
    expect(entryMatchesHost('[10.0.0.?]:2222', '[10.0.0.7]:22')).toBe(false);
  });

  it('matches hashed entries written by ssh-keygen -H', async () => {
    const file = join(dir, 'hashed');
    await writeFile(file, `[127.0.0.1]:2200 ${keys.a.type} ${keys.a.base64}\nnode9 ${keys.c.type} ${keys.c.base64}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const entries = parseKnownHosts(await readFile(file, 'utf8'));
    expect(entries.every((e) => e.hostPatterns.startsWith('|1|'))).toBe(true);
    expect(classifyKey(entries, '[127.0.0.1]:2200', keys.a.blob)).toBe('known');
    expect(classifyKey(entries, 'node9', keys.c.blob)).toBe('known');
    expect(classifyKey(entries, '[127.0.0.1]:2201', keys.a.blob)).toBe('unknown');
  });

  it('classifies known, changed (same type), other-type-only and revoked keys', () => {
    const entries = parseKnownHosts(
      `node1 ${keys.a.type} ${keys.a.base64}\nnode2 ${keys.c.type} ${keys.c.base64}\n@revoked * ${keys.b.type} ${keys.b.base64}\n`,
    );
    expect(classifyKey(entries, 'node1', keys.a.blob)).toBe('known');
    expect(classifyKey(entries, 'node2', keys.a.blob)).toBe('unknown'); // only an ecdsa key is stored
    expect(classifyKey(entries, 'node1', keys.b.blob)).toBe('revoked');
    const withoutRevocation = parseKnownHosts(`node1 ${keys.a.type} ${keys.a.base64}\n`);
    expect(classifyKey(withoutRevocation, 'node1', keys.b.blob)).toBe('mismatch');
  });
});

describe('verifyHostKey policies', () => {
  it('strict refuses unknown keys and leaves the file alone', async () => {
    const file = join(dir, 'strict_unknown');
    const record = await verifyHostKey({ file, host: 'h', port: 22, key: keys.a.blob, policy: 'strict' });
    expect(record).toMatchObject({ result: 'unknown', accepted: false, fingerprint: keys.a.fingerprint });
    expect(record.error).toContain('(strict): refusing');
    await expect(readFile(file, 'utf8')).rejects.toThrow(/ENOENT/);
  });

  it('accept-new appends unknown keys (creating the file), concurrently without losing lines', async () => {
    const file = join(dir, 'sub', 'accept_new');
    const records = await Promise.all(
      [2201, 2202, 2203].map((port) =>
        verifyHostKey({ file, host: '127.0.0.1', port, key: keys.a.blob, policy: 'accept-new' }),
      ),
    );
    expect(records.map((r) => r.result)).toEqual(['added', 'added', 'added']);
    const lines = (await readFile(file, 'utf8')).trim().split('\n').sort();
    expect(lines).toEqual([2201, 2202, 2203].map((p) => `[127.0.0.1]:${p} ${keys.a.type} ${keys.a.base64}`));
    const again = await verifyHostKey({ file, host: '127.0.0.1', port: 2202, key: keys.a.blob, policy: 'strict' });
    expect(again).toMatchObject({ result: 'known', accepted: true });
  });

  it('accept-new refuses a changed key; off accepts it but still records the mismatch', async () => {
    const file = join(dir, 'changed');
    await writeFile(file, `node1 ${keys.a.type} ${keys.a.base64}`); // no trailing newline
    const refused = await verifyHostKey({ file, host: 'node1', port: 22, key: keys.b.blob, policy: 'accept-new' });
    expect(refused).toMatchObject({ result: 'mismatch', accepted: false });
    expect(refused.error).toBe(
      `host key for node1:22 changed (accept-new): refusing; presented ssh-ed25519 ${keys.b.fingerprint}, see ${file}`,
    );
    const off = await verifyHostKey({ file, host: 'node1', port: 22, key: keys.b.blob, policy: 'off' });
    expect(off).toMatchObject({ result: 'mismatch', accepted: true });
    // An ecdsa key for a host known only by ed25519 is new, appended after the unterminated line.
    const added = await verifyHostKey({ file, host: 'node1', port: 22, key: keys.c.blob, policy: 'accept-new' });
    expect(added.result).toBe('added');
    expect((await readFile(file, 'utf8')).split('\n')).toEqual([
      `node1 ${keys.a.type} ${keys.a.base64}`,
      `node1 ${keys.c.type} ${keys.c.base64}`,
      '',
    ]);
  });

  it('refuses revoked keys even under accept-new', async () => {
    const file = join(dir, 'revoked');
    await writeFile(file, `@revoked * ${keys.b.type} ${keys.b.base64}\n`);
    const record = await verifyHostKey({ file, host: 'x', port: 22, key: keys.b.blob, policy: 'accept-new' });
    expect(record).toMatchObject({ result: 'revoked', accepted: false });
  });
});
