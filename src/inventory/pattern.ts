/**
 * Ansible host patterns, for step `hosts:` and `--limit`:
 *   all, *                 every host
 *   web, node-1            a group (all its descendants' hosts) or a host, by name
 *   node-*, n?de, [ab]*    globs over group and host names
 *   ~node-\d+              regular expression (anchored at the start, as Ansible's re.match)
 *   web[0], web[1:3]       subscript of a term's hosts (in inventory order)
 *   a:b   a,b              union          a:&b   intersection          a:!b   exclusion
 * Like Ansible, unions are applied first, then intersections, then exclusions, whatever their
 * order in the text; a pattern made only of exclusions starts from `all`. The result is in
 * inventory order. Unlike Ansible (which only warns), a plain name that matches nothing is an
 * error: a typo in `!gpu-3` must not silently exclude nothing.
 */
import { readFileSync } from 'node:fs';
import { InputError, type InputProblem } from '../errors.js';
import type { Host, Inventory } from './types.js';

/** Where the pattern came from (a step's file:line, or `--limit`). */
export type PatternWhere = Omit<InputProblem, 'message'>;

interface Term {
  op: 'union' | 'intersect' | 'exclude';
  text: string;
  match: (name: string) => boolean;
  /** Plain names must exist; globs and regexes may match nothing. */
  literal: boolean;
  subscript?: { start: number; end?: number; single: boolean };
}

