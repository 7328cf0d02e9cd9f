/**
 * What follows collection in `netdiag run`: analyse the evidence and render the report, then
 * pack the redacted support bundle. Neither may lose what was collected: a failure here is
 * reported and the run directory stays as it is.
 */
import { annotateManifest } from '../../artifacts/manifest.js';
import type { RunSummary } from '../../engine/summary.js';
import type { Severity } from '../../analyze/types.js';

export interface AfterRunOptions {
  templates?: string;
  bundle: boolean;
  obfuscate: boolean;
  redactPattern?: string[];
  failOn?: Severity;
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
  if (o.bundle) await annotateManifest(summary.runDir, 'bundle', { redaction: true, obfuscate: o.obfuscate, userPatterns: o.redactPattern?.length ?? 0 });
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
      const { createBundle } = await import('../../artifacts/bundle.js');
      const b = await createBundle(summary.runDir, { obfuscate: o.obfuscate, extraPatterns: o.redactPattern });
      out.bundlePath = b.bundlePath;
      const redacted = Object.values(b.redactions).reduce((a, n) => a + n, 0);
      out.lines.push(`bundle: ${b.bundlePath} (${redacted} secret(s) redacted${b.mappingPath ? `, obfuscation map ${b.mappingPath}` : ''})`);
    } catch (err) {
      out.lines.push(`bundle: not written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
