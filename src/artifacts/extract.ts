/**
 * Safe extraction of a bundle someone sent you (the support engineer's side): the checksum is
 * verified first, then entries are written into a fresh temp folder by this code — not by a
 * generic unpacker — so every rule is explicit: only regular files and folders; no absolute
 * paths, no `..`, no links of any kind, no devices or FIFOs; a per-entry and a total size cap
 * that stop a gzip bomb while it inflates. On any refusal the partial output is removed and an
 * InputError says which entry and why. File modes from the archive are ignored (no setuid).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { InputError } from '../errors.js';
import { sha256File } from './bundle.js';

export interface ExtractOptions {
  /** Total uncompressed bytes allowed (default 2 GiB). */
  maxBytes?: number;
  /** Bytes allowed for one entry (default: maxBytes). */
  maxEntryBytes?: number;
  /** Parent of the temp folder (default: the OS temp dir). */
  tmpRoot?: string;
}

export interface ExtractResult {
  /** The fresh temp folder holding everything extracted (the caller removes it). */
  dir: string;
  /** The run directory inside it (the bundle's single top folder). */
  runDir: string;
  /** True when `<bundle>.sha256` was present and matched. */
  verified: boolean;
}

export const DEFAULT_EXTRACT_CAP = 2 * 1024 * 1024 * 1024;
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

/** Verifies `<bundle>.sha256` when present; a mismatch or a malformed file is an InputError. */
export async function verifyChecksum(bundlePath: string): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(`${bundlePath}.sha256`, 'utf8');
  } catch {
    return false;
  }
  const expected = /^([0-9a-f]{64})\b/i.exec(text.trim())?.[1]?.toLowerCase();
  if (!expected) throw new InputError({ file: `${bundlePath}.sha256`, line: 1, message: 'not a sha256sum line' });
  const actual = await sha256File(bundlePath);
  if (actual !== expected) {
    throw new InputError({ file: bundlePath, message: `checksum mismatch: expected ${expected}, got ${actual} (corrupted or altered bundle)` });
  }
  return true;
}

/** Why an entry's path is unsafe, or its safe segments. */
function safeSegments(p: string): string[] | string {
  if (p.includes('\0')) return 'path contains a NUL byte';
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) return 'absolute path';
  const segs = p.split(/[\\/]+/).filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) return "path contains '..'";
  return segs;
}

/** Extracts a bundle into a new temp folder; see the module comment for the rules. */
export async function extractBundle(bundlePath: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_EXTRACT_CAP;
  const maxEntry = opts.maxEntryBytes ?? maxBytes;
  const verified = await verifyChecksum(bundlePath);
  const head = Buffer.alloc(2);
  const fh = await open(bundlePath, 'r').catch((err: Error) => {
    throw new InputError({ file: bundlePath, message: `cannot open bundle: ${err.message}` });
  });
  await fh.read(head, 0, 2, 0).finally(() => fh.close());
  const dir = await mkdtemp(path.join(opts.tmpRoot ?? os.tmpdir(), 'netdiag-bundle-'));

  let refusal: string | undefined;
  let written = 0;
  const writes: Promise<void>[] = [];
  const src = createReadStream(bundlePath);
  const gzip = head[0] === 0x1f && head[1] === 0x8b;
  const stream: Readable = gzip ? src.pipe(createGunzip()) : src;
  if (gzip) src.on('error', (e) => stream.destroy(e));
  const open_ = new Set<NodeJS.WritableStream & { destroy(): void }>();
  let wakeUp: () => void = () => {};
  const refused = new Promise<void>((r) => (wakeUp = r));
  const refuse = (why: string) => {
    refusal ??= why;
    stream.destroy();
    for (const o of open_) o.destroy();
    wakeUp();
  };

  const onEntry = (entry: ReadEntry) => {
    if (refusal) return void entry.resume();
    const where = JSON.stringify(entry.path);
    const segs = safeSegments(entry.path);
    if (typeof segs === 'string') return void (refuse(`entry ${where}: ${segs}`), entry.resume());
    if (entry.type === 'SymbolicLink' || entry.type === 'Link') {
      return void (refuse(`entry ${where}: ${entry.type === 'Link' ? 'hard link' : 'symlink'} to ${JSON.stringify(entry.linkpath ?? '')} (links are not allowed)`), entry.resume());
    }
    if (entry.type === 'Directory') {
      if (segs.length > 0) writes.push(mkdir(path.join(dir, ...segs), { recursive: true }).then(() => undefined));
      return void entry.resume();
    }
    if (!FILE_TYPES.has(entry.type)) return void (refuse(`entry ${where}: ${entry.type} entries are not allowed`), entry.resume());
    if (segs.length === 0) return void (refuse(`entry ${where}: empty path`), entry.resume());
    if (entry.size > maxEntry) return void (refuse(`entry ${where}: ${entry.size} bytes exceeds the per-entry cap of ${maxEntry}`), entry.resume());
    const target = path.join(dir, ...segs);
    let entryBytes = 0;
    writes.push(
      (async () => {
        await mkdir(path.dirname(target), { recursive: true });
        // 'wx': never through an existing path (a duplicate entry, or anything planted).
        if (refusal) return void entry.resume();
        const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
        open_.add(out);
        const done = new Promise<void>((resolve) => {
          out.on('close', () => (open_.delete(out), resolve()));
          out.on('error', (e) => (refuse(`entry ${where}: ${e.message}`), resolve()));
        });
        // One consumer that counts and writes (a second listener would miss buffered data).
        out.on('drain', () => entry.resume());
        entry.on('end', () => out.end());
        entry.on('data', (c: Buffer) => {
          entryBytes += c.length;
          written += c.length;
          if (entryBytes > maxEntry) refuse(`entry ${where}: more than the per-entry cap of ${maxEntry} bytes`);
          else if (written > maxBytes) refuse(`more than ${maxBytes} bytes uncompressed (possible gzip bomb)`);
          else if (!out.write(c)) entry.pause();
        });
        await done;
      })(),
    );
  };

  const parser = new Parser({ strict: true, noResume: true, onReadEntry: onEntry });
  const parsed = new Promise<void>((resolve) => {
    parser.on('end', resolve);
    parser.on('close', resolve);
    parser.on('error', (e: Error) => (refuse(`not a valid bundle: ${e.message}`), resolve()));
  });
  try {
    let inflated = 0;
    const inflateCap = Math.floor(maxBytes * 1.1) + 1024 * 1024; // tar headers and padding
    try {
      for await (const chunk of stream) {
        inflated += (chunk as Buffer).length;
        if (inflated > inflateCap) refuse(`more than ${maxBytes} bytes uncompressed (possible gzip bomb)`);
        if (refusal) break;
        if (!parser.write(chunk as Buffer)) await Promise.race([new Promise<void>((r) => parser.once('drain', r)), refused]);
      }
    } catch (err) {
      refuse(`cannot read bundle: ${(err as Error).message}`);
    }
    if (!refusal) {
      parser.end();
      await Promise.race([parsed, refused]);
    }
    await Promise.all(writes);
    if (refusal) throw new InputError({ file: bundlePath, message: `refused: ${refusal}` });
    const top = await readdir(dir, { withFileTypes: true });
    const runDir = top.length === 1 && top[0].isDirectory() ? path.join(dir, top[0].name) : dir;
    return { dir, runDir, verified };
  } catch (err) {
    src.destroy();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
