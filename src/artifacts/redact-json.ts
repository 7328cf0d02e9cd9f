/**
 * Compact (one-line) JSON that holds Secret objects: the line is parsed and walked, because a
 * regex cannot tell a Secret's `data` from a ConfigMap's on the same line (`kubectl get cm,secret
 * -o json | jq -c`). Unchanged lines are returned byte-for-byte; lines that do not parse fall
 * back to redacting every `data`/`stringData` object on the line (the safe mistake).
 */
import { SECRET_NAME, marker } from './redact-rules.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
/** Lines longer than this are not parsed (bounded memory); the regex fallback applies. */
const MAX_PARSE_CHARS = 4 * 1024 * 1024;

function bump(counts: Record<string, number>, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

/** Redacts Secret data, secret env values and last-applied annotations inside parsed JSON. */
function walk(node: unknown, counts: Record<string, number>): boolean {
  if (Array.isArray(node)) {
    let changed = false;
    for (const item of node) changed = walk(item, counts) || changed;
    return changed;
  }
  if (node === null || typeof node !== 'object') return false;
  const obj = node as Record<string, unknown>;
  let changed = false;
  if (obj.kind === 'Secret') {
    for (const field of ['data', 'stringData']) {
      const data = obj[field];
      if (data && typeof data === 'object' && !Array.isArray(data)) {
        for (const k of Object.keys(data)) {
          (data as Record<string, unknown>)[k] = marker('secret-data');
          bump(counts, 'secret-data');
          changed = true;
        }
      }
    }
  }
  if (typeof obj.name === 'string' && typeof obj.value === 'string' && SECRET_NAME.test(obj.name) && !obj.value.startsWith('[REDACTED:')) {
    obj.value = marker('env-secret');
    bump(counts, 'env-secret');
    changed = true;
  }
  if (typeof obj[LAST_APPLIED] === 'string') {
    obj[LAST_APPLIED] = marker('last-applied-configuration');
    bump(counts, 'last-applied-configuration');
    changed = true;
  }
  for (const v of Object.values(obj)) changed = walk(v, counts) || changed;
  return changed;
}

/** Redacts one compact JSON line that mentions `"kind":"Secret"`. */
export function redactCompactJson(line: string, counts: Record<string, number>): string {
  if (line.length <= MAX_PARSE_CHARS) {
    try {
      // latin1 in, latin1 out: re-encode so non-ASCII text survives the JSON round trip.
      const doc = JSON.parse(Buffer.from(line, 'latin1').toString('utf8')) as unknown;
      if (!walk(doc, counts)) return line;
      return Buffer.from(JSON.stringify(doc), 'utf8').toString('latin1');
    } catch {
      // not JSON after all: fall through to the regex fallback
    }
  }
  return line.replace(/("(?:data|stringData)"\s*:\s*\{)([^{}]*)(\})/g, (_m, open: string, body: string, close: string) => {
    const redacted = body.replace(/("(?:[^"\\]|\\.)*"\s*:\s*)"(?:[^"\\]|\\.)*"/g, (_x, k: string) => {
      bump(counts, 'secret-data');
      return `${k}"${marker('secret-data')}"`;
    });
    return open + redacted + close;
  });
}
