/**
 * POSIX shell quoting for values that reach `sh -c`: wrap in single quotes and spell each
 * embedded `'` as `'\''`. Anything (`;`, `$(…)`, newlines) is then one literal word.
 */
export function shellQuote(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
