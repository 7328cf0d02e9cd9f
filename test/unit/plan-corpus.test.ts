/**
 * The malformed corpus, through the library functions: every file under
 * test/fixtures/{plans,inventories}/bad/ declares what it must produce with header lines
 *   # expect: <line>[:<col>] <text the problem must contain>
 *   # args: -i <inventory>        (plans whose problem needs an inventory)
 * so adding a fixture needs no test change. plan-corpus-cli.test.ts runs the same corpus
 * through the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem, InputError, type InputProblem } from '../../src/errors.js';
import { loadInventory } from '../../src/inventory/load.js';
import { selectHosts } from '../../src/inventory/pattern.js';
import { loadPlan } from '../../src/plan/load.js';
import { readCorpus } from './plan-corpus-fixtures.js';

async function problemsOf(fn: () => Promise<unknown>): Promise<InputProblem[]> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
  return [];
}

describe('malformed corpus (library)', () => {
  const corpus = readCorpus();

  it('has at least 15 plans and 10 inventories, each declaring an expectation', () => {
    expect(corpus.filter((c) => c.kind === 'plan').length).toBeGreaterThanOrEqual(15);
    expect(corpus.filter((c) => c.kind === 'inventory').length).toBeGreaterThanOrEqual(10);
    for (const c of corpus) expect(c.expects.length, c.file).toBeGreaterThan(0);
  });

  for (const c of corpus) {
    it(`${c.file} is rejected where it says`, async () => {
      const problems = await problemsOf(async () => {
        if (c.kind === 'inventory') return loadInventory(c.file);
        const plan = await loadPlan(c.file);
        if (c.inventory) {
          const inv = await loadInventory(c.inventory);
          for (const s of plan.steps) if (s.hosts) selectHosts(inv, s.hosts, { where: { ...(s.fieldLocs?.hosts ?? s.loc), path: `steps[${s.index}].hosts` } });
        }
        return plan;
      });
      expect(problems.length, `${c.file} was accepted`).toBeGreaterThan(0);
      const text = problems.map(formatProblem);
      for (const e of c.expects) {
        const hit = problems.some((p) => p.file === c.file && p.line === e.line && (e.col === undefined || p.col === e.col) && formatProblem(p).includes(e.text));
        expect(hit, `expected ${e.line}:${e.col ?? '*'} "${e.text}" in:\n${text.join('\n')}`).toBe(true);
      }
    });
  }
});

