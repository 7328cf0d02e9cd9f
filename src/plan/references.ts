/**
 * Checks that need the whole plan or another language: unique ids and register names,
 * `during:` pointing at real steps, `when`/`until` compiling as CEL, host patterns parsing,
 * templates compiling with known helpers (and not printing undefined `vars.*`), and `save:`
 * paths that cannot leave the run dir.
 */
import type { InputProblem } from '../errors.js';
import { patternProblems } from '../inventory/pattern.js';
import { conditionProblems } from './condition.js';
import { STEP_KIND_KEYS } from './schema.js';
import { checkTemplate, savePathProblem } from './template.js';
import { undefinedVarRefs } from './template-vars.js';
import type { Step } from './types.js';
import type { PathSegment, YamlSource } from './yaml-source.js';

/** Problems (possibly none) with the references between and inside `steps`. */
export function checkPlanReferences(src: YamlSource, steps: Step[], rawSteps: unknown[], vars: Record<string, unknown> = {}): InputProblem[] {
  const problems: InputProblem[] = [];
  const byId = new Map<string, Step>();
  const byRegister = new Map<string, Step>();
  const explicit = (s: Step, key: string) => (rawSteps[s.index] as Record<string, unknown>)?.[key] !== undefined;

  for (const step of steps) {
    const at = (rest: PathSegment[], message: string, key = false) => problems.push(src.problem(['steps', step.index, ...rest], message, { key }));
    const first = byId.get(step.id);
    if (first) {
      const hint = explicit(step, 'id') ? '' : ' (derived from its name; add a distinct id:)';
      at(explicit(step, 'id') ? ['id'] : [], `duplicate step id "${step.id}"${hint}, first used by steps[${first.index}] at line ${first.loc.line}`);
    } else byId.set(step.id, step);
    if (step.register !== undefined) {
      const prev = byRegister.get(step.register);
      if (prev) at(['register'], `register name "${step.register}" is already used by steps[${prev.index}] at line ${prev.loc.line}`);
      else byRegister.set(step.register, step);
    }
    for (const key of ['when', 'until'] as const) {
      const expr = step[key];
      if (expr !== undefined) problems.push(...conditionProblems(expr, src.problem(['steps', step.index, key], '')));
    }
    if (step.hosts !== undefined) problems.push(...patternProblems(step.hosts, src.problem(['steps', step.index, 'hosts'], '')));
    if (step.save !== undefined) {
      // Template parts are unknown until run time; check the literal skeleton now.
      const skeleton = step.save.replace(/\{\{\{?[^}]*\}?\}\}/g, 'x');
      const problem = savePathProblem(skeleton);
      if (problem) at(['save'], problem);
    }
    problems.push(...templateProblems(src, step, rawSteps[step.index], vars));
  }

  for (const step of steps) {
    if (step.kind !== 'capture') continue;
    step.capture.during.forEach((id, j) => {
      const path = ['steps', step.index, 'capture', 'during', j];
      const target = byId.get(id);
      if (!target) problems.push(src.problem(path, `during: no step with id "${id}" (ids: ${[...byId.keys()].join(', ')})`));
      else if (target === step) problems.push(src.problem(path, 'during: a capture cannot run during itself'));
      else if (target.kind === 'capture') problems.push(src.problem(path, `during: "${id}" is itself a capture; list the traffic-generating steps`));
    });
  }
  return problems;
}

/** Compiles every templated string in the step's body and `save:`. */
function templateProblems(src: YamlSource, step: Step, raw: unknown, vars: Record<string, unknown>): InputProblem[] {
  const record = raw as Record<string, unknown>;
  const out: InputProblem[] = [];
  const visit = (value: unknown, path: PathSegment[]) => {
    if (typeof value === 'string') {
      if (!value.includes('{{')) return;
      const syntax = checkTemplate(value, src.problem(path, ''));
      out.push(...syntax);
      if (syntax.length) return;
      for (const ref of undefinedVarRefs(value, vars)) {
        out.push(src.problem(path, `template uses {{${ref}}}, which is not defined in the plan's vars: (declare it there or pass -e ${ref.slice(5).split('.')[0]}=…)`));
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i]));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
  };
  for (const key of [...STEP_KIND_KEYS, 'save']) {
    if (record[key] !== undefined) visit(record[key], ['steps', step.index, key]);
  }
  return out;
}
