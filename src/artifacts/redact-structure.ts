/**
 * Secrets that only the surrounding lines reveal, in YAML and pretty-printed JSON as kubectl
 * writes them: Secret `data`/`stringData` values (kubectl prints `data` BEFORE `kind`, so the
 * block is held back until the object's `kind` is known), `env` entries whose `name` looks
 * secret (`value` on a following line), `last-applied-configuration` annotations and secret
 * keys with block-scalar values (whose continuation lines are dropped).
 *
 * State is keyed by the column where an object's keys start; a shallower line closes deeper
 * objects. Memory stays bounded: a held-back block larger than MAX_HELD_BYTES is treated as a
 * Secret (redacting a huge ConfigMap is the safe mistake).
 */
import { SECRET_NAME, kindForKey, marker } from './redact-rules.js';
import { redactCompactJson } from './redact-json.js';

const MAX_HELD_BYTES = 4 * 1024 * 1024;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const SECRET_KEY = /(?:password|passwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client-key-data|credentials?)$/i;
const BLOCK_INDICATOR = /^[|>][+-]?\d*$/;

/** A line as the state machine sees it. */
interface Shape {
  blank: boolean;
  /** Column of the first non-space character (the dash, for `- key:` lines). */
  indent: number;
  dash: boolean;
  key?: string;
  keyCol: number;
  /** Offset where the value starts and the value without quotes/trailing comma (JSON). */
  valueStart: number;
  value: string;
}