const SUBSCRIPT_RE = /^(.+)\[(?:(-?\d+)|(\d+)?([:-])(\d*))\]$/;
const GLOB_CHARS = /[*?[]/;

/**
 * Splits like Ansible: on commas, and on colons outside `[...]` / `(...)` (host subscripts,
 * regex classes and groups). An unclosed bracket keeps the rest of the piece in one term, so a
 * broken regex is reported rather than silently cut in two.
 */
function splitPattern(pattern: string): string[] {
  const out: string[] = [];
  for (const piece of pattern.split(',')) {
    let depth = 0;
    let cur = '';
    for (const c of piece) {
      if (c === '[' || c === '(') depth++;
      else if ((c === ']' || c === ')') && depth > 0) depth--;
      if (c === ':' && depth === 0) {
        out.push(cur);
        cur = '';
      } else cur += c;
    }
    out.push(cur);
  }
  return out.map((t) => t.trim()).filter(Boolean);
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = glob.indexOf(']', i + 1);
      if (close === -1) re += '\\[';
      else {
        const body = glob.slice(i + 1, close);
        re += `[${body.startsWith('!') ? '^' + body.slice(1) : body}]`;
        i = close;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Parses a pattern into terms; throws InputError for syntax problems (bad regex, empty term). */
export function parsePattern(pattern: string, where: PatternWhere = {}): Term[] {
  const fail = (message: string) => new InputError({ ...where, message: `host pattern ${JSON.stringify(pattern)}: ${message}` });
  const pieces = splitPattern(pattern);
  if (pieces.length === 0) throw fail('is empty');
  return pieces.map((piece): Term => {
    const op = piece.startsWith('&') ? 'intersect' : piece.startsWith('!') ? 'exclude' : 'union';
    let text = op === 'union' ? piece : piece.slice(1).trim();
    if (!text) throw fail(`"${piece}" has nothing after ${piece[0]}`);
    if (text.startsWith('~')) {
      const source = text.slice(1);
      if (!source) throw fail('"~" needs a regular expression after it');
      try {
        const re = new RegExp(`^(?:${source})`);
        return { op, text, match: (n) => re.test(n), literal: false };
      } catch (err) {
        throw fail(`invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '')}`);
      }
    }
    let subscript: Term['subscript'];
    const sub = SUBSCRIPT_RE.exec(text);
    if (sub) {
      text = sub[1];
      subscript = sub[2] !== undefined ? { start: Number(sub[2]), single: true } : { start: Number(sub[3] ?? 0), end: sub[5] ? Number(sub[5]) : undefined, single: false };
    }
    if (text === 'all' || text === '*') return { op, text, match: () => true, literal: false, subscript };
    if (GLOB_CHARS.test(text)) {
      const re = globToRegExp(text);
      return { op, text, match: (n) => re.test(n), literal: false, subscript };
    }
    if (/\s/.test(text)) throw fail(`"${text}" contains whitespace`);
    return { op, text, match: (n) => n === text, literal: true, subscript };
  });
}

/** Syntax problems of a pattern (for validation without an inventory). */
export function patternProblems(pattern: string, where: PatternWhere = {}): InputProblem[] {
  try {
    parsePattern(pattern, where);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}

/** Hosts of a group and all its descendant groups. */
function groupHosts(inv: Inventory, group: string, out = new Set<string>(), seen = new Set<string>()): Set<string> {
  if (seen.has(group)) return out; // cycles are rejected at load, but never loop here
  seen.add(group);
  const g = inv.groups.get(group);
  if (!g) return out;
  for (const h of g.hosts) out.add(h);
  for (const c of g.children) groupHosts(inv, c, out, seen);
  return out;
}

const orderCache = new WeakMap<Inventory, Map<string, number>>();

function inventoryOrder(inv: Inventory, names: Iterable<string>): string[] {
  let order = orderCache.get(inv);
  if (!order) orderCache.set(inv, (order = new Map([...inv.hosts.keys()].map((n, i) => [n, i]))));
  const index = order;
  return [...names].sort((a, b) => (index.get(a) ?? 0) - (index.get(b) ?? 0));
}

function termHosts(inv: Inventory, term: Term): string[] {
  const hosts = new Set<string>();
  if (term.text === 'all' || term.text === '*') for (const n of inv.hosts.keys()) hosts.add(n);
  else {
    let groupMatched = false;
    for (const g of inv.groups.keys()) {
      if (!term.match(g)) continue;
      groupMatched = true;
      groupHosts(inv, g, hosts);
    }
    // Ansible: host names are tried when no group matched, or the term is a glob/regex.
    if (!groupMatched || !term.literal) for (const h of inv.hosts.keys()) if (term.match(h)) hosts.add(h);
  }
  let list = inventoryOrder(inv, hosts);
  const s = term.subscript;
  if (s) {
    if (s.single) list = list.slice(s.start < 0 ? list.length + s.start : s.start).slice(0, 1);
    else list = list.slice(s.start, s.end === undefined ? undefined : s.end + 1);
  }
  return list;
}

/**
 * Hosts selected by `pattern`, in inventory order. Throws InputError (at `where`) for a bad
 * pattern or plain names that are neither a group nor a host (all of them listed).
 */
export function selectHosts(inv: Inventory, pattern: string, opts: { where?: PatternWhere } = {}): Host[] {
  const terms = parsePattern(pattern, opts.where);
  const unknown = terms.filter((t) => t.literal && !inv.groups.has(t.text) && !inv.hosts.has(t.text)).map((t) => t.text);
  if (unknown.length) {
    throw new InputError({
      ...opts.where,
      message: `host pattern ${JSON.stringify(pattern)}: no group or host named ${unknown.map((u) => JSON.stringify(u)).join(', ')} in ${inv.file}`,
    });
  }
  const unions = terms.filter((t) => t.op === 'union');
  let selected = new Set<string>(unions.length ? [] : inv.hosts.keys());
  for (const t of unions) for (const h of termHosts(inv, t)) selected.add(h);
  for (const t of terms.filter((x) => x.op === 'intersect')) {
    const keep = new Set(termHosts(inv, t));
    selected = new Set([...selected].filter((h) => keep.has(h)));
  }
  for (const t of terms.filter((x) => x.op === 'exclude')) for (const h of termHosts(inv, t)) selected.delete(h);
  return inventoryOrder(inv, selected).map((n) => inv.hosts.get(n)!);
}

/**
 * `--limit`: keeps the hosts of `hosts` that `limit` selects. `limit` is a pattern, or
 * `@file` with one host name per line (like Ansible's retry files).
 */
export function applyLimit(hosts: Host[], inv: Inventory, limit: string, opts: { where?: PatternWhere } = {}): Host[] {
  const where = opts.where ?? { path: '--limit' };
  let pattern = limit;
  if (limit.startsWith('@')) {
    let text: string;
    try {
      text = readFileSync(limit.slice(1), 'utf8');
    } catch (err) {
      throw new InputError({ ...where, message: `cannot read limit file ${limit.slice(1)}: ${(err as Error).message}` });
    }
    pattern = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
      .join(',');
    if (!pattern) throw new InputError({ ...where, message: `limit file ${limit.slice(1)} names no hosts` });
  }
  const allowed = new Set(selectHosts(inv, pattern, { where }).map((h) => h.name));
  return hosts.filter((h) => allowed.has(h.name));
}
