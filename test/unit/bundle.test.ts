/**
 * Bundles end to end: a fake run directory holding the seeded-secrets corpus, non-secret
 * evidence and a real loopback capture whose payload carries a bearer token is bundled,
 * extracted again, and every extracted byte is searched for every seeded secret. Evidence must
 * come back byte-identical; the originals on disk must stay untouched.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createBundle } from '../../src/artifacts/bundle.js';
import { estimateBundle } from '../../src/artifacts/bundle-estimate.js';
import { extractBundle } from '../../src/artifacts/extract.js';
import { register } from '../../src/cli/commands/bundle.js';
import { EVIDENCE_FILES, captureLoopback, makeRunDir, readTree, seededSecrets, syntheticPcap } from '../fixtures/secrets/run-dir.js';

const PCAP_TOKEN = 'eyJhbGciOiJSUzI1NiJ9.pcap-payload-token.c2ln';
const sandbox = mkdtempSync(path.join(os.tmpdir(), 'ndt-bundle-'));
let runDir: string;
let original: Map<string, Buffer>;
const extracted: string[] = [];

beforeAll(async () => {
  runDir = makeRunDir(sandbox);
  await captureLoopback(path.join(runDir, 'captures', 'node-1.pcap'), `GET / HTTP/1.1\r\nAuthorization: Bearer ${PCAP_TOKEN}\r\n\r\n`);
  original = readTree(runDir);
});
afterAll(() => {
  for (const d of extracted) rmSync(d, { recursive: true, force: true });
  rmSync(sandbox, { recursive: true, force: true });
});

async function bundleAndExtract(dir: string, opts: Parameters<typeof createBundle>[1] = {}) {
  const result = await createBundle(dir, opts);
  const x = await extractBundle(result.bundlePath);
  extracted.push(x.dir);
  return { result, x, files: readTree(x.runDir) };
}

describe('createBundle (redaction on by default)', () => {
  it('leaves no seeded secret anywhere in the bundle, pcap included, and keeps evidence byte-identical', async () => {
    const { result, x, files } = await bundleAndExtract(runDir);
    expect(path.basename(result.bundlePath)).toBe('netdiag-network-diagnosis-20261203T070000Z.tar.gz');
    expect(path.dirname(result.bundlePath)).toBe(path.dirname(runDir));
    expect(path.basename(x.runDir)).toBe('netdiag-network-diagnosis-20261203T070000Z');
    expect(x.verified).toBe(true);

    const secrets = [...seededSecrets(), PCAP_TOKEN];
    const leaks: string[] = [];
    for (const [rel, bytes] of files) for (const s of secrets) if (bytes.includes(s)) leaks.push(`${rel}: ${s}`);
    expect(leaks).toEqual([]);

    for (const f of EVIDENCE_FILES) expect(files.get(f)?.equals(original.get(f)!), f).toBe(true);
    // The capture keeps its size and structure: only the token bytes are masked.
    const pcap = files.get('captures/node-1.pcap')!;
    const orig = original.get('captures/node-1.pcap')!;
    expect(pcap.length).toBe(orig.length);
    expect(pcap.includes(`Authorization: Bearer ${'*'.repeat(PCAP_TOKEN.length)}`)).toBe(true);
    // Originals on disk are untouched.
    expect(readTree(runDir)).toEqual(original);

    const manifest = JSON.parse(files.get('bundle-manifest.json')!.toString());
    expect(manifest.format).toBe('netdiag-bundle/1');
    const entry = (p: string) => manifest.files.find((f: { path: string }) => f.path === p);
    expect(entry('k8s/kubeconfig.yaml').redactions).toEqual({ 'kubeconfig-client-key': 1, token: 3, password: 1, secret: 1 });
    expect(entry('captures/node-1.pcap').redactions).toEqual({ authorization: 1 });
    expect(entry('iptables-node-1.txt')).toMatchObject({ redactions: {}, truncated: false, obfuscated: false, originalBytes: original.get('iptables-node-1.txt')!.length });
    for (const f of manifest.files) {
      const { createHash } = await import('node:crypto');
      expect(createHash('sha256').update(files.get(f.path)!).digest('hex'), f.path).toBe(f.sha256);
      expect(files.get(f.path)!.length).toBe(f.bundledBytes);
    }
    expect(result.redactions['secret-data']).toBeGreaterThan(0);
    expect(result.files).toBe(files.size);
    expect(result.mappingPath).toBeUndefined();
  });

  it('writes a sha256sum-compatible checksum file and a tarball the system tar reads', () => {
    const dir = path.dirname(runDir);
    const out = execFileSync('sha256sum', ['-c', 'netdiag-network-diagnosis-20261203T070000Z.tar.gz.sha256'], { cwd: dir }).toString();
    expect(out).toContain('netdiag-network-diagnosis-20261203T070000Z.tar.gz: OK');
    const listing = execFileSync('tar', ['tzf', 'netdiag-network-diagnosis-20261203T070000Z.tar.gz'], { cwd: dir }).toString().split('\n');
    expect(listing).toContain('netdiag-network-diagnosis-20261203T070000Z/run.json');
    expect(listing).toContain('netdiag-network-diagnosis-20261203T070000Z/bundle-manifest.json');
  });

  it('--no-redact keeps content as is; user patterns still apply', async () => {
    const { files, result } = await bundleAndExtract(runDir, { redact: false, extraPatterns: ['kc-token-[0-9a-f]+'] });
    const kube = files.get('k8s/kubeconfig.yaml')!.toString();
    expect(kube).toContain('[REDACTED:user:pattern-1]');
    expect(kube).toContain('kc-basic-pass-Zq81');
    expect(result.redactions).toEqual({ 'user:pattern-1': 1 });
  });

  it('redactInPlace also rewrites the run directory', async () => {
    const copy = makeRunDir(path.join(sandbox, 'inplace'));
    await createBundle(copy, { redactInPlace: true });
    const after = readTree(copy);
    for (const s of seededSecrets()) for (const [rel, b] of after) expect(b.includes(s), `${rel}: ${s}`).toBe(false);
    expect(after.get('iptables-node-1.txt')!.equals(original.get('iptables-node-1.txt')!)).toBe(true);
  });
});

describe('size budget', () => {
  let dir: string;
  beforeAll(() => {
    dir = path.join(sandbox, 'budget', 'artifacts', 'big-plan', '20261203T080000Z');
    mkdirSync(path.join(dir, 'captures'), { recursive: true });
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ plan: { name: 'big-plan' }, steps: [] }));
    writeFileSync(path.join(dir, 'ip-route.txt'), 'default via 198.18.0.1 dev eth0\n');
    const lines: string[] = [];
    for (let i = 1; i <= 60_000; i++) lines.push(`2026-12-03T07:00:00Z line ${String(i).padStart(6, '0')} coredns query A example.org`);
    writeFileSync(path.join(dir, 'coredns-logs.txt'), lines.join('\n') + '\n'); // ~3.6 MB
    const packets = Array.from({ length: 2000 }, (_, i) => ({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', src: '198.18.0.11', dst: '198.18.0.12', payload: `packet ${i} `.padEnd(1000, '.') }));
    writeFileSync(path.join(dir, 'captures', 'node-1.pcap'), syntheticPcap(packets)); // ~2 MB
  });

  it('keeps the newest part of a log, cuts captures first at a record boundary, records it all', async () => {
    const MiB = 1024 * 1024;
    const estimate = await estimateBundle(dir, { perFileCapBytes: MiB, totalBudgetBytes: 1.5 * MiB });
    const { files, result } = await bundleAndExtract(dir, { perFileCapBytes: MiB, totalBudgetBytes: 1.5 * MiB });
    const log = files.get('coredns-logs.txt')!.toString().split('\n');
    expect(log[0]).toMatch(/^\[netdiag: truncated - kept the last 1048576 of \d+ bytes \(per-file-cap\)/);
    expect(log[1]).toMatch(/^2026-12-03T07:00:00Z line \d{6} coredns query A example.org$/);
    expect(log.at(-2)).toBe('2026-12-03T07:00:00Z line 060000 coredns query A example.org');
    expect(files.get('ip-route.txt')!.toString()).toBe('default via 198.18.0.1 dev eth0\n');

    const pcap = files.get('captures/node-1.pcap')!;
    let at = 24;
    let packets = 0;
    while (at < pcap.length) {
      at += 16 + pcap.readUInt32LE(at + 8);
      packets++;
    }
    expect(at).toBe(pcap.length); // whole records only
    expect(packets).toBeGreaterThan(0);
    expect(packets).toBeLessThan(2000);

    expect(result.truncated.sort()).toEqual(['captures/node-1.pcap', 'coredns-logs.txt']);
    const manifest = JSON.parse(files.get('bundle-manifest.json')!.toString());
    const cap = manifest.files.find((f: { path: string }) => f.path === 'captures/node-1.pcap');
    expect(cap.truncated).toMatchObject({ kept: 'head', reason: 'total-budget' });
    expect(manifest.budget).toMatchObject({ perFileCapBytes: MiB, totalBudgetBytes: 1.5 * MiB, overBudget: false });
    expect(manifest.budget.bundledBytes).toBeLessThanOrEqual(1.5 * MiB + 4096);

    expect(estimate.bundledBytes).toBeLessThanOrEqual(1.5 * MiB);
    expect(estimate.cuts.map((c) => c.rel).sort()).toEqual(['captures/node-1.pcap', 'coredns-logs.txt']);
    // The compressed estimate is in the right ballpark of the real bundle.
    expect(estimate.estimatedBytes).toBeGreaterThan(result.bytes / 3);
    expect(estimate.estimatedBytes).toBeLessThan(result.bytes * 3);
  });
});

describe('netdiag bundle (CLI module)', () => {
  async function cli(args: string[]): Promise<{ code: number | undefined; out: string }> {
    let code: number | undefined;
    const program = new Command('netdiag').exitOverride();
    register(program, (c) => (code = c));
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await program.parseAsync(['node', 'netdiag', 'bundle', ...args]);
      return { code, out: spy.mock.calls.map((c) => String(c[0])).join('') };
    } finally {
      spy.mockRestore();
    }
  }

  it('--estimate prints the expected size and writes nothing', async () => {
    const copy = makeRunDir(path.join(sandbox, 'cli'));
    const { code, out } = await cli([copy, '--estimate']);
    expect(code).toBe(0);
    expect(out).toMatch(/^\d+ files, .* in the run directory → .* bundled, about .* compressed\n/);
    expect(readTree(path.dirname(copy)).size).toBe(readTree(copy).size);
  });

  it('bundles with --obfuscate and reports the mapping path', async () => {
    const copy = makeRunDir(path.join(sandbox, 'cli2'));
    const { code, out } = await cli([copy, '--obfuscate', '--max-file-size', '5MiB']);
    expect(code).toBe(0);
    expect(out).toContain('obfuscation map (keep it, do not send it): ');
    expect(out).toMatch(/redacted: .*secret-data ×\d+/);
  });

  it('rejects a bad size with an InputError naming the flag', async () => {
    await expect(cli([runDir, '--max-file-size', 'lots'])).rejects.toThrow(/--max-file-size: expected a size like 20MiB/);
  });
});
