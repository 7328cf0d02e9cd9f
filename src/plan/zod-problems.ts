/**
 * Turns zod issues into located, human-worded problems. zod's own messages ("Invalid input:
 * expected string, received number") are written for developers; plan authors get
 * `steps[3].ssh: expected a string, got a number` at the right line instead.
 */
import type { z } from 'zod';
import type { InputProblem } from '../errors.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  record: 'a map',
  object: 'a map',
  map: 'a map',
  array: 'a list',
};

/** What a YAML value looks like, for "got …" in messages. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null (empty value)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)})`;
  if (typeof v === 'number') return `a number (${v})`;
  return `${typeof v} (${String(v)})`;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let cur = data;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * Located problems for a failed `safeParse` of the value found at `base` in `src`.
 * `data` is that value (what was parsed), used to say what was found instead.
 */
export function zodProblems(src: YamlSource, base: readonly PathSegment[], data: unknown, error: z.ZodError): InputProblem[] {
  const out: InputProblem[] = [];
  for (const issue of error.issues) {
    const rel = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    const path = [...base, ...rel];
    const found = valueAt(data, rel);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push(src.problem([...path, key], `unknown key "${key}"`, { key: true }));
        break;
      case 'invalid_type': {
        const want = EXPECTED_WORDS[issue.expected] ?? issue.expected;
        out.push(src.problem(path, found === undefined ? `is required (${want})` : `expected ${want}, got ${describeValue(found)}`));
        break;
      }
      case 'invalid_value':
        out.push(src.problem(path, `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(found)}`));
        break;
      case 'too_small':
        out.push(
          src.problem(
            path,
            issue.origin === 'string' ? 'must not be empty' : issue.origin === 'array' ? `needs at least ${issue.minimum} item(s)` : `must be >= ${issue.minimum}`,
          ),
        );
        break;
      case 'too_big':
        out.push(src.problem(path, `must be <= ${issue.maximum}`));
        break;
      case 'invalid_format':
        out.push(src.problem(path, issue.message.startsWith('Invalid') ? `has the wrong format: ${describeValue(found)}` : issue.message));
        break;
      default:
        out.push(src.problem(path, issue.message));
    }
  }
  return out;
}
