/** Argv helpers for local/kubectl steps: quote a list into a line, split a line into a list. */
import { shellWords } from '../inventory/ssh-args.js';
import { shellJoin } from '../transport/shell-quote.js';

/** Quotes an argv list into one command line (for the manifest and would-run). */
export const quoteArgv = (argv: readonly string[]): string => shellJoin(argv);

/**
 * Splits `kubectl: "get pods -A"` into argv the way a shell would for quoting (single and double
 * quotes, backslashes) without expanding anything.
 */
export function splitArgs(line: string): string[] {
  const words = shellWords(line);
  if (!Array.isArray(words)) throw new SyntaxError(`${words.error} in: ${line}`);
  return words;
}
