/**
 * `--tags` / `--skip-tags` with Ansible's semantics (ansible/playbook/taggable.py):
 * - no `--tags` means `all`: every step runs except those tagged `never`;
 * - `always` steps run whatever `--tags` says, unless `always` (or one of their tags) is skipped;
 * - `never` steps run only when one of their other tags (or `never`) is asked for;
 * - special selectors: `all`, `tagged` (steps with any tag), `untagged` (steps without tags).
 */
import type { Plan, Step } from './types.js';

export interface TagSelection {
  /** `--tags` (comma lists already split or not: both are accepted). */
  tags?: string[];
  /** `--skip-tags`. */
  skipTags?: string[];
}

function split(list: string[] | undefined): Set<string> {
  return new Set((list ?? []).flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean));
}

const intersects = (a: Set<string>, b: Set<string>) => [...a].some((x) => b.has(x));

/** Whether one step with `stepTags` runs under the selection (exported for `netdiag list`). */
export function shouldRun(stepTags: readonly string[], sel: TagSelection = {}): boolean {
  const only = split(sel.tags);
  if (only.size === 0) only.add('all');
  const skip = split(sel.skipTags);
  // Ansible gives untagged tasks the single tag `untagged` for matching purposes.
  const tags = new Set(stepTags.length ? stepTags : ['untagged']);
  const isUntagged = stepTags.length === 0;

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (only.has('all') && !tags.has('never')) run = true;
  else if (intersects(tags, only)) run = true;
  else run = only.has('tagged') && !isUntagged && !tags.has('never');

  if (run && skip.size) {
    if (skip.has('all')) run = tags.has('always') && !skip.has('always');
    else if (intersects(tags, skip)) run = false;
    else if (skip.has('tagged') && !isUntagged) run = false;
  }
  return run;
}

/** The plan's steps that the tag selection keeps, in plan order. */
export function selectSteps(plan: Pick<Plan, 'steps'>, sel: TagSelection = {}): Step[] {
  return plan.steps.filter((s) => shouldRun(s.tags, sel));
}
