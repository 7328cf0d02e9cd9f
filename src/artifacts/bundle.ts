/**
 * The support bundle: `netdiag-<plan>-<stamp>.tar.gz` beside the run directory, holding the run
 * (redacted by default, optionally obfuscated, cut to its size budget) under a top folder of the
 * same name plus `bundle-manifest.json`, with `<bundle>.sha256` in `sha256sum` format. The
 * obfuscation map goes to `netdiag-<plan>-<stamp>.mapping.json`, never into the bundle.
 *
 * Files are processed one at a time into a staging folder beside the bundle (disk use is bounded
 * by the total budget), then packed by `tar` as a stream: memory stays flat for any run size.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { create as tarCreate } from 'tar';
import { InputError } from '../errors.js';
import { netdiagVersion } from '../cli/version.js';
import { safeName } from './run-dir.js';
import { DEFAULT_PER_FILE_CAP, DEFAULT_TOTAL_BUDGET, planBudget } from './budget.js';
import { bundleFile, type BundledFile } from './bundle-file.js';
import { readRunInfo, scanNodeNames, scanRunDir } from './bundle-scan.js';
import { Obfuscator } from './obfuscate.js';
import { redactFileInPlace } from './redact-inplace.js';
import type { UserPattern } from './redact-rules.js';

/** Options of {@link createBundle}; every field is optional. */
export interface BundleOptions {
  /** Built-in redaction (default true). User patterns apply even when false. */
  redact?: boolean;
  /** Extra regexes (`--redact-pattern`), sources or already compiled. */
  extraPatterns?: (string | UserPattern)[];
  /** YAML list of `{name, regex, replace?, flags?}` (`--redactors FILE`). */
  redactorsFile?: string;
  /** Consistent pseudonyms for IPs, MACs and host names (default false). */
  obfuscate?: boolean;
  /** Per-file cap in bytes (default 20 MiB; logs keep their tail). */
  perFileCapBytes?: number;
  /** Total budget over uncompressed content (default 200 MiB). */
  totalBudgetBytes?: number;
  /** Also redact the run directory's own files (default false: originals untouched). */
  redactInPlace?: boolean;
  /** Where the bundle goes (default: the run directory's parent, `artifacts/<plan>/`). */
  outDir?: string;
  /** More host/node names to obfuscate, beyond run.json's inventory and targets. */
  hostnames?: string[];
  /** Obfuscation key (default: 32 random bytes per bundle). For reproducible tests. */
  obfuscationKey?: Buffer;
  /** Told the staging folder as soon as it exists, so a killed bundler's leftovers can be removed. */
  onStaging?: (dir: string) => void;
}

/** What {@link createBundle} made. */
export interface BundleResult {
  bundlePath: string;
  sha256Path: string;
  /** Only with `obfuscate`. */
  mappingPath?: string;
  /** Size of the .tar.gz. */
  bytes: number;
  /** Files in the bundle (including bundle-manifest.json). */
  files: number;
  /** Redactions per kind, over all files. */
  redactions: Record<string, number>;
  /** Bundle paths that were cut to fit the budget. */
  truncated: string[];
  /** Bundle paths left out (budget, or binary that cannot be obfuscated). */
  dropped: string[];
  /** The manifest written into the bundle. */
  manifest: BundleManifest;
}

/** `bundle-manifest.json` at the bundle's top folder. */
export interface BundleManifest {
  format: 'netdiag-bundle/1';
  createdAt: string;
  netdiagVersion: string;
  plan: string;
  stamp: string;
  redaction: { builtIn: boolean; userPatterns: string[]; inPlace: boolean; totals: Record<string, number>; inPlaceFiles?: string[] };
  obfuscation: { enabled: boolean; mappingFile?: string };
  budget: { perFileCapBytes: number; totalBudgetBytes: number; originalBytes: number; bundledBytes: number; overBudget: boolean };
  truncated: string[];
  dropped: string[];
  /** Entries not bundled because they are not regular files (symlinks are never followed). */
  skipped: { path: string; reason: string }[];
  files: BundledFile[];
}

/** Compiles `--redact-pattern` values and loads `--redactors FILE`. */
export async function resolveUserPatterns(opts: Pick<BundleOptions, 'extraPatterns' | 'redactorsFile'>): Promise<UserPattern[]> {
  const raw = opts.extraPatterns ?? [];
  if (raw.length === 0 && !opts.redactorsFile) return [];
  // Loaded only when needed: the YAML parser is a few MB of RSS the common case does not need.
  const { loadRedactorsFile, patternsFromFlags } = await import('./redact-user.js');
  const compiled = patternsFromFlags(raw.filter((p): p is string => typeof p === 'string'));
  const given = raw.filter((p): p is UserPattern => typeof p !== 'string');
  const fromFile = opts.redactorsFile ? await loadRedactorsFile(opts.redactorsFile) : [];
  return [...given, ...compiled, ...fromFile];
}

