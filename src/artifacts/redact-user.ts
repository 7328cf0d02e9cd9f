/**
 * User-supplied redaction patterns: `--redact-pattern REGEX` (repeatable) and `--redactors FILE`,
 * a YAML list of `{name, regex, replace?, flags?}`. Every problem is reported at once, with the
 * file:line:col of the offending entry, as an InputError.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isSeq, isMap, type Node } from 'yaml';
import { InputError, type InputProblem } from '../errors.js';
import type { UserPattern } from './redact-rules.js';

const FLAG_SET = /^[imsu]*$/;

/** Compiles one pattern, or describes why it cannot be used. */
function compile(source: string, flags: string): RegExp | string {
  if (!FLAG_SET.test(flags)) return `flags may only contain i, m, s, u (got ${JSON.stringify(flags)})`;
  let re: RegExp;
  try {
    re = new RegExp(source, `${flags}g`);
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message}`;
  }
  // A pattern matching empty text would "redact" nothing everywhere: almost surely a mistake.
  if (new RegExp(`^(?:${source})$`, flags).test('')) return 'regular expression matches empty text';
  return re;
}

/** Patterns from `--redact-pattern` flags, named `pattern-1`, `pattern-2`, … */
export function patternsFromFlags(sources: string[]): UserPattern[] {
  const problems: InputProblem[] = [];
  const out: UserPattern[] = [];
  sources.forEach((src, i) => {
    const re = compile(src, '');
    if (typeof re === 'string') problems.push({ path: `--redact-pattern[${i}]`, message: `${re}: ${JSON.stringify(src)}` });
    else out.push({ name: `pattern-${i + 1}`, regex: re });
  });
  if (problems.length > 0) throw new InputError(problems);
  return out;
}

/** Loads and validates a redactors file. */
export async function loadRedactorsFile(file: string): Promise<UserPattern[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new InputError({ file, message: `cannot read redactors file: ${(err as Error).message}` });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const at = (node: Node | null | undefined, path: string, message: string): InputProblem => {
    const pos = node?.range ? lc.linePos(node.range[0]) : undefined;
    return { file, line: pos?.line, col: pos?.col, path, message };
  };
  if (doc.errors.length > 0) {
    throw new InputError(doc.errors.map((e) => ({ file, line: e.linePos?.[0].line, col: e.linePos?.[0].col, message: e.message })));
  }
  const root = doc.contents;
  if (!isSeq(root)) throw new InputError(at(root as Node | null, '', 'expected a list of {name, regex, replace?}'));
  const problems: InputProblem[] = [];
  const out: UserPattern[] = [];
  const seen = new Set<string>();
  root.items.forEach((item, i) => {
    const path = `[${i}]`;
    if (!isMap(item)) return problems.push(at(item as Node, path, 'expected a mapping with name and regex'));
    const field = (k: string) => item.get(k, true) as Node | undefined;
    const str = (k: string): string | undefined => {
      const v = item.get(k);
      return typeof v === 'string' ? v : undefined;
    };
    for (const pair of item.items) {
      const k = String((pair.key as { value?: unknown } | null)?.value);
      if (!['name', 'regex', 'replace', 'flags'].includes(k)) problems.push(at(pair.key as Node, `${path}.${k}`, 'unknown field'));
    }
    const name = str('name');
    const regex = str('regex');
    if (!name || !/^[A-Za-z0-9._-]+$/.test(name)) problems.push(at(field('name') ?? item, `${path}.name`, 'name must be a non-empty string of letters, digits, . _ -'));
    else if (seen.has(name)) problems.push(at(field('name'), `${path}.name`, `duplicate name ${JSON.stringify(name)}`));
    if (regex === undefined) problems.push(at(field('regex') ?? item, `${path}.regex`, 'regex must be a string'));
    const replace = item.has('replace') ? str('replace') : undefined;
    if (item.has('replace') && replace === undefined) problems.push(at(field('replace'), `${path}.replace`, 'replace must be a string'));
    const flags = item.has('flags') ? (str('flags') ?? '?') : '';
    if (!name || regex === undefined) return;
    seen.add(name);
    const re = compile(regex, flags);
    if (typeof re === 'string') return problems.push(at(field('regex'), `${path}.regex`, re));
    out.push({ name, regex: re, replace });
  });
  if (problems.length > 0) throw new InputError(problems);
  return out;
}
