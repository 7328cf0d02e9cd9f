/**
 * `--redact-in-place`: the run directory's own files are redacted too (for sites where even
 * the operator's disk must not keep the secrets). Each file is rewritten atomically (temp file +
 * rename) and only when something was found; the whole file is processed, never truncated.
 * run.json's sha256 for a rewritten file then no longer matches — bundle-manifest.json says so.
 */
import { createReadStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { writeThrough } from './bundle-file.js';
import { LineRedactor } from './redact-lines.js';
import type { UserPattern } from './redact-rules.js';
import { BinaryMasker, LineTransform } from './redact-stream.js';

/** Redacts one file in place; returns the counts per kind (empty: file untouched). */
export async function redactFileInPlace(abs: string, binary: boolean, builtIn: boolean, userPatterns: UserPattern[]): Promise<Record<string, number>> {
  const tmp = `${abs}.netdiag-redact.tmp`;
  let counts: Record<string, number>;
  let stage: Transform;
  if (binary) {
    const masker = new BinaryMasker(builtIn, userPatterns);
    stage = masker;
    counts = masker.counts;
  } else {
    const redactor = new LineRedactor({ builtIn, userPatterns });
    stage = new LineTransform(redactor);
    counts = redactor.counts;
  }
  try {
    await writeThrough(createReadStream(abs), [stage], tmp);
    if (Object.keys(counts).length > 0) await rename(tmp, abs);
  } finally {
    await rm(tmp, { force: true });
  }
  return counts;
}
