/**
 * Plan loading: read → YAML (with positions) → schema → normalised steps → cross-references.
 * Every problem is collected and thrown at once as one InputError (exit 3), each naming
 * file:line:col and the dot-path (`steps[3].ssh: expected a string, got a number`).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError, type InputProblem } from '../errors.js';
import { checkPlanReferences } from './references.js';
import { planTopSchema } from './schema.js';
import { normaliseStep } from './step-normalise.js';
import type { Plan, Step } from './types.js';
import { parseYamlSource, sortProblems } from './yaml-source.js';
import { zodProblems } from './zod-problems.js';

export interface LoadPlanOptions {
  /** `-e` variables; they override the plan's `vars:` (Ansible: extra vars always win). */
  extraVars?: Record<string, unknown>;
}

/** Loads and validates a plan file; throws InputError listing every problem found. */
export async function loadPlan(file: string, opts: LoadPlanOptions = {}): Promise<Plan> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError({ file, message: code === 'ENOENT' ? 'plan file not found' : `cannot read plan file: ${(err as Error).message}` });
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return parsePlan(file, bytes.toString('utf8'), { ...opts, sha256 });
}

/** Same as loadPlan for text already in memory (tests, bundles). `file` is used in messages. */
export function parsePlan(file: string, text: string, opts: LoadPlanOptions & { sha256?: string } = {}): Plan {
  const src = parseYamlSource(file, text);
  if (src.problems.length) throw new InputError(src.problems);
  const data = src.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InputError({ ...src.locate([]), message: 'a plan is a YAML map with name:, vars: and steps:' });
  }

  const problems: InputProblem[] = [];
  const top = planTopSchema.safeParse(data);
  if (!top.success) problems.push(...zodProblems(src, [], data, top.error));
  const record = data as Record<string, unknown>;
  const rawSteps = Array.isArray(record.steps) ? record.steps : [];
  const steps: Step[] = [];
  rawSteps.forEach((raw, index) => {
    const r = normaliseStep(src, index, raw);
    problems.push(...r.problems);
    if (r.step) steps.push(r.step);
  });
  const planVars = top.success && top.data.vars ? top.data.vars : {};
  const vars = { ...planVars, ...(opts.extraVars ?? {}) };
  // References are only meaningful between steps that parsed; they add their own problems.
  problems.push(...checkPlanReferences(src, steps, rawSteps, vars));
  if (problems.length) throw new InputError(sortProblems(problems));

  return {
    name: top.success ? top.data.name : '',
    file: path.resolve(file),
    sha256: opts.sha256 ?? createHash('sha256').update(text).digest('hex'),
    ...(top.success && top.data.description !== undefined ? { description: top.data.description } : {}),
    strategy: top.success ? (top.data.strategy ?? 'linear') : 'linear',
    vars,
    steps,
  };
}
