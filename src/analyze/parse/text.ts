/**
 * Line helpers shared by the parsers: every parsed item keeps the 1-based line it came from so
 * a finding can cite `file:line`.
 */

/** A line of text with its 1-based number. */
export interface NumberedLine {
  line: number;
  text: string;
}

/** Splits text into numbered lines (CRLF tolerated, trailing empty line dropped). */
export function numberedLines(text: string): NumberedLine[] {
  const parts = text.split(/\r?\n/);
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((t, i) => ({ line: i + 1, text: t }));
}

/** Lines matching a pattern, in order. */
export function grepLines(text: string, pattern: RegExp): NumberedLine[] {
  return numberedLines(text).filter((l) => pattern.test(l.text));
}

/**
 * 1-based line of the first occurrence of `needle` in `text` (after `from`, a character
 * offset), or undefined. Used to point into JSON/YAML documents at an object's name.
 */
export function lineOf(text: string, needle: string, from = 0): number | undefined {
  const at = text.indexOf(needle, from);
  if (at < 0) return undefined;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Shortens an excerpt for the report (evidence shows the gist, the file has the rest). */
export function clip(s: string, max = 240): string {
  const one = s.trim();
  return one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}
