/**
 * netdiag's analyzers: `analyze(evidence)` runs every rule over the collected evidence and
 * returns ranked findings (root causes first, symptoms folded under them), the checks that
 * could not run, and facts. Pure: load the evidence with `loadEvidence()` first.
 */
import { AnalysisContext } from './context.js';
import { collectFacts } from './facts.js';
import { rankFindings } from './rank.js';
import { RULES } from './rules/index.js';
import type { AnalysisResult, EvidenceSet, Finding, NotChecked } from './types.js';

export function analyze(evidence: EvidenceSet): AnalysisResult {
  const ctx = new AnalysisContext(evidence);
  const findings: Finding[] = [];
  const notChecked: NotChecked[] = [];
  for (const rule of RULES) {
    const out = rule.run(ctx);
    findings.push(...out.findings);
    notChecked.push(...out.notChecked);
  }
  // The same gap is often reported by several rules with the same wording: keep one of each.
  const seen = new Set<string>();
  const uniqueGaps = notChecked.filter((n) => (seen.has(`${n.rule}|${n.reason}`) ? false : (seen.add(`${n.rule}|${n.reason}`), true)));
  return { findings: rankFindings(findings), notChecked: uniqueGaps, facts: collectFacts(ctx) };
}

export { findingKey, rankFindings } from './rank.js';
export { matrixPatterns, type MatrixPatterns } from './matrix.js';
export { AnalysisContext } from './context.js';
export { RULES } from './rules/index.js';
export type * from './types.js';
