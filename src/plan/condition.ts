/**
 * `when:` / `until:` conditions in CEL (what Kubernetes users write in admission policies),
 * evaluated with @marcbachmann/cel-js over the maps `vars`, `registered` (alias `facts`) and
 * `host`, plus `result` for `until:` loops: the current attempt, which the engine may pass as
 * `result` or under `registered.result` (both work; `until: result.exitCode == 0`).
 *
 * Missing data: a condition that reads a key that does not exist (`registered.dns.rc` before
 * the `dns` step ran, or on a host where it was skipped) evaluates to FALSE and produces a
 * warning, rather than failing the step. That mirrors Ansible's "skip when the fact is not
 * there" habit while still telling the author. Write `has(registered.dns) && …` to make the
 * intent explicit and silence the warning. Any other runtime error (wrong types, a result
 * that is not a boolean) is an InputError: the condition is wrong, not the cluster.
 */
import { Environment, ParseError } from '@marcbachmann/cel-js';
import { InputError, type InputProblem } from '../errors.js';

/** What conditions can see; missing maps are treated as empty. */
export interface ConditionContext {
  vars?: Record<string, unknown>;
  registered?: Record<string, unknown>;
  facts?: Record<string, unknown>;
  host?: Record<string, unknown>;
  /** For `until:`: the current attempt's result (defaults to `registered.result`). */
  result?: unknown;
}

/** Where a condition came from, for messages (step file:line and dot-path like `steps[2].when`). */
export type ConditionWhere = Omit<InputProblem, 'message'>;

/** Outcome of one evaluation: a value (maybe with a warning) or an error message. */
export type ConditionOutcome = { ok: true; value: boolean; warning?: string } | { ok: false; error: string };

/** A condition that parsed and type-checked; evaluate as often as needed. */
export interface CompiledCondition {
  expression: string;
  evaluate(ctx: ConditionContext): ConditionOutcome;
}

const VARIABLES = ['vars', 'registered', 'facts', 'host', 'result'] as const;
const env = new Environment({ homogeneousAggregateLiterals: false });
for (const name of VARIABLES) env.registerVariable(name, 'map');

/** Error codes that mean "the data is not there" rather than "the expression is wrong". */
const MISSING_DATA_CODES = new Set(['no_such_key', 'index_out_of_bounds']);

const compiled = new Map<string, CompiledCondition>();

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0];
}

/**
 * Parses and type-checks `expression`; throws InputError (at `where`) when it is not valid CEL,
 * uses an unknown variable, or cannot produce a boolean.
 */
export function compileCondition(expression: string, where: ConditionWhere = {}): CompiledCondition {
  const hit = compiled.get(expression);
  if (hit) return hit;
  let program: ReturnType<typeof env.parse>;
  try {
    program = env.parse(expression);
  } catch (err) {
    const kind = err instanceof ParseError ? 'CEL syntax error' : 'CEL error';
    throw new InputError({ ...where, message: `${kind} in ${JSON.stringify(expression)}: ${firstLine(err)}` });
  }
  const check = env.check(expression);
  if (!check.valid) {
    throw new InputError({
      ...where,
      message: `CEL error in ${JSON.stringify(expression)}: ${firstLine(check.error)} (variables: ${VARIABLES.join(', ')})`,
    });
  }
  if (check.type !== 'bool' && check.type !== 'dyn') {
    throw new InputError({ ...where, message: `condition ${JSON.stringify(expression)} must be true/false, but it gives ${check.type}` });
  }
  const result: CompiledCondition = {
    expression,
    evaluate(ctx) {
      const registered = { ...(ctx.registered ?? {}), ...(ctx.facts ?? {}) };
      try {
        const result = ctx.result ?? registered.result ?? {};
        const value = program({ vars: ctx.vars ?? {}, registered, facts: registered, host: ctx.host ?? {}, result });
        if (typeof value !== 'boolean') return { ok: false, error: `condition ${JSON.stringify(expression)} gave ${typeof value}, not true/false` };
        return { ok: true, value };
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code && MISSING_DATA_CODES.has(code)) {
          return { ok: true, value: false, warning: `condition ${JSON.stringify(expression)} is false: ${firstLine(err)} (use has(...) to test for it)` };
        }
        return { ok: false, error: `condition ${JSON.stringify(expression)} failed: ${firstLine(err)}` };
      }
    },
  };
  compiled.set(expression, result);
  return result;
}

/** Validation-time check: the problems of `expression` (empty when it compiles). */
export function conditionProblems(expression: string, where: ConditionWhere = {}): InputProblem[] {
  try {
    compileCondition(expression, where);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}

/** Warnings already printed, so a missing key on 200 hosts is said once. */
const warned = new Set<string>();

/**
 * Evaluates a condition to a boolean. A missing key gives false and a warning (passed to
 * `onWarning`, or printed once to stderr); other failures throw InputError at `where`.
 */
export function evaluateCondition(
  expression: string,
  ctx: ConditionContext,
  opts: { where?: ConditionWhere; onWarning?: (message: string) => void } = {},
): boolean {
  const outcome = compileCondition(expression, opts.where).evaluate(ctx);
  if (!outcome.ok) throw new InputError({ ...opts.where, message: outcome.error });
  if (outcome.warning) {
    if (opts.onWarning) opts.onWarning(outcome.warning);
    else if (!warned.has(outcome.warning)) {
      warned.add(outcome.warning);
      process.stderr.write(`netdiag: warning: ${outcome.warning}\n`);
    }
  }
  return outcome.value;
}