/** Bundles an existing run directory. Bad options or a missing run directory → InputError. */
export async function createBundle(runDir: string, opts: BundleOptions = {}): Promise<BundleResult> {
  const root = path.resolve(runDir);
  const st = await stat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new InputError(`not a run directory: ${runDir}`);
  const userPatterns = await resolveUserPatterns(opts);
  const redact = opts.redact !== false;
  const info = await readRunInfo(root);
  const base = `netdiag-${safeName(info.planName)}-${info.stamp}`;
  const outDir = path.resolve(opts.outDir ?? path.dirname(root));
  await mkdir(outDir, { recursive: true });
  const bundlePath = path.join(outDir, `${base}.tar.gz`);
  const sha256Path = `${bundlePath}.sha256`;
  const mappingPath = opts.obfuscate ? path.join(outDir, `${base}.mapping.json`) : undefined;

  const { files, skipped } = await scanRunDir(root, [bundlePath, sha256Path, ...(mappingPath ? [mappingPath] : [])]);
  const perFileCap = opts.perFileCapBytes ?? DEFAULT_PER_FILE_CAP;
  const totalBudget = opts.totalBudgetBytes ?? DEFAULT_TOTAL_BUDGET;
  const budget = planBudget(files, perFileCap, totalBudget);
  const obfuscator = opts.obfuscate
    ? new Obfuscator({
        key: opts.obfuscationKey,
        hostnames: [...info.hostnames, ...(await scanNodeNames(files)), ...(opts.hostnames ?? [])],
        knownAddresses: info.addresses,
      })
    : undefined;

  const staging = await mkdtemp(path.join(outDir, '.netdiag-bundle-'));
  opts.onStaging?.(staging);
  try {
    const top = path.join(staging, base);
    await mkdir(top);
    const records: BundledFile[] = [];
    for (const [i, file] of files.entries()) {
      const outRel = obfuscator ? obfuscator.path(file.rel) : file.rel;
      records.push(await bundleFile({ file, budget: budget.files[i], outRel, stagingTop: top, redact, userPatterns, obfuscator }));
    }
    const inPlaceFiles: string[] = [];
    if (opts.redactInPlace && (redact || userPatterns.length > 0)) {
      for (const file of files) {
        const counts = await redactFileInPlace(file.abs, file.binary, redact, userPatterns);
        if (Object.keys(counts).length > 0) inPlaceFiles.push(file.rel);
      }
    }
    const manifest = buildManifest(records, {
      plan: info.planName,
      stamp: info.stamp,
      redact,
      userPatterns,
      inPlace: opts.redactInPlace === true,
      inPlaceFiles: obfuscator ? undefined : inPlaceFiles,
      mappingFile: mappingPath ? path.basename(mappingPath) : undefined,
      perFileCap,
      totalBudget,
      originalBytes: budget.originalBytes,
      overBudget: budget.overBudget,
      skipped: skipped.map((s) => ({ path: obfuscator ? obfuscator.path(s.rel) : s.rel, reason: s.reason })),
    });
    await writeFile(path.join(top, 'bundle-manifest.json'), JSON.stringify(manifest, null, 2) + '\n');

    // Written inside the staging folder (same filesystem as the bundle): rename is atomic, and two
    // bundlers of the same run never share a temp file.
    const partial = path.join(staging, 'bundle.tar.gz.partial');
    await tarCreate({ file: partial, gzip: { level: 6 }, cwd: staging, portable: true, maxReadSize: 256 * 1024 }, [base]);
    await rename(partial, bundlePath);
    const digest = await sha256File(bundlePath);
    await writeFile(sha256Path, `${digest}  ${path.basename(bundlePath)}\n`);
    if (obfuscator && mappingPath) {
      await writeFile(mappingPath, JSON.stringify(obfuscator.mapping(path.basename(bundlePath)), null, 2) + '\n', { mode: 0o600 });
      await chmod(mappingPath, 0o600);
    }
    return {
      bundlePath,
      sha256Path,
      mappingPath,
      bytes: (await stat(bundlePath)).size,
      files: records.filter((r) => !r.dropped).length + 1,
      redactions: manifest.redaction.totals,
      truncated: manifest.truncated,
      dropped: manifest.dropped,
      manifest,
    };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function buildManifest(
  files: BundledFile[],
  o: {
    plan: string;
    stamp: string;
    redact: boolean;
    userPatterns: UserPattern[];
    inPlace: boolean;
    inPlaceFiles?: string[];
    mappingFile?: string;
    perFileCap: number;
    totalBudget: number;
    originalBytes: number;
    overBudget: boolean;
    skipped: { path: string; reason: string }[];
  },
): BundleManifest {
  const totals: Record<string, number> = {};
  for (const f of files) for (const [k, n] of Object.entries(f.redactions)) totals[k] = (totals[k] ?? 0) + n;
  return {
    format: 'netdiag-bundle/1',
    createdAt: new Date().toISOString(),
    netdiagVersion: netdiagVersion(),
    plan: o.plan,
    stamp: o.stamp,
    redaction: { builtIn: o.redact, userPatterns: o.userPatterns.map((p) => p.name), inPlace: o.inPlace, totals, inPlaceFiles: o.inPlaceFiles },
    obfuscation: { enabled: o.mappingFile !== undefined, mappingFile: o.mappingFile },
    budget: {
      perFileCapBytes: o.perFileCap,
      totalBudgetBytes: o.totalBudget,
      originalBytes: o.originalBytes,
      bundledBytes: files.reduce((s, f) => s + f.bundledBytes, 0),
      overBudget: o.overBudget,
    },
    truncated: files.filter((f) => f.truncated !== false && !f.dropped).map((f) => f.path),
    dropped: files.filter((f) => f.dropped).map((f) => f.path),
    skipped: o.skipped,
    files,
  };
}

/** sha256 of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
