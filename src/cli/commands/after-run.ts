/**
 * What follows collection in `netdiag run`: analyse the evidence and render the report, then
 * pack the redacted support bundle. Neither may lose what was collected: a failure here is
 * reported and the run directory stays as it is.
 */
import { annotateManifest } from '../../artifacts/manifest.js';
import type { BundleOptions } from '../../artifacts/bundle.js';
import type { RunSummary } from '../../engine/summary.js';
import type { Severity } from '../../analyze/types.js';

/** `netdiag run`'s bundle flags as commander parses them. */
export interface RunBundleFlags {
  bundle: boolean;
  obfuscate: boolean;
  redactPattern?: string[];
  redactors?: string;
  /** Unset: createBundle's defaults (the same as the flags' defaults). */
  bundleMaxFileSize?: string;
  bundleMaxTotalSize?: string;
}

export interface AfterRunOptions {
  templates?: string;
  failOn?: Severity;
  /** What to bundle with; undefined = `--no-bundle`. */
  bundle?: BundleOptions;
}

/**
 * Checks the bundle flags and loads the user's redaction patterns before collection starts:
 * a typo in a regex or a size must fail in a second, not after a ten-minute run.
 */
export async function resolveBundleFlags(o: RunBundleFlags): Promise<BundleOptions | undefined> {
  if (!o.bundle) return undefined;
  const { parseSizeFlag } = await import('../../artifacts/budget.js');
  const { resolveUserPatterns } = await import('../../artifacts/bundle.js');
  return {
    obfuscate: o.obfuscate,
    perFileCapBytes: o.bundleMaxFileSize === undefined ? undefined : parseSizeFlag('--bundle-max-file-size', o.bundleMaxFileSize),
    totalBudgetBytes: o.bundleMaxTotalSize === undefined ? undefined : parseSizeFlag('--bundle-max-total-size', o.bundleMaxTotalSize),
    extraPatterns: await resolveUserPatterns({ extraPatterns: o.redactPattern, redactorsFile: o.redactors }),
  };
}

export interface AfterRunResult {
  lines: string[];
  /** A finding reached --fail-on. */
  failOnHit: boolean;
  reportPath?: string;
  bundlePath?: string;
}

const RANK: Record<Severity, number> = { critical: 4, high: 3, medium: 2, low: 1, info: 0 };

export async function afterRun(summary: RunSummary, o: AfterRunOptions): Promise<AfterRunResult> {
  const out: AfterRunResult = { lines: [], failOnHit: false };
  if (o.bundle) {
    const { obfuscate = false, extraPatterns = [], perFileCapBytes, totalBudgetBytes } = o.bundle;
    await annotateManifest(summary.runDir, 'bundle', { redaction: true, obfuscate, userPatterns: extraPatterns.length, perFileCapBytes, totalBudgetBytes });
  }
  try {
    const { analyzeRunDir, verdictLine } = await import('../../report/analyze-run.js');
    const analyzed = await analyzeRunDir(summary.runDir, { templatesDir: o.templates });
    out.reportPath = analyzed.reportPath;
    out.lines.push(verdictLine(analyzed.analysis), `report: ${analyzed.reportPath}`);
    if (o.failOn) out.failOnHit = analyzed.analysis.findings.some((f) => RANK[f.severity] >= RANK[o.failOn!]);
  } catch (err) {
    out.lines.push(`report: not written: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (o.bundle) {
    try {
      const { createBundleInWorker } = await import('../../artifacts/bundle-worker.js');
      const b = await createBundleInWorker(summary.runDir, o.bundle);
      out.bundlePath = b.bundlePath;
      const redacted = Object.values(b.redactions).reduce((a, n) => a + n, 0);
      out.lines.push(`bundle: ${b.bundlePath} (${redacted} secret(s) redacted${b.mappingPath ? `, obfuscation map ${b.mappingPath}` : ''})`);
    } catch (err) {
      out.lines.push(`bundle: not written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
