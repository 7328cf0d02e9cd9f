/**
 * Evidence on disk → findings → report files. The same path serves `netdiag run` (right after
 * collection), `netdiag report <run-dir>` (re-analysis of stored evidence) and `netdiag analyze
 * <bundle>` (a bundle someone sent you), so all three reach the same verdict.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { analyze } from '../analyze/index.js';
import { loadEvidence } from '../analyze/load-evidence.js';
import type { AnalysisResult } from '../analyze/types.js';
import type { ManifestData } from '../artifacts/manifest.js';
import { InputError } from '../errors.js';
import { renderReport } from './render.js';
import { buildReportView, pickVerdict, topFindings } from './view-model.js';

export interface AnalyzedRun {
  analysis: AnalysisResult;
  files: string[];
  reportPath: string;
}

export async function analyzeRunDir(runDir: string, opts: { templatesDir?: string } = {}): Promise<AnalyzedRun> {
  const manifestFile = path.join(runDir, 'run.json');
  let manifest: ManifestData;
  try {
    manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as ManifestData;
  } catch (err) {
    throw new InputError({ file: manifestFile, message: `not a netdiag run directory: ${(err as Error).message}` });
  }
  const evidence = await loadEvidence(runDir);
  const analysis = analyze(evidence);
  const view = buildReportView({ ...manifest, runDir }, analysis, evidence);
  const files = await renderReport(runDir, view, analysis, opts);
  return { analysis, files, reportPath: path.join(runDir, 'DIAGNOSIS-REPORT.md') };
}

/** One line for the console: the verdict, or that nothing was found. */
export function verdictLine(analysis: AnalysisResult): string {
  const top = pickVerdict(topFindings(analysis.findings));
  if (!top) return 'verdict: no fault found in the collected evidence';
  return `verdict: ${top.title}${top.nodes.length ? ` [${top.nodes.join(', ')}]` : ''} (${top.rootCause ? 'root cause' : 'symptom'}, confidence ${top.confidence})`;
}
