/**
 * Label and field selectors as the real API server parses them (`k8s.io/apimachinery/pkg/labels`
 * and `fields`): comma-separated requirements, all of which must match. Parse errors are values
 * so the router can answer 400 like the real server.
 */

type LabelRequirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: '=' | '!='; values: [string] }
  | { key: string; op: 'exists' | '!exists'; values: [] };

/** A parsed selector: a predicate, or the reason it could not be parsed. */
export type ParsedSelector<T> = { ok: true; matches: (subject: T) => boolean } | { ok: false; error: string };

/** Splits on commas that are not inside `( … )` (set-based values contain commas). */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function parseLabelRequirement(text: string): LabelRequirement | string {
  const set = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(text);
  if (set) return { key: set[1], op: set[2] as 'in' | 'notin', values: set[3].split(',').map((v) => v.trim()).filter((v) => v !== '') };
  const cmp = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(text);
  if (cmp) return { key: cmp[1], op: cmp[2] === '!=' ? '!=' : '=', values: [cmp[3]] };
  const exists = /^(!?)([^\s!=(),]+)$/.exec(text);
  if (exists) return { key: exists[2], op: exists[1] ? '!exists' : 'exists', values: [] };
  return `unable to parse requirement: ${JSON.stringify(text)}`;
}

function labelMatches(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case '=':
      return has && value === r.values[0];
    case '!=':
      return !has || value !== r.values[0];
    case 'in':
      return has && r.values.includes(value);
    case 'notin':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case '!exists':
      return !has;
  }
}

/** Parses a `labelSelector` query value (empty or absent selects everything). */
export function parseLabelSelector(selector: string | null | undefined): ParsedSelector<Record<string, string> | undefined> {
  const requirements: LabelRequirement[] = [];
  for (const part of splitTopLevel(selector ?? '')) {
    const r = parseLabelRequirement(part);
    if (typeof r === 'string') return { ok: false, error: r };
    requirements.push(r);
  }
  return { ok: true, matches: (labels) => requirements.every((r) => labelMatches(r, labels ?? {})) };
}

/** Reads a dotted path (`spec.nodeName`) from an object; absent values read as "". */
function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur === undefined || cur === null ? '' : String(cur);
}

/**
 * Parses a `fieldSelector` (`=`, `==`, `!=` only, as in the real server). Any dotted path of
 * the object is accepted — the real server restricts the fields per resource, but being more
 * permissive never breaks a client that works against a real cluster.
 */
export function parseFieldSelector(selector: string | null | undefined): ParsedSelector<unknown> {
  const requirements: { path: string; negate: boolean; value: string }[] = [];
  for (const part of splitTopLevel(selector ?? '')) {
    const m = /^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) return { ok: false, error: `invalid selector: '${part}'; can't understand '${part}'` };
    requirements.push({ path: m[1], negate: m[2] === '!=', value: m[3].trim() });
  }
  return { ok: true, matches: (obj) => requirements.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate) };
}
