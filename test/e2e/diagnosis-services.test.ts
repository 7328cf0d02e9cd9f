/**
 * Issue 5's acceptance, control-plane and Calico faults: kube-proxy, CoreDNS, upstream DNS and
 * Calico encapsulation. Each lab fault must be named by the report's top finding.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ensureBuilt, labPrerequisiteProblem, usePrivateLabsRoot } from '../helpers/lab.js';
import { diagnose, expectVerdict, type FaultCase } from './diagnosis-helpers.js';

const problem = await labPrerequisiteProblem();

const CASES: FaultCase[] = [
  { fault: 'kube-proxy-crashloop', finding: 'kube-proxy-crashloop' },
  { fault: 'coredns-down', finding: 'coredns-forward-loop' },
  { fault: 'upstream-dns-unreachable', finding: 'coredns-upstream-unreachable' },
  { fault: 'calico-never', cni: 'calico', finding: 'calico-encapsulation-unsuited' },
  { fault: 'calico-crosssubnet', cni: 'calico', finding: 'calico-encapsulation-unsuited' },
  { fault: 'vxlan-blocked@node-3', cni: 'calico', finding: 'overlay-port-blocked', nodes: ['node-3'] },
];

describe.skipIf(problem)('diagnosis of service, DNS and Calico lab faults', () => {
  afterAll(async () => rm(process.env.NETDIAG_LABS_ROOT!, { recursive: true, force: true }));
  beforeAll(async () => {
    usePrivateLabsRoot('dxs');
    await ensureBuilt();
  });

  for (const c of CASES) {
    it(`names ${c.fault}${c.cni ? ` (${c.cni})` : ''} as ${c.finding}`, async () => expectVerdict(await diagnose(c), c));
  }
});
