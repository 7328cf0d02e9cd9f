/**
 * The built CLI bundles in a worker thread (src/artifacts/bundle-worker.ts). Loaded from dist/
 * it really starts the worker: it must produce what in-process bundling produces (same files,
 * same redactions, same obfuscation with the same key) and turn a bad run directory into an
 * InputError on this side.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../src/artifacts/bundle.js';
import { extractBundle } from '../../src/artifacts/extract.js';
import { repoRoot } from '../helpers/cli.js';
import { ensureBuilt } from '../helpers/lab.js';
import { makeRunDir, readTree } from '../fixtures/secrets/run-dir.js';

const sandbox = mkdtempSync(path.join(os.tmpdir(), 'ndt-bundle-worker-'));
let runDir: string;
let inWorker: typeof import('../../src/artifacts/bundle-worker.js').createBundleInWorker;
let oneWorker: typeof import('../../src/artifacts/bundle-worker.js').bundleInOneWorker;

beforeAll(async () => {
  await ensureBuilt();
  ({ createBundleInWorker: inWorker, bundleInOneWorker: oneWorker } = await import(path.join(repoRoot, 'dist/artifacts/bundle-worker.js')));
  runDir = makeRunDir(sandbox);
});
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

describe('createBundleInWorker (built)', () => {
  it('bundles exactly what in-process bundling bundles, obfuscation key and all', async () => {
    const key = Buffer.alloc(32, 7);
    // A compiled pattern crosses into the worker by structured clone (RegExp survives it).
    const extraPatterns = [{ name: 'namespace', regex: /kube-system/g }];
    const here = await createBundle(runDir, { obfuscate: true, obfuscationKey: key, extraPatterns, outDir: path.join(sandbox, 'here') });
    const there = await inWorker(runDir, { obfuscate: true, obfuscationKey: key, extraPatterns, outDir: path.join(sandbox, 'there') });
    expect(there.files).toBe(here.files);
    expect(there.redactions).toEqual(here.redactions);
    expect(there.redactions['user:namespace']).toBeGreaterThan(0);
    const a = readTree((await extractBundle(here.bundlePath)).runDir);
    const b = readTree((await extractBundle(there.bundlePath)).runDir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [rel, bytes] of a) if (rel !== 'bundle-manifest.json') expect(b.get(rel)?.equals(bytes), rel).toBe(true);
  });

  it('reports a bad run directory as an InputError', async () => {
    const err = await inWorker(path.join(sandbox, 'missing')).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('InputError');
    expect((err as Error).message).toBe(`not a run directory: ${path.join(sandbox, 'missing')}`);
  });

  it('makes the bundle again without the old-space cap when the capped worker runs out of memory', async () => {
    const outDir = path.join(sandbox, 'oom');
    const once = await oneWorker(runDir, { outDir }, { youngMb: 4, oldMb: 4 });
    expect(once).toMatchObject({ ok: false, outOfMemory: true });
    const staged: string[] = [];
    // 4 MB of old space cannot even hold the bundler's modules: the first worker dies of it.
    const r = await inWorker(runDir, { outDir, onStaging: (dir) => staged.push(dir) }, { youngMb: 4, oldMb: 4 });
    expect(r.files).toBeGreaterThan(10);
    expect(staged).toHaveLength(1); // only the retry got as far as staging
    expect(readdirSync(outDir).filter((f) => f.startsWith('.netdiag-bundle-'))).toEqual([]);
    expect((await extractBundle(r.bundlePath)).verified).toBe(true);
  });
});
