/**
 * `netdiag list`: the steps a run would execute, in order, and the hosts each would touch —
 * Ansible's `--list-tasks --list-hosts` in one view. Same selection flags as `run`.
 */
import type { Command } from 'commander';
import { formatProblem } from '../../errors.js';
import type { Inventory } from '../../inventory/types.js';
import type { Plan, Step } from '../../plan/types.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';
import { parseExtraVars } from '../extra-vars.js';
import { defaultPlanPath } from './validate.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];
const csv = (value: string, prev: string[] = []) => [...prev, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

interface ListOptions {
  plan?: string;
  inventory?: string;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  extraVars?: string[];
  json: boolean;
}

/** One line of the listing (also the `--json` shape). */
export interface ListedStep {
  /** 1-based position in the plan. */
  index: number;
  id: string;
  kind: Step['kind'];
  name: string;
  tags: string[];
  remediation: boolean;
  when?: string;
  /** The `hosts:` pattern, absent for steps that run once (locally / against the API). */
  pattern?: string;
  /** Host names the step would touch; undefined when no inventory was given for a host step. */
  hosts?: string[];
  runOnce: boolean;
}

async function listAction(o: ListOptions): Promise<number> {
  const [{ loadPlan }, { loadInventory }, { selectHosts, applyLimit }, { selectSteps }] = await Promise.all([
    import('../../plan/load.js'),
    import('../../inventory/load.js'),
    import('../../inventory/pattern.js'),
    import('../../plan/filter.js'),
  ]);
  const plan = await loadPlan(o.plan ?? defaultPlanPath(), { extraVars: await parseExtraVars(o.extraVars ?? []) });
  const inventory = o.inventory ? await loadInventory(o.inventory) : undefined;
  for (const w of inventory?.warnings ?? []) process.stderr.write(`netdiag: warning: ${formatProblem(w)}\n`);
  if (inventory && o.limit) applyLimit([...inventory.hosts.values()], inventory, o.limit); // validates the limit early

  const steps = selectSteps(plan, { tags: o.tags, skipTags: o.skipTags });
  const listed: ListedStep[] = steps.map((step) => {
    let hosts: string[] | undefined;
    if (step.hosts !== undefined && inventory) {
      let selected = selectHosts(inventory, step.hosts, { where: { ...(step.fieldLocs?.hosts ?? step.loc), path: `steps[${step.index}].hosts` } });
      if (o.limit) selected = applyLimit(selected, inventory, o.limit);
      hosts = (step.runOnce ? selected.slice(0, 1) : selected).map((h) => h.name);
    }
    return {
      index: step.index + 1,
      id: step.id,
      kind: step.kind,
      name: step.name,
      tags: step.tags,
      remediation: step.remediation,
      ...(step.when !== undefined ? { when: step.when } : {}),
      ...(step.hosts !== undefined ? { pattern: step.hosts } : {}),
      ...(hosts ? { hosts } : {}),
      runOnce: step.runOnce,
    };
  });
  const touched = new Set(listed.flatMap((s) => s.hosts ?? []));
  const allHosts = inventory ? [...inventory.hosts.keys()].filter((n) => touched.has(n)) : [];

  if (o.json) {
    const out = { plan: { name: plan.name, file: plan.file, sha256: plan.sha256, steps: plan.steps.length }, inventory: inventory?.file, limit: o.limit, steps: listed, hosts: allHosts };
    process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  } else process.stdout.write(renderListing(plan, inventory, listed, allHosts));
  return ExitCode.ok;
}

/** The human listing (exported for tests). */
export function renderListing(plan: Plan, inventory: Inventory | undefined, listed: ListedStep[], allHosts: string[]): string {
  const lines = [`plan: ${plan.name} (${plan.file}): ${listed.length} of ${plan.steps.length} steps selected`];
  const idWidth = Math.max(2, ...listed.map((s) => s.id.length));
  for (const s of listed) {
    const marks = [s.remediation ? '[remediation]' : '', s.tags.length ? `TAGS: [${s.tags.join(', ')}]` : ''].filter(Boolean).join(' ');
    lines.push(`  ${String(s.index).padStart(3)}  ${s.id.padEnd(idWidth)}  ${s.kind.padEnd(7)}  ${s.name}${marks ? `  ${marks}` : ''}`);
    if (s.when) lines.push(`       when: ${s.when}`);
    lines.push(`       ${targetsText(s, inventory)}`);
  }
  if (inventory) lines.push(`hosts touched (${allHosts.length}): ${allHosts.join(', ') || '(none)'}`);
  return lines.join('\n') + '\n';
}

function targetsText(s: ListedStep, inventory: Inventory | undefined): string {
  if (s.pattern === undefined) return 'targets: once (locally / against the Kubernetes API)';
  const once = s.runOnce ? ', run_once' : '';
  if (!inventory) return `hosts: ${s.pattern}${once} (give -i to resolve)`;
  return `hosts: ${s.pattern}${once} → (${s.hosts!.length}) ${s.hosts!.join(', ') || '(none)'}`;
}

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('list')
    .description('list the steps a run would execute and the hosts each would touch')
    .option('-p, --plan <file>', 'diagnosis plan (default: playbooks/network-diagnosis.yaml)')
    .option('-i, --inventory <file>', 'inventory to resolve hosts: patterns against')
    .option('-l, --limit <pattern>', "further limit hosts, e.g. 'workers:!gpu-3'")
    .option('-t, --tags <tags>', 'only steps with these tags (comma-separated, repeatable)', csv)
    .option('--skip-tags <tags>', 'skip steps with these tags', csv)
    .option('-e, --extra-vars <k=v|@file|json>', 'plan variables, as for run (repeatable)', collect)
    .option('--json', 'print the listing as JSON', false)
    .action(async (o: ListOptions) => {
      setExitCode(await listAction(o));
    });
};