const KEY_LINE = /^( *)((?:- +)*)(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s"'#{}[\],:][^:#]*?))[ \t]*:(?:[ \t]+(.*?)|)[ \t]*\r?$/;

/** Value without a trailing JSON comma and without surrounding quotes. */
function bareValue(raw: string): string {
  let v = raw.endsWith(',') ? raw.slice(0, -1) : raw;
  const q = v[0];
  if (v.length >= 2 && (q === '"' || q === "'") && v.endsWith(q)) v = v.slice(1, -1);
  return v;
}

function parse(line: string): Shape {
  let indent = 0;
  while (indent < line.length && line.charCodeAt(indent) === 32) indent++;
  const rest = line.slice(indent);
  const blank = rest.trim().length === 0;
  const dash = rest.startsWith('- ');
  // Only lines with a colon can be `key: value` (most log lines still have one; the regex is cheap).
  const m = blank || !rest.includes(':') ? null : KEY_LINE.exec(line);
  if (!m) return { blank, indent, dash, keyCol: indent, valueStart: line.length, value: '' };
  const key = m[3] ?? m[4] ?? m[5] ?? '';
  const raw = m[6] ?? '';
  const valueStart = raw.length > 0 ? line.trimEnd().length - raw.length : line.length;
  return { blank, indent, dash: m[2].length > 0, key, keyCol: m[1].length + m[2].length, valueStart, value: bareValue(raw) };
}

interface Held {
  col: number;
  json: boolean;
  phase: 'block' | 'siblings';
  lines: string[];
  bytes: number;
}

export class StructuralRedactor {
  readonly counts: Record<string, number> = {};
  private kinds = new Map<number, string>();
  private secretEnv = new Set<number>();
  private suppressDeeperThan: number | undefined;
  private secretBlock: { col: number; json: boolean; childCol?: number } | undefined;
  private held: Held | undefined;

  /** Feeds one line (without its end-of-line); returns the lines to emit now. */
  push(line: string): string[] {
    return this.held ? this.holdOrDecide(line) : this.normal(line);
  }

  /**
   * End of input: a held block never proved to belong to a Secret is released as it was —
   * unless the input was cut short (`assumeSecret`), when the kind may simply be missing.
   */
  end(assumeSecret = false): string[] {
    return this.held ? this.decide(assumeSecret) : [];
  }

  private count(kind: string): void {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
  }

  private normal(line: string): string[] {
    const shape = parse(line);
    if (this.suppressDeeperThan !== undefined) {
      if (shape.blank || shape.indent > this.suppressDeeperThan) return [];
      this.suppressDeeperThan = undefined;
    }
    if (this.secretBlock) {
      const out = this.secretDataLine(shape, line);
      if (out) return out;
    }
    if (shape.blank) return [line];
    if (shape.indent === 0 && (line.startsWith('---') || line.startsWith('...')) && /^(?:---|\.\.\.)(?:\s|$)/.test(line)) {
      this.forgetDeeperThan(-1);
    } else this.forgetDeeperThan(shape.indent);
    if (shape.key === undefined) return this.compactJson(line);
    const c = shape.keyCol;
    const key = shape.key;
    if (key === 'kind') this.kinds.set(c, shape.value);
    if (key === 'name' && SECRET_NAME.test(shape.value)) this.secretEnv.add(c);
    if (key === 'value' && this.secretEnv.has(c)) return this.redactValue(shape, line, 'env-secret');
    if (key === LAST_APPLIED) return this.redactValue(shape, line, 'last-applied-configuration');
    if (SECRET_KEY.test(key) && BLOCK_INDICATOR.test(shape.value)) return this.redactValue(shape, line, kindForKey(key));
    if ((key === 'data' || key === 'stringData') && (shape.value === '' || shape.value === '{')) {
      const kind = this.kinds.get(c);
      const json = shape.value === '{';
      if (kind === 'Secret') this.secretBlock = { col: c, json };
      else if (kind === undefined) {
        this.held = { col: c, json, phase: 'block', lines: [line], bytes: line.length };
        return [];
      }
    }
    return [line];
  }

  /** Closes objects whose keys sit deeper than `col`. */
  private forgetDeeperThan(col: number): void {
    // Deleting during iteration is safe for Map/Set; skip the loops entirely when empty.
    if (this.kinds.size > 0) for (const k of this.kinds.keys()) if (k > col) this.kinds.delete(k);
    if (this.secretEnv.size > 0) for (const k of this.secretEnv) if (k > col) this.secretEnv.delete(k);
  }

  /** A line inside a known Secret's data block; undefined when the block has ended. */
  private secretDataLine(shape: Shape, line: string): string[] | undefined {
    const b = this.secretBlock!;
    if (shape.blank) return [line];
    if (b.json && shape.indent === b.col && line.trimStart().startsWith('}')) {
      this.secretBlock = undefined;
      return [line];
    }
    if (shape.indent <= b.col) {
      this.secretBlock = undefined;
      return undefined;
    }
    b.childCol ??= shape.keyCol;
    if (shape.key !== undefined && shape.keyCol === b.childCol && !shape.dash) {
      return this.redactValue(shape, line, 'secret-data');
    }
    return []; // continuation of a multi-line value
  }

  /** Replaces a key's value by the marker; continuation lines (deeper indent) are dropped. */
  private redactValue(shape: Shape, line: string, kind: string): string[] {
    const prefix = line.slice(0, shape.valueStart);
    const raw = line.slice(shape.valueStart).replace(/[ \t]*\r?$/, '');
    this.suppressDeeperThan = shape.keyCol;
    if (raw === '' || raw.includes('[REDACTED:')) return [line];
    this.count(kind);
    const mark = marker(kind);
    const quoted = /^(["'])((?:\\.|(?!\1).)*)\1(.*)$/.exec(raw);
    if (quoted) return [`${prefix}${quoted[1]}${mark}${quoted[1]}${quoted[3]}`];
    return [`${prefix}"${mark}"`];
  }

  /** One-line JSON holding Secret objects (API responses saved compact). */
  private compactJson(line: string): string[] {
    const t = line.trimStart();
    if ((t.startsWith('{') || t.startsWith('[')) && /"kind"\s*:\s*"Secret"/.test(line)) {
      return [redactCompactJson(line, this.counts)];
    }
    return [line];
  }

  /** Holds the data block until the object's `kind` shows up (or the object ends). */
  private holdOrDecide(line: string): string[] {
    const h = this.held!;
    const shape = parse(line);
    const hold = (): string[] => {
      h.lines.push(line);
      h.bytes += line.length;
      return h.bytes > MAX_HELD_BYTES ? this.decide(true) : [];
    };
    if (h.phase === 'block') {
      if (h.json && shape.indent === h.col && line.trimStart().startsWith('}')) {
        h.phase = 'siblings';
        return hold();
      }
      if (shape.blank || shape.indent > h.col) return hold();
      h.phase = 'siblings';
    }
    if (shape.blank || shape.indent > h.col) return hold();
    if (shape.key !== undefined && shape.keyCol === h.col && !shape.dash) {
      if (shape.key === 'kind') return [...this.decide(shape.value === 'Secret'), ...this.push(line)];
      return hold();
    }
    return [...this.decide(false), ...this.push(line)];
  }

  /** Releases the held lines, redacting the data block when it belongs to a Secret. */
  private decide(isSecret: boolean): string[] {
    const h = this.held!;
    this.held = undefined;
    if (isSecret) this.secretBlock = { col: h.col, json: h.json };
    const out = [h.lines[0]];
    for (const l of h.lines.slice(1)) out.push(...this.push(l));
    return out;
  }
}
