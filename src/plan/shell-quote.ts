/**
 * POSIX shell quoting. Anything that is not obviously one harmless word gets single quotes,
 * with embedded single quotes written as `'\''`, so a host called `a;rm -rf /` reaches the
 * remote shell as one literal argument.
 */

/** Characters that never need quoting in POSIX sh (no globbing, expansion or separators). */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one value as a single shell word (empty → `''`). */
export function shellQuote(value: string): string {
  if (value !== '' && SAFE_WORD.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each element and joins with spaces: an argv for a shell command line. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
