/**
 * The small error taxonomy of netdiag. Expected failures of the things we run (non-zero exit,
 * timeout, unreachable host) are *values* in step results, never exceptions; these classes are
 * for problems with what the user gave us (InputError → exit 3) and for netdiag's own bugs.
 */

/** One problem found in a user-supplied file or option, pointing at where it is. */
export interface InputProblem {
  /** File the problem is in (absent for command-line options). */
  file?: string;
  /** 1-based line and column, when known. */
  line?: number;
  col?: number;
  /** Dot-path of the offending field, e.g. `steps[3].ssh`. */
  path?: string;
  message: string;
}

/** Formats a problem the way compilers do: `file:line:col: path: message`. */
export function formatProblem(p: InputProblem): string {
  const where = p.file ? `${p.file}${p.line ? `:${p.line}${p.col ? `:${p.col}` : ''}` : ''}: ` : '';
  const path = p.path ? `${p.path}: ` : '';
  return `${where}${path}${p.message}`;
}

/** Invalid plan, inventory, options or bundle: exit code 3, every problem listed at once. */
export class InputError extends Error {
  readonly problems: InputProblem[];
  constructor(problems: InputProblem[] | InputProblem | string) {
    const list = typeof problems === 'string' ? [{ message: problems }] : Array.isArray(problems) ? problems : [problems];
    super(list.map(formatProblem).join('\n'));
    this.name = 'InputError';
    this.problems = list;
  }
}

/** The run was interrupted (SIGINT / deadline): exit code 130. */
export class InterruptedError extends Error {
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}
