/**
 * Issue 5's acceptance, flannel data-plane faults: for each, `netdiag run --check` on a lab with
 * that fault produces a report whose top finding names the fault and the affected node — with
 * faults deliberately on a non-first node. A healthy lab gets no root cause.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, labPrerequisiteProblem, usePrivateLabsRoot } from '../helpers/lab.js';
import { diagnose, expectVerdict, type FaultCase } from './diagnosis-helpers.js';

const problem = await labPrerequisiteProblem();

const CASES: FaultCase[] = [
  { fault: 'vxlan-blocked@node-2', finding: 'overlay-port-blocked', nodes: ['node-2'] },
  { fault: 'ip-forward-off@node-3', finding: 'ip-forward-disabled', nodes: ['node-3'] },
  { fault: 'forward-drop@node-2', finding: 'forward-policy-drop', nodes: ['node-2'] },
  { fault: 'mtu-mismatch@node-3', finding: 'mtu-mismatch', nodes: ['node-3'] },
  { fault: 'cni0-wrong-ip@node-2', finding: 'cni0-address-mismatch', nodes: ['node-2'] },
  { fault: 'fdb-missing@node-3', finding: 'vxlan-entries-missing', nodes: ['node-3'] },
];

describe.skipIf(problem)('diagnosis of flannel lab faults', () => {
  afterAll(async () => rm(process.env.NETDIAG_LABS_ROOT!, { recursive: true, force: true }));
  beforeAll(async () => {
    usePrivateLabsRoot('dxf');
    await ensureBuilt();
  });

  it('finds no root cause on a healthy lab', async () => {
    const o = await diagnose({});
    expect(o.verdict, o.findings.map((f) => f.id).join(', ')).toBeUndefined();
    expect(o.report).toContain('No fault found');
  });

  for (const c of CASES) {
    it(`names ${c.fault} as ${c.finding}`, async () => expectVerdict(await diagnose(c), c));
  }
});
