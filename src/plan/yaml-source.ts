/**
 * A parsed YAML file that remembers where every node came from, so any problem found later
 * (schema, references, templates) can be reported as `file:line:col: dot.path: message`.
 * Shared by the plan and the inventory loaders.
 */
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { InputProblem } from '../errors.js';
import type { SourceLocation } from './types.js';

/** One segment of a dot-path: a map key or a list index. */
export type PathSegment = string | number;

/** A YAML document plus the means to turn a dot-path into a file position. */
export interface YamlSource {
  /** File name as the user gave it (used in messages). */
  file: string;
  doc: Document.Parsed;
  /** Plain JS value of the document (undefined for an empty file). */
  data: unknown;
  /** YAML syntax problems; when non-empty `data` should not be trusted. */
  problems: InputProblem[];
  /** Position of the node at `path` (or of its key with `key: true`); nearest ancestor if absent. */
  locate(path: readonly PathSegment[], opts?: { key?: boolean }): SourceLocation;
  /** A problem at `path`, formatted with its position and dot-path. */
  problem(path: readonly PathSegment[], message: string, opts?: { key?: boolean }): InputProblem;
}

/** The part of a source that turns paths into positions (also implemented by the INI reader). */
export type Locator = Pick<YamlSource, 'file' | 'locate' | 'problem'>;

/** `steps[3].ssh` from `['steps', 3, 'ssh']`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][\w-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** Parses `text` (the content of `file`) keeping node ranges; never throws on bad YAML. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // merge: true because Ansible users write `<<: *defaults`; duplicate keys stay errors.
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const problems: InputProblem[] = doc.errors.map((e) => ({ ...at(e.pos[0]), message: `YAML syntax: ${firstLine(e.message)}` }));
  let data: unknown;
  if (problems.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      problems.push({ ...at(0), message: `YAML: ${err instanceof Error ? err.message : String(err)}` });
    }
  }

  const locate = (path: readonly PathSegment[], opts: { key?: boolean } = {}): SourceLocation => {
    let node: unknown = doc.contents;
    let best = nodeStart(node) ?? 0;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && (isScalar(p.key) ? p.key.value : p.key) === seg);
        if (!pair) break;
        const keyStart = nodeStart(pair.key);
        if (last && opts.key && keyStart !== undefined) return at(keyStart);
        const valueStart = nodeStart(pair.value);
        if (valueStart === undefined) {
          // `key:` with no value: point at the key itself.
          if (keyStart !== undefined) best = keyStart;
          break;
        }
        node = pair.value;
        best = valueStart;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        const start = nodeStart(item);
        if (start === undefined) break;
        node = item;
        best = start;
      } else break;
    }
    return at(best);
  };

  const problem = (path: readonly PathSegment[], message: string, opts?: { key?: boolean }): InputProblem => {
    const p = formatPath(path);
    return { ...locate(path, opts), ...(p ? { path: p } : {}), message };
  };

  return { file, doc, data, problems, locate, problem };
}

function nodeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return Array.isArray(range) ? range[0] : undefined;
}

function firstLine(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** File order reads best: by line, then column; problems without a line keep their order. */
export function sortProblems(problems: InputProblem[]): InputProblem[] {
  const seen = new Set<string>();
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.col ?? 0) - (b.p.col ?? 0) || a.i - b.i)
    .map(({ p }) => p)
    .filter((p) => {
      const key = `${p.line}:${p.col}:${p.path}:${p.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
