/**
 * POSIX shell quoting for everything that reaches `sh -c`: wrap in single quotes and spell each
 * embedded `'` as `'\''`. Anything (`;`, `$(…)`, newlines) is then one literal word; plainly
 * harmless words stay bare so commands in the manifest remain readable.
 */

export interface QuoteOptions {
  /**
   * Also quote words containing `=`: a templated value at the start of a command line
   * (`{{x}} cmd` with x = `A=B`) would otherwise become an environment assignment.
   */
  quoteAssignments?: boolean;
}

export function shellQuote(value: string, opts: QuoteOptions = {}): string {
  const safe = opts.quoteAssignments ? /^[A-Za-z0-9_@%+:,./-]+$/ : /^[A-Za-z0-9_@%+=:,./-]+$/;
  if (value !== '' && safe.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Quotes each element and joins with spaces: an argv as one shell command line. */
export function shellJoin(argv: readonly string[], opts: QuoteOptions = {}): string {
  return argv.map((a) => shellQuote(a, opts)).join(' ');
}
