/**
 * One run-directory file → its bundled copy in the staging folder: cut to its budget, redacted,
 * obfuscated, hashed — streamed, so memory does not depend on the file's size.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BudgetedFile, FileCategory } from './budget.js';
import type { ScannedFile } from './bundle-scan.js';
import { CaptureLimiter, rewriteCaptureFile } from './bundle-pcap.js';
import type { Obfuscator } from './obfuscate.js';
import { LineRedactor } from './redact-lines.js';
import type { UserPattern } from './redact-rules.js';
import { BinaryMasker, LineTransform } from './redact-stream.js';

/** What bundle-manifest.json says about one file. */
export interface BundledFile {
  /** Path inside the bundle's top folder (after obfuscation renames). */
  path: string;
  category: FileCategory;
  binary: boolean;
  originalBytes: number;
  /** 0 when dropped. */
  bundledBytes: number;
  /** sha256 of the bundled content (absent when dropped). */
  sha256?: string;
  redactions: Record<string, number>;
  truncated: false | { kept: 'head' | 'tail'; keptOriginalBytes: number; reason: 'per-file-cap' | 'total-budget' };
  /** Why the file is not in the bundle. */
  dropped?: string;
  obfuscated: boolean;
}

export interface FileJob {
  file: ScannedFile;
  budget: BudgetedFile;
  /** Bundle-relative output path (already obfuscated). */
  outRel: string;
  stagingTop: string;
  redact: boolean;
  userPatterns: UserPattern[];
  obfuscator?: Obfuscator;
}

/** Lines read before a tail cut, only to learn context (e.g. that a PEM block is open). */
const WARMUP_BYTES = 256 * 1024;

export async function bundleFile(job: FileJob): Promise<BundledFile> {
  const { file, budget } = job;
  const record: BundledFile = {
    path: job.outRel,
    category: budget.category,
    binary: file.binary,
    originalBytes: file.bytes,
    bundledBytes: 0,
    redactions: {},
    truncated: false,
    obfuscated: job.obfuscator !== undefined,
  };
  if (budget.keepBytes === 0 && file.bytes > 0) return { ...record, dropped: `size budget (${budget.reason})` };
  const cut = budget.keepBytes < file.bytes;
  if (cut && budget.reason) record.truncated = { kept: budget.keep, keptOriginalBytes: budget.keepBytes, reason: budget.reason };
  if (file.binary && job.obfuscator && !file.pcap) return { ...record, truncated: false, dropped: 'binary file cannot be obfuscated' };
  const dest = path.join(job.stagingTop, job.outRel);
  await mkdir(path.dirname(dest), { recursive: true });
  if (file.binary) return bundleBinary(job, record, dest, cut);
  return bundleText(job, record, dest, cut);
}

async function bundleText(job: FileJob, record: BundledFile, dest: string, cut: boolean): Promise<BundledFile> {
  const { file, budget } = job;
  const tail = cut && budget.keep === 'tail';
  const start = tail ? Math.max(0, file.bytes - budget.keepBytes - WARMUP_BYTES) : 0;
  const source = createReadStream(file.abs, cut && !tail ? { end: budget.keepBytes - 1 } : { start });
  const redactor = new LineRedactor({
    builtIn: job.redact,
    userPatterns: job.userPatterns,
    post: job.obfuscator ? (l) => job.obfuscator!.line(l) : undefined,
    heldAtEndIsSecret: cut && !tail,
  });
  const note = (where: string) =>
    `[netdiag: truncated - kept the ${where} ${budget.keepBytes} of ${file.bytes} bytes (${budget.reason}); see bundle-manifest.json]\n`;
  const lines = new LineTransform(redactor, {
    skipLeadingPartial: tail && start > 0,
    discardFirstBytes: tail ? file.bytes - budget.keepBytes - start : 0,
    dropTrailingPartial: cut && !tail,
    prefix: tail ? note('last') : undefined,
    suffix: cut && !tail ? `\n${note('first')}` : undefined,
  });
  const { bytes, sha256 } = await writeThrough(source, [lines], dest);
  return { ...record, bundledBytes: bytes, sha256, redactions: redactor.counts };
}

async function bundleBinary(job: FileJob, record: BundledFile, dest: string, cut: boolean): Promise<BundledFile> {
  const { file, budget } = job;
  let input = file.abs;
  const temps: string[] = [];
  try {
    if (job.obfuscator) {
      if (cut) {
        input = `${dest}.cut`;
        temps.push(input);
        await writeThrough(createReadStream(file.abs, readRange(budget.keepBytes)), [new CaptureLimiter(file.pcap, budget.keepBytes)], input);
      }
      const rewritten = `${dest}.rewritten`;
      temps.push(rewritten);
      const r = await rewriteCaptureFile(input, rewritten, job.obfuscator);
      if (!r.ok) return { ...record, truncated: false, dropped: `capture could not be obfuscated: ${r.error}` };
      input = rewritten;
    }
    const stages: Transform[] = [];
    if (cut && !job.obfuscator) stages.push(new CaptureLimiter(file.pcap, budget.keepBytes));
    const masker = new BinaryMasker(job.redact, job.userPatterns);
    stages.push(masker);
    // Never read past what is kept: discarded reads are garbage buffers that inflate RSS.
    const range = cut && !job.obfuscator ? readRange(budget.keepBytes) : { highWaterMark: BINARY_CHUNK };
    const { bytes, sha256 } = await writeThrough(createReadStream(input, range), stages, dest);
    return { ...record, bundledBytes: bytes, sha256, redactions: masker.counts };
  } finally {
    for (const t of temps) await rm(t, { force: true });
  }
}

const BINARY_CHUNK = 256 * 1024;

function readRange(keepBytes: number): { end: number; highWaterMark: number } {
  return { end: Math.max(0, keepBytes - 1), highWaterMark: BINARY_CHUNK };
}

/** Streams `source` through `stages` into `dest`, hashing and counting what is written. */
export async function writeThrough(source: NodeJS.ReadableStream, stages: Transform[], dest: string): Promise<{ bytes: number; sha256: string }> {
  const tap = new HashTap();
  await pipeline([source, ...stages, tap, createWriteStream(dest)]);
  return { bytes: tap.bytes, sha256: tap.hash.digest('hex') };
}

/** Pass-through that hashes and counts. */
class HashTap extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }
}
