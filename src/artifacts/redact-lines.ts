/**
 * The per-line redaction pipeline for text files: structural (YAML/JSON context) →
 * PEM blocks (a carry-over state across lines) → inline patterns → user patterns → an optional
 * post-step (obfuscation). Lines are latin1 strings WITHOUT their `\n` (a `\r` stays on the
 * line), so every byte that is not a secret comes out exactly as it went in.
 */
import { INLINE_RULES, mayHoldSecret, applyInlineRule, applyUserPattern, marker, type UserPattern } from './redact-rules.js';
import { StructuralRedactor } from './redact-structure.js';

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----/;

/** Something that turns input lines into output lines, possibly holding some back. */
export interface LineProcessor {
  push(line: string): string[];
  end(): string[];
}

export interface LineRedactorOptions {
  /** Built-in redaction on (default true); user patterns apply either way. */
  builtIn?: boolean;
  userPatterns?: UserPattern[];
  /** Applied to every emitted line last (the obfuscator). */
  post?: (line: string) => string;
  /** The input was cut short: a data block still waiting for its `kind` is treated as a Secret's. */
  heldAtEndIsSecret?: boolean;
}

/** Redacts a text stream line by line with constant memory. `counts` holds hits per kind. */
export class LineRedactor implements LineProcessor {
  readonly counts: Record<string, number> = {};
  private readonly structural: StructuralRedactor | undefined;
  private readonly builtIn: boolean;
  private readonly user: UserPattern[];
  private readonly post: ((line: string) => string) | undefined;
  private inPem = false;
  private readonly heldAtEndIsSecret: boolean;

  constructor(opts: LineRedactorOptions = {}) {
    this.builtIn = opts.builtIn !== false;
    this.user = opts.userPatterns ?? [];
    this.post = opts.post;
    this.heldAtEndIsSecret = opts.heldAtEndIsSecret === true;
    this.structural = this.builtIn ? new StructuralRedactor() : undefined;
  }

  push(line: string): string[] {
    const lines = this.structural ? this.structural.push(line) : [line];
    return this.finish(lines);
  }

  end(): string[] {
    const out = this.finish(this.structural ? this.structural.end(this.heldAtEndIsSecret) : []);
    if (this.structural) for (const [k, n] of Object.entries(this.structural.counts)) this.counts[k] = (this.counts[k] ?? 0) + n;
    return out;
  }

  private finish(lines: string[]): string[] {
    const out: string[] = [];
    for (const l of lines) {
      for (const p of this.builtIn ? this.pem(l) : [l]) {
        let s = p;
        if (this.builtIn && mayHoldSecret(s)) for (const rule of INLINE_RULES) s = applyInlineRule(s, rule, 'text', this.counts);
        for (const u of this.user) s = applyUserPattern(s, u, 'text', this.counts);
        out.push(this.post ? this.post(s) : s);
      }
    }
    return out;
  }

  /** Multi-line PEM private keys: keep the BEGIN/END lines, replace the body with one marker line. */
  private pem(line: string): string[] {
    if (this.inPem) {
      const end = PEM_END.exec(line);
      if (!end) return [];
      this.inPem = false;
      return [leadingSpace(line) + line.slice(end.index)];
    }
    const begin = PEM_BEGIN.exec(line);
    if (!begin || PEM_END.test(line.slice(begin.index))) return [line];
    this.inPem = true;
    this.counts['private-key'] = (this.counts['private-key'] ?? 0) + 1;
    return [line.slice(0, begin.index + begin[0].length), leadingSpace(line) + marker('private-key')];
  }
}

function leadingSpace(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}
