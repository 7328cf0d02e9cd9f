/**
 * What a rule is: a pure function from the analysis context to findings plus the checks it
 * could not make. Helpers here keep every rule's Finding complete and uniformly shaped.
 */
import type { AnalysisContext } from '../context.js';
import type { Finding, NotChecked } from '../types.js';

export interface RuleOutput {
  findings: Finding[];
  notChecked: NotChecked[];
}

/** One rule (usually one catalog row). */
export interface Rule {
  /** Rule id used in NotChecked entries, e.g. `ip-forward`. */
  id: string;
  /** Catalog rows it covers. */
  catalog: number[];
  run(ctx: AnalysisContext): RuleOutput;
}

/** Fields a rule must give; the rest default (explains: [], confidence: high). */
export type FindingInput = Omit<Finding, 'explains' | 'confidence'> & Partial<Pick<Finding, 'explains' | 'confidence'>>;

export function finding(f: FindingInput): Finding {
  return { confidence: 'high', ...f, explains: f.explains ?? [], nodes: [...new Set(f.nodes)].sort() };
}

/** "node-1, node-2 and node-3" */
export function listNames(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** "node-1→node-2, node-3→node-2" */
export function listPairs(pairs: [string, string][], max = 6): string {
  const s = pairs.slice(0, max).map(([a, b]) => `${a}→${b}`).join(', ');
  return pairs.length > max ? `${s} (+${pairs.length - max} more)` : s;
}
