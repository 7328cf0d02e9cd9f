/**
 * `netdiag bundle --estimate`: what a bundle of an existing run directory would hold and weigh,
 * without writing one. The budget plan is exact; the compressed size is estimated by gzipping a
 * sample (up to 256 KiB) of the part of each file that would be kept.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import { DEFAULT_PER_FILE_CAP, DEFAULT_TOTAL_BUDGET, planBudget, type BudgetedFile } from './budget.js';
import { scanRunDir } from './bundle-scan.js';
import { stat } from 'node:fs/promises';

const SAMPLE = 256 * 1024;
/** Per tar entry: a 512-byte header and padding to the next 512-byte block (on average 256). */
const TAR_OVERHEAD_PER_FILE = 768;

export interface BundleEstimate {
  files: number;
  originalBytes: number;
  /** Uncompressed content that would be bundled, after the budget. */
  bundledBytes: number;
  /** Expected size of the .tar.gz. */
  estimatedBytes: number;
  overBudget: boolean;
  /** Files that would be cut or dropped, with what would be kept. */
  cuts: BudgetedFile[];
}

export async function estimateBundle(
  runDir: string,
  opts: { perFileCapBytes?: number; totalBudgetBytes?: number } = {},
): Promise<BundleEstimate> {
  const root = path.resolve(runDir);
  if (!(await stat(root).catch(() => undefined))?.isDirectory()) throw new InputError(`not a run directory: ${runDir}`);
  const { files } = await scanRunDir(root);
  const plan = planBudget(files, opts.perFileCapBytes ?? DEFAULT_PER_FILE_CAP, opts.totalBudgetBytes ?? DEFAULT_TOTAL_BUDGET);
  let estimated = 1024; // end-of-archive blocks
  for (const [i, f] of files.entries()) {
    const b = plan.files[i];
    if (b.keepBytes === 0) continue;
    estimated += TAR_OVERHEAD_PER_FILE + Math.ceil(b.keepBytes * (await ratio(f.abs, b.keep === 'tail' ? f.bytes - b.keepBytes : 0, b.keepBytes)));
  }
  estimated += TAR_OVERHEAD_PER_FILE + 400 * (files.length + 10); // bundle-manifest.json, compressed
  return {
    files: plan.files.filter((f) => f.keepBytes > 0 || f.bytes === 0).length + 1,
    originalBytes: plan.originalBytes,
    bundledBytes: plan.plannedBytes,
    estimatedBytes: estimated,
    overBudget: plan.overBudget,
    cuts: plan.files.filter((f) => f.keepBytes < f.bytes),
  };
}

/** Compressed/uncompressed ratio of a sample of the kept part of a file. */
async function ratio(abs: string, start: number, length: number): Promise<number> {
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE, length));
    const { bytesRead } = await fh.read(buf, 0, buf.length, start);
    if (bytesRead === 0) return 1;
    return Math.min(1.01, gzipSync(buf.subarray(0, bytesRead), { level: 6 }).length / bytesRead);
  } finally {
    await fh.close();
  }
}
