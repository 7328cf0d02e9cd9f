/** Every shipped plan validates (users copy and edit them, so they must be correct as shipped). */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/plan/load.js';

const dir = path.resolve(import.meta.dirname, '../../playbooks');
const plans = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('shipped playbooks', () => {
  it('include the default plan and the three focused ones', () => {
    expect(plans.sort()).toEqual(['cni-bridge.yaml', 'cross-node.yaml', 'dns.yaml', 'network-diagnosis.yaml']);
  });
  for (const f of plans) {
    it(`${f} loads and validates`, async () => {
      const plan = await loadPlan(path.join(dir, f));
      expect(plan.steps.length).toBeGreaterThan(5);
      expect(new Set(plan.steps.map((s) => s.id)).size).toBe(plan.steps.length);
    });
  }
});
