/**
 * `netdiag validate [plan] [-i inventory] [-e k=v]`: schema, references, CEL, templates and
 * (with an inventory) every step's host pattern. Prints `ok: N steps` or every problem
 * (file:line:col: path: message) and exits 3.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { formatProblem, InputError, type InputProblem } from '../../errors.js';
import { ExitCode } from '../exit-codes.js';
import { projectRoot, type RegisterCommand } from '../command.js';
import { parseExtraVars } from '../extra-vars.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

/** Default plan when none is named (same as `run`). */
export const defaultPlanPath = () => path.join(projectRoot(), 'playbooks', 'network-diagnosis.yaml');

/** Runs `fn`; an InputError's problems are collected instead of thrown. */
export async function collectProblems<T>(problems: InputProblem[], fn: () => T | Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InputError) {
      problems.push(...err.problems);
      return undefined;
    }
    throw err;
  }
}

interface ValidateOptions {
  inventory?: string;
  extraVars?: string[];
}

async function validateAction(planFile: string | undefined, o: ValidateOptions): Promise<number> {
  const [{ loadPlan }, { loadInventory }, { selectHosts }] = await Promise.all([
    import('../../plan/load.js'),
    import('../../inventory/load.js'),
    import('../../inventory/pattern.js'),
  ]);
  const file = planFile ?? defaultPlanPath();
  const problems: InputProblem[] = [];
  const extraVars = (await collectProblems(problems, () => parseExtraVars(o.extraVars ?? []))) ?? {};
  const plan = await collectProblems(problems, () => loadPlan(file, { extraVars }));
  const inventory = o.inventory ? await collectProblems(problems, () => loadInventory(o.inventory!)) : undefined;
  if (plan && inventory) {
    for (const step of plan.steps) {
      if (step.hosts === undefined) continue;
      await collectProblems(problems, () => selectHosts(inventory, step.hosts!, { where: { ...(step.fieldLocs?.hosts ?? step.loc), path: `steps[${step.index}].hosts` } }));
    }
  }
  for (const w of inventory?.warnings ?? []) process.stderr.write(`netdiag: warning: ${formatProblem(w)}\n`);
  if (problems.length) {
    process.stderr.write(`netdiag: invalid input\n${problems.map(formatProblem).join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
    return ExitCode.invalidInput;
  }
  const inv = inventory ? `, inventory: ${inventory.hosts.size} host${inventory.hosts.size === 1 ? '' : 's'}` : '';
  process.stdout.write(`ok: ${plan!.steps.length} step${plan!.steps.length === 1 ? '' : 's'} (${plan!.name})${inv}\n`);
  return ExitCode.ok;
}

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('validate')
    .description('check a plan (and optionally an inventory): every problem with file:line:col, exit 3 if any')
    .argument('[plan]', 'diagnosis plan (default: playbooks/network-diagnosis.yaml)')
    .option('-i, --inventory <file>', 'also load this inventory and resolve every step hosts: pattern against it')
    .option('-e, --extra-vars <k=v|@file|json>', 'plan variables, as for run (repeatable)', collect)
    .action(async (plan: string | undefined, o: ValidateOptions) => {
      setExitCode(await validateAction(plan, o));
    });
};
