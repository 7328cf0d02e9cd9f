/**
 * Streams for bundling: a line transform for text (redaction + obfuscation, with head/tail
 * truncation that always cuts at a line boundary so a secret is never half-kept) and a
 * length-preserving masker for binary files (pcap payloads may carry an Authorization header).
 * Both keep memory constant: a text line longer than MAX_LINE is processed in pieces.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { INLINE_RULES, mayHoldSecret, type UserPattern } from './redact-rules.js';
import type { LineProcessor } from './redact-lines.js';

const MAX_LINE = 4 * 1024 * 1024;

export interface LineTransformOptions {
  /** Input was cut at its end: drop the last (incomplete) line. */
  dropTrailingPartial?: boolean;
  /** Input starts mid-file: drop everything up to the first newline. */
  skipLeadingPartial?: boolean;
  /** Lines starting within the first N input bytes are fed to the processor (for context) but not written. */
  discardFirstBytes?: number;
  /** Text written before / after the processed content (truncation notes). */
  prefix?: string;
  suffix?: string;
}

/** Splits latin1 text into lines, feeds a LineProcessor, re-joins with `\n`. */
export class LineTransform extends Transform {
  private carry = '';
  private started = false;
  private skipping: boolean;
  /** Output lines of the current chunk, pushed as one buffer (a push per line is slow). */
  private out: string[] = [];
  /** Input offset of the start of `carry`. */
  private offset = 0;

  constructor(
    private readonly processor: LineProcessor,
    private readonly opts: LineTransformOptions = {},
  ) {
    super();
    this.skipping = opts.skipLeadingPartial === true;
    if (opts.prefix) this.push(Buffer.from(opts.prefix, 'latin1'));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let text = this.carry + chunk.toString('latin1');
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        this.offset += text.length;
        this.carry = '';
        return done();
      }
      text = text.slice(nl + 1);
      this.offset += nl + 1;
      this.skipping = false;
    }
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      this.feed(text.slice(start, nl), this.offset + start);
      start = nl + 1;
    }
    this.carry = text.slice(start);
    this.offset += start;
    if (this.carry.length > MAX_LINE) {
      // A pathological line: process it in pieces rather than grow without bound.
      this.feed(this.carry, this.offset);
      this.offset += this.carry.length;
      this.carry = '';
    }
    this.flushOut();
    done();
  }

  override _flush(done: TransformCallback): void {
    const endsWithNewline = this.carry.length === 0;
    if (!endsWithNewline && !this.opts.dropTrailingPartial) this.feed(this.carry, this.offset);
    this.emit_(this.processor.end());
    this.flushOut();
    if (this.started && (endsWithNewline || this.opts.dropTrailingPartial)) this.push(Buffer.from('\n'));
    if (this.opts.suffix) this.push(Buffer.from(this.opts.suffix, 'latin1'));
    done();
  }

  private feed(line: string, at: number): void {
    const out = this.processor.push(line);
    if (at >= (this.opts.discardFirstBytes ?? 0)) this.emit_(out);
  }

  /** Writes lines with the separator BEFORE each one, so a missing final newline survives. */
  private emit_(lines: string[]): void {
    if (lines.length === 0) return;
    if (this.started) this.out.push('\n');
    this.out.push(lines.length === 1 ? lines[0] : lines.join('\n'));
    this.started = true;
  }

  private flushOut(): void {
    if (this.out.length === 0) return;
    this.push(Buffer.from(this.out.join(''), 'latin1'));
    this.out = [];
  }
}

/** Bytes kept back between windows so a secret split across chunks is still seen whole. */
const OVERLAP = 16 * 1024;

/**
 * Masks secrets in binary data with `*`, keeping every length and offset (pcap records stay
 * valid). Matches that run into the unread part are left for the next window.
 */
export class BinaryMasker extends Transform {
  readonly counts: Record<string, number> = {};
  private carry = '';

  constructor(
    private readonly builtIn: boolean,
    private readonly user: UserPattern[],
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.window(this.carry + chunk.toString('latin1'), false);
    done();
  }

  override _flush(done: TransformCallback): void {
    this.window(this.carry, true);
    done();
  }

  private window(text: string, last: boolean): void {
    const safeEnd = last ? text.length : Math.max(0, text.length - OVERLAP);
    const found: Record<string, number> = {};
    let cut = this.mask(text, safeEnd, false, found);
    // Never let the carry grow without bound (a match that keeps running): mask what we have.
    if (text.length - cut > 8 * OVERLAP) {
      for (const k of Object.keys(found)) delete found[k];
      cut = this.mask(text, safeEnd, true, found);
    }
    for (const [k, n] of Object.entries(found)) this.counts[k] = (this.counts[k] ?? 0) + n;
    const out = this.masked ?? text;
    this.masked = undefined;
    if (cut > 0) this.push(Buffer.from(out.slice(0, cut), 'latin1'));
    this.carry = out.slice(cut);
  }

  private masked: string | undefined;

  /** Masks matches ending before `safeEnd` (all of them when forced); returns where to cut. */
  private mask(text: string, safeEnd: number, force: boolean, found: Record<string, number>): number {
    let cut = safeEnd;
    this.masked = undefined;
    if (this.user.length === 0 && !mayHoldSecret(text)) return safeEnd;
    let buf: Buffer | undefined;
    let current = text;
    for (const r of this.rules()) {
      r.regex.lastIndex = 0;
      let changed = false;
      for (const m of current.matchAll(r.regex)) {
        const start = m.index;
        if (m[0].length === 0) continue;
        if (!force && start + m[0].length > safeEnd) {
          cut = Math.min(cut, start);
          continue;
        }
        const pre = r.user ? 0 : (m.groups?.pre ?? '').length;
        const secret = r.user ? m[0] : (m.groups?.s ?? '');
        if (secret.length === 0 || r.skip?.(secret) || secret.startsWith('[REDACTED:')) continue;
        buf ??= Buffer.from(text, 'latin1');
        buf.fill(0x2a, start + pre, start + pre + secret.length);
        const kind = r.kind(m.groups ?? {});
        found[kind] = (found[kind] ?? 0) + 1;
        changed = true;
      }
      if (changed) current = buf!.toString('latin1');
    }
    this.masked = buf ? current : undefined;
    return force ? safeEnd : cut;
  }

  private rules(): { regex: RegExp; kind: (g: Record<string, string | undefined>) => string; skip?: (s: string) => boolean; user: boolean }[] {
    const out: { regex: RegExp; kind: (g: Record<string, string | undefined>) => string; skip?: (s: string) => boolean; user: boolean }[] = [];
    if (this.builtIn) {
      for (const r of INLINE_RULES) out.push({ regex: r.regex, kind: (g) => (typeof r.kind === 'function' ? r.kind(g) : r.kind), skip: r.skip, user: false });
    }
    for (const u of this.user) out.push({ regex: u.regex, kind: () => `user:${u.name}`, user: true });
    return out;
  }
}
