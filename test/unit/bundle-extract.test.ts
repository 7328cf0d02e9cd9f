/**
 * Safe extraction against hostile bundles built byte by byte here (raw ustar headers, so the
 * archive says exactly what an attacker would write): path traversal, absolute paths, a
 * symlink to /etc followed by a file through it, a hard link outside, device and FIFO entries,
 * gzip bombs, a tampered checksum. Each is refused with a clear InputError and nothing is
 * written outside the (then removed) temp folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { extractBundle } from '../../src/artifacts/extract.js';

const sandbox = mkdtempSync(path.join(os.tmpdir(), 'ndt-extract-'));
const tmpRoot = path.join(sandbox, 'tmp');
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
beforeEach(() => {
  rmSync(tmpRoot, { recursive: true, force: true });
  mkdirSync(tmpRoot);
});

type Entry = { name: string; type?: string; link?: string; data?: Buffer | string; size?: number };

/** One ustar header (+ data padded to 512). `size` may lie about the data, like a bomb would. */
function tarEntry(e: Entry): Buffer {
  const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
  const h = Buffer.alloc(512);
  const put = (s: string, at: number, len: number) => h.write(s.slice(0, len), at, len, 'latin1');
  const octal = (n: number, at: number, len: number) => put(n.toString(8).padStart(len - 1, '0') + '\0', at, len);
  put(e.name, 0, 100);
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(e.size ?? data.length, 124, 12);
  octal(1_700_000_000, 136, 12);
  h.fill(' ', 148, 156);
  put(e.type ?? '0', 156, 1);
  put(e.link ?? '', 157, 100);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([h, data, pad]);
}

function bundle(name: string, entries: Entry[], raw?: Buffer): string {
  const file = path.join(sandbox, `${name}.tar.gz`);
  writeFileSync(file, raw ?? gzipSync(Buffer.concat([...entries.map(tarEntry), Buffer.alloc(1024)])));
  return file;
}

async function refused(file: string, opts?: Parameters<typeof extractBundle>[1]): Promise<string> {
  const err = await extractBundle(file, { tmpRoot, ...opts }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  // Nothing left behind: not the temp folder, not anything outside it.
  expect(readdirSync(tmpRoot)).toEqual([]);
  return (err as Error).message;
}

const top = 'netdiag-p-20261203T000000Z';

describe('extractBundle', () => {
  it('extracts a good bundle and verifies its checksum', async () => {
    const file = bundle('good', [{ name: `${top}/`, type: '5' }, { name: `${top}/run.json`, data: '{}' }, { name: `${top}/sub/a.txt`, data: 'hello' }]);
    writeFileSync(`${file}.sha256`, `${createHash('sha256').update(readFileSync(file)).digest('hex')}  good.tar.gz\n`);
    const r = await extractBundle(file, { tmpRoot });
    expect(r.verified).toBe(true);
    expect(r.runDir).toBe(path.join(r.dir, top));
    expect(readdirSync(path.join(r.runDir, 'sub'))).toEqual(['a.txt']);
    rmSync(r.dir, { recursive: true });
  });

  it('refuses a bundle whose checksum does not match', async () => {
    const file = bundle('tampered', [{ name: `${top}/run.json`, data: '{}' }]);
    writeFileSync(`${file}.sha256`, `${'0'.repeat(64)}  tampered.tar.gz\n`);
    expect(await refused(file)).toMatch(/checksum mismatch/);
  });

  it('refuses path traversal', async () => {
    const msg = await refused(bundle('traversal', [{ name: `${top}/ok.txt`, data: 'x' }, { name: `${top}/../../x`, data: 'evil' }]));
    expect(msg).toMatch(/refused: entry ".*\.\.\/\.\.\/x": path contains '\.\.'/);
    expect(existsSync(path.join(sandbox, 'x'))).toBe(false);
    expect(existsSync(path.join(tmpRoot, 'x'))).toBe(false);
  });

  it('refuses absolute paths', async () => {
    const target = path.join(sandbox, 'abs-target');
    const msg = await refused(bundle('absolute', [{ name: target, data: 'evil' }]));
    expect(msg).toMatch(/absolute path/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a symlink to /etc (and never writes the file through it)', async () => {
    const msg = await refused(bundle('symlink', [{ name: `${top}/etc`, type: '2', link: '/etc' }, { name: `${top}/etc/ndt-evil`, data: 'evil' }]));
    expect(msg).toMatch(/symlink to "\/etc" \(links are not allowed\)/);
    expect(existsSync('/etc/ndt-evil')).toBe(false);
  });

  it('refuses a hard link pointing outside', async () => {
    const msg = await refused(bundle('hardlink', [{ name: `${top}/passwd`, type: '1', link: '../../../../etc/passwd' }]));
    expect(msg).toMatch(/hard link to "\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd"/);
  });

  it('refuses device and FIFO entries', async () => {
    expect(await refused(bundle('chardev', [{ name: `${top}/null`, type: '3' }]))).toMatch(/CharacterDevice entries are not allowed/);
    expect(await refused(bundle('blockdev', [{ name: `${top}/sda`, type: '4' }]))).toMatch(/BlockDevice entries are not allowed/);
    expect(await refused(bundle('fifo', [{ name: `${top}/pipe`, type: '6' }]))).toMatch(/FIFO entries are not allowed/);
  });

  it('stops a gzip bomb: one huge entry (a few KB on disk) over the per-entry cap', async () => {
    const file = bundle('bomb1', [{ name: `${top}/zeros`, data: Buffer.alloc(16 * 1024 * 1024) }]);
    expect(statSync(file).size).toBeLessThan(64 * 1024);
    expect(await refused(file, { maxBytes: 4 * 1024 * 1024 })).toMatch(/exceeds the per-entry cap/);
  });

  it('stops a gzip bomb: many entries under the per-entry cap, over the total', async () => {
    const entries = Array.from({ length: 40 }, (_, i) => ({ name: `${top}/z${i}`, data: Buffer.alloc(512 * 1024) }));
    expect(await refused(bundle('bomb2', entries), { maxBytes: 4 * 1024 * 1024 })).toMatch(/bytes uncompressed \(possible gzip bomb\)/);
  });

  it('stops a raw gzip bomb that is not even a tar', async () => {
    const file = bundle('bomb3', [], gzipSync(Buffer.alloc(32 * 1024 * 1024, 0x41)));
    expect(await refused(file, { maxBytes: 1024 * 1024 })).toMatch(/possible gzip bomb|not a valid bundle/);
  });

  it('refuses garbage and duplicate entries', async () => {
    expect(await refused(bundle('garbage', [], Buffer.from('this is not a bundle')))).toMatch(/refused/);
    const dup = bundle('dup', [{ name: `${top}/a`, data: 'one' }, { name: `${top}/a`, data: 'two' }]);
    expect(await refused(dup)).toMatch(/EEXIST/);
  });
});
