/**
 * Redaction, file by file over the seeded-secrets corpus: every seeded value disappears, the
 * evidence around it stays byte-for-byte, and chunk boundaries (down to 3-byte chunks) never
 * change the result. Also: user patterns and their validation, binary masking across chunks,
 * head/tail truncation at line boundaries.
 */
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { LineRedactor } from '../../src/artifacts/redact-lines.js';
import { BinaryMasker, LineTransform, type LineTransformOptions } from '../../src/artifacts/redact-stream.js';
import { loadRedactorsFile, patternsFromFlags } from '../../src/artifacts/redact-user.js';
import type { UserPattern } from '../../src/artifacts/redact-rules.js';

const FIX = path.resolve(__dirname, '../fixtures/secrets');
const secrets = readFileSync(path.join(FIX, 'secret-values.txt'), 'utf8')
  .split('\n')
  .filter((l) => l && !l.startsWith('#'));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'ndt-redact-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Streams `input` through the redactor in chunks of `chunk` bytes. */
async function redact(input: Buffer | string, chunk = 64 * 1024, opts: { user?: UserPattern[]; lt?: LineTransformOptions; builtIn?: boolean } = {}) {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += chunk) pieces.push(buf.subarray(i, i + chunk));
  const r = new LineRedactor({ userPatterns: opts.user, builtIn: opts.builtIn });
  const out: Buffer[] = [];
  for await (const c of Readable.from(pieces).pipe(new LineTransform(r, opts.lt))) out.push(c as Buffer);
  return { text: Buffer.concat(out).toString('latin1'), counts: r.counts };
}

/** Every PEM body line of the corpus counts as a secret too. */
function pemBodies(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/g)) {
    for (const l of m[1].split(/\\n|\n/)) if (l.trim().length >= 16) out.push(l.trim());
  }
  return out;
}

const CORPUS = [
  'kubeconfig.yaml',
  'secret.yaml',
  'secrets-list.yaml',
  'secrets-list.json',
  'secrets-compact.json',
  'pod-env.yaml',
  'pod-env.json',
  'pod-env-compact.json',
  'keys.txt',
  'aws-credentials.ini',
  'env.txt',
  'urls.txt',
  'app.log',
  'describe-pod.txt',
];

