/**
 * Bundling runs in a worker thread with a capped heap. Redaction and obfuscation turn every line
 * into short-lived strings; with V8's default heap sizing that garbage alone pushed a 1 GiB
 * obfuscated bundle to 168 MB RSS (target 150 MB). Capped (young 4 MB, old 64 MB) the same run
 * peaks at 124 MB and plain redaction at 107 MB (bench/bundle-rss.mjs, ~15 % more CPU). A run
 * whose pseudonym tables really need more heap is not failed for it: when the worker runs out of
 * memory, its staging folder is removed and the bundle is made again without the old-space cap.
 */
import { rm } from 'node:fs/promises';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { InputError, type InputProblem } from '../errors.js';
import type { BundleOptions, BundleResult } from './bundle.js';

/** Heap limits of the bundling worker, in MB (`undefined` = V8's default). */
export interface BundleHeapLimits {
  youngMb: number;
  oldMb?: number;
}

const CAPPED: BundleHeapLimits = { youngMb: 4, oldMb: 64 };
const UNCAPPED: BundleHeapLimits = { youngMb: 4 };

type WorkerMessage =
  | { kind: 'staging'; dir: string }
  | { kind: 'done'; ok: true; result: BundleResult }
  | { kind: 'done'; ok: false; input?: InputProblem[]; message: string };

/** One worker's outcome; `outOfMemory` when V8 stopped it at its heap limit. */
export type BundleAttempt = { ok: true; result: BundleResult } | { ok: false; error: Error; outOfMemory: boolean; staging?: string };

/**
 * {@link createBundle} in a worker thread; an InputError in the worker is an InputError here.
 * `limits` is for tests (forcing the out-of-memory retry).
 */
export async function createBundleInWorker(runDir: string, opts: BundleOptions = {}, limits: BundleHeapLimits = CAPPED): Promise<BundleResult> {
  // Loaded from TypeScript sources (the unit tests' runner), a worker could not load this file:
  // bundle in-process there. The built CLI always takes the worker path (tests load dist/ for it).
  if (import.meta.url.endsWith('.ts')) return (await import('./bundle.js')).createBundle(runDir, opts);
  let attempt = await bundleInOneWorker(runDir, opts, limits);
  if (!attempt.ok && attempt.outOfMemory && limits.oldMb !== undefined) {
    if (attempt.staging) await rm(attempt.staging, { recursive: true, force: true });
    attempt = await bundleInOneWorker(runDir, opts, UNCAPPED);
  }
  if (!attempt.ok) {
    if (attempt.staging) await rm(attempt.staging, { recursive: true, force: true });
    throw attempt.error;
  }
  return attempt.result;
}

/** One attempt in one worker with the given heap limits (exported for tests). */
export function bundleInOneWorker(runDir: string, opts: BundleOptions, limits: BundleHeapLimits): Promise<BundleAttempt> {
  return new Promise((resolve) => {
    const { onStaging: _caller, ...cloneable } = opts;
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { runDir, opts: cloneable },
      resourceLimits: { maxYoungGenerationSizeMb: limits.youngMb, ...(limits.oldMb !== undefined ? { maxOldGenerationSizeMb: limits.oldMb } : {}) },
    });
    let staging: string | undefined;
    let settled = false;
    const settle = (a: BundleAttempt) => {
      if (!settled) (settled = true), resolve(a);
    };
    worker.on('message', (m: WorkerMessage) => {
      if (m.kind === 'staging') {
        staging = m.dir;
        opts.onStaging?.(m.dir);
      } else if (m.ok) settle({ ok: true, result: m.result });
      else settle({ ok: false, error: m.input ? new InputError(m.input) : new Error(m.message), outOfMemory: false });
    });
    worker.once('error', (err: Error & { code?: string }) => settle({ ok: false, error: err, outOfMemory: err.code === 'ERR_WORKER_OUT_OF_MEMORY', staging }));
    worker.once('exit', (code) => settle({ ok: false, error: new Error(`bundle worker exited with code ${code} before answering`), outOfMemory: false, staging }));
  });
}

async function serve(): Promise<void> {
  const { runDir, opts } = workerData as { runDir: string; opts: BundleOptions };
  // Structured clone turns Buffers into plain Uint8Arrays.
  if (opts.obfuscationKey) opts.obfuscationKey = Buffer.from(opts.obfuscationKey);
  const post = (m: WorkerMessage) => parentPort!.postMessage(m);
  try {
    const { createBundle } = await import('./bundle.js');
    post({ kind: 'done', ok: true, result: await createBundle(runDir, { ...opts, onStaging: (dir) => post({ kind: 'staging', dir }) }) });
  } catch (err) {
    post(err instanceof InputError ? { kind: 'done', ok: false, input: err.problems, message: err.message } : { kind: 'done', ok: false, message: err instanceof Error ? err.message : String(err) });
  }
}

if (!isMainThread && (workerData as { runDir?: unknown } | undefined)?.runDir !== undefined) void serve();
