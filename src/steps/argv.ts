/** Argv helpers for local/kubectl steps: quote a list into a line, split a line into a list. */
import { shellQuote } from '../transport/shell-quote.js';

/** Quotes an argv list into one command line (for the manifest and would-run). */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

/**
 * Splits a command string into argv the way a shell would for quoting purposes (single and
 * double quotes, backslash escapes) without expanding anything — for `kubectl: "get pods -A"`.
 */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1])) cur += line[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new SyntaxError(`unterminated ${quote} quote in: ${line}`);
  if (inWord) out.push(cur);
  return out;
}