describe('built-in redaction over the seeded corpus', () => {
  for (const file of CORPUS) {
    it(`${file}: no seeded secret survives, at any chunk size`, async () => {
      const input = readFileSync(path.join(FIX, file));
      const whole = await redact(input);
      for (const chunk of [3, 17, 4096]) expect((await redact(input, chunk)).text).toBe(whole.text);
      const leaked = [...secrets, ...pemBodies(input.toString('latin1'))].filter((s) => whole.text.includes(s));
      expect(leaked).toEqual([]);
      expect(Object.values(whole.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    });
  }

  it('keeps the evidence around the secrets intact', async () => {
    const kube = (await redact(readFileSync(path.join(FIX, 'kubeconfig.yaml')))).text;
    // Public certificates are kept on purpose (expiry/issuer checks).
    expect(kube).toMatch(/client-certificate-data: LS0t/);
    expect(kube).toMatch(/certificate-authority-data: LS0t/);
    expect(kube).toContain('client-key-data: "[REDACTED:kubeconfig-client-key]"');
    expect(kube).toContain('    server: https://198.18.0.10:6443\n');

    const list = (await redact(readFileSync(path.join(FIX, 'secrets-list.yaml')))).text;
    // The ConfigMap's data (flannel's net-conf.json) is evidence, not a secret.
    expect(list).toContain('    net-conf.json: |\n      {\n        "Network": "198.19.0.0/16",');
    expect(list).toContain('    api-key: "[REDACTED:secret-data]"');

    const json = (await redact(readFileSync(path.join(FIX, 'secrets-list.json')))).text;
    expect(json).toContain('"Corefile": ".:53 {\\n    forward . /etc/resolv.conf\\n}\\n"');
    const compact = (await redact(readFileSync(path.join(FIX, 'secrets-compact.json')))).text;
    expect(compact).toContain('"data":{"mode":"iptables"}');

    const pod = await redact(readFileSync(path.join(FIX, 'pod-env.yaml')));
    expect(pod.text).toContain('    - name: LOG_LEVEL\n      value: debug\n');
    expect(pod.text).toContain('    - name: DB_HOST\n      value: db.prod.svc\n');
    expect(pod.text).toContain('    - --log-level=debug\n');
    expect(pod.text).toContain('        secretKeyRef:\n          key: password\n          name: db\n');
    expect(pod.counts['env-secret']).toBe(4);

    const keys = (await redact(readFileSync(path.join(FIX, 'keys.txt')))).text;
    expect(keys).toContain('-----BEGIN CERTIFICATE-----\nMIIB');
    expect(keys.match(/\[REDACTED:private-key\]/g)).toHaveLength(6);

    const env = (await redact(readFileSync(path.join(FIX, 'env.txt')))).text;
    expect(env).toContain('PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin\nHOME=/root\n');
    expect(env).toContain('KUBERNETES_SERVICE_HOST=10.96.0.1\n');
    const describe = (await redact(readFileSync(path.join(FIX, 'describe-pod.txt')))).text;
    expect(describe).toContain('      LOG_LEVEL:        debug\n');
    expect(describe).toContain("      DB_USER:          <set to the key 'username' in secret 'db'>  Optional: false\n");
    expect(describe).toContain('/var/run/secrets/kubernetes.io/serviceaccount from kube-api-access-abcde (ro)');
    const urls = (await redact(readFileSync(path.join(FIX, 'urls.txt')))).text;
    expect(urls).toContain('public https://example.com:8443/path@version (no credentials)');
  });

  it('changes nothing in files without secrets (byte-identical, CRLF and missing final newline too)', async () => {
    for (const f of ['iptables-node-1.txt', 'ip-route-node-1.txt', 'bridge-fdb-node-1.txt', 'ip-addr-node-1.json', 'nodes.yaml']) {
      const input = readFileSync(path.join(FIX, 'evidence', f));
      const r = await redact(input, 5);
      expect(r.text).toBe(input.toString('latin1'));
      expect(r.counts).toEqual({});
    }
    const odd = 'a: 1\r\nb: caf\xe9\r\nno final newline';
    expect((await redact(Buffer.from(odd, 'latin1'), 2)).text).toBe(odd);
    expect((await redact('')).text).toBe('');
    expect((await redact('\n\n')).text).toBe('\n\n');
  });

  it('redacts a PEM block split across chunks and an unterminated one entirely', async () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nAAAABBBBCCCCDDDDEEEE\nFFFFGGGG\n';
    const r = await redact(`x\n${pem}`, 4);
    expect(r.text).toBe('x\n-----BEGIN RSA PRIVATE KEY-----\n[REDACTED:private-key]\n');
  });

  it('treats a data block cut before its kind as a Secret when the input was truncated', async () => {
    const input = 'items:\n- apiVersion: v1\n  data:\n    mode: c2VjcmV0LXZhbHVl\n';
    const cutShort = new LineRedactor({ heldAtEndIsSecret: true });
    const out = [...input.trimEnd().split('\n').flatMap((l) => cutShort.push(l)), ...cutShort.end()].join('\n');
    expect(out).not.toContain('c2VjcmV0LXZhbHVl');
    // Without the truncation hint an object that never says `kind: Secret` is not one.
    expect((await redact(input)).text).toBe(input);
  });
});

describe('user patterns', () => {
  it('applies --redact-pattern and redactors-file patterns, with $1 replacements', async () => {
    const file = path.join(tmp, 'redactors.yaml');
    writeFileSync(file, '- name: employee-id\n  regex: "EMP-[0-9]{6}"\n- name: ticket\n  regex: "(TICKET-)[0-9]+"\n  replace: "$1####"\n');
    const user = [...patternsFromFlags(['internal\\.corp\\.example']), ...(await loadRedactorsFile(file))];
    const r = await redact('host api.internal.corp.example id EMP-123456 ref TICKET-4242\n', 64, { user, builtIn: false });
    expect(r.text).toBe('host api.[REDACTED:user:pattern-1] id [REDACTED:user:employee-id] ref TICKET-####\n');
    expect(r.counts).toEqual({ 'user:pattern-1': 1, 'user:employee-id': 1, 'user:ticket': 1 });
  });

  it('reports an invalid regex in a redactors file with file:line:col', async () => {
    const file = path.join(tmp, 'bad.yaml');
    writeFileSync(file, '- name: ok\n  regex: "abc"\n- name: broken\n  regex: "([a-z"\n- name: empty\n  regex: "x*"\n');
    const err = await loadRedactorsFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    const msg = (err as InputError).message;
    expect(msg).toContain(`${file}:4:10: [1].regex: invalid regular expression`);
    expect(msg).toContain(`${file}:6:10: [2].regex: regular expression matches empty text`);
  });

  it('rejects an invalid --redact-pattern naming the flag', () => {
    expect(() => patternsFromFlags(['ok', '(unclosed'])).toThrow(/--redact-pattern\[1\]: invalid regular expression/);
  });
});

describe('binary masking', () => {
  it('masks secrets byte-for-byte, also across chunk boundaries, keeping the length', async () => {
    const token = 'eyJhbGciOiJSUzI1NiJ9.binary-token-9f8e7d';
    const filler = Buffer.alloc(200_000, 0x01);
    const input = Buffer.concat([filler, Buffer.from(`\0Authorization: Bearer ${token}\r\n\0`), filler]);
    for (const chunk of [1000, 65536]) {
      const pieces: Buffer[] = [];
      for (let i = 0; i < input.length; i += chunk) pieces.push(input.subarray(i, i + chunk));
      const masker = new BinaryMasker(true, []);
      const out: Buffer[] = [];
      for await (const c of Readable.from(pieces).pipe(masker)) out.push(c as Buffer);
      const result = Buffer.concat(out);
      expect(result.length).toBe(input.length);
      expect(result.includes(token)).toBe(false);
      expect(result.includes(`Authorization: Bearer ${'*'.repeat(token.length)}`)).toBe(true);
      expect(masker.counts).toEqual({ authorization: 1 });
    }
  });
});

describe('truncation at line boundaries', () => {
  it('head: drops the partial last line and appends the note', async () => {
    const r = await redact('line-1\nline-2\npass', 4, { lt: { dropTrailingPartial: true, suffix: '\n[cut]\n' } });
    expect(r.text).toBe('line-1\nline-2\n\n[cut]\n');
  });
  it('tail: skips the partial first line and puts the note first', async () => {
    const r = await redact('ial-line\nline-8\nline-9\n', 3, { lt: { skipLeadingPartial: true, prefix: '[cut]\n' } });
    expect(r.text).toBe('[cut]\nline-8\nline-9\n');
  });
});
