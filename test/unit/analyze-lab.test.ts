/**
 * End-to-end analysis of REAL lab runs (test/fixtures/evidence/lab/<scenario>/, captured by
 * capture-lab.mjs from `netdiag lab up --fault …`): the loader reads each run directory and the
 * top finding must name the injected fault and its node(s), with the matrix symptoms folded
 * under it. The healthy runs must produce no error-level finding.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/index.js';
import { loadEvidence } from '../../src/analyze/load-evidence.js';
import type { AnalysisResult } from '../../src/analyze/types.js';
import { LAB_RUNS } from '../fixtures/evidence/evidence-set.js';

async function analyzeRun(scenario: string): Promise<AnalysisResult> {
  const dir = path.join(LAB_RUNS, scenario);
  if (!existsSync(path.join(dir, 'run.json'))) throw new Error(`fixture ${dir} missing: run test/fixtures/evidence/capture-lab.mjs ${scenario}`);
  return analyze(await loadEvidence(dir));
}

const FAULTS: { scenario: string; top: string; nodes: string[]; explains: string[] }[] = [
  { scenario: 'vxlan-blocked', top: 'overlay-port-blocked', nodes: ['node-3'], explains: ['cross-node-pod-failure'] },
  // CoreDNS runs on node-1: DNS from node-2/3 fails because of node-1's firewall, and is folded.
  { scenario: 'vxlan-blocked-node-1', top: 'overlay-port-blocked', nodes: ['node-1'], explains: ['cross-node-pod-failure', 'dns-internal-failure'] },
  { scenario: 'ip-forward-off', top: 'ip-forward-disabled', nodes: ['node-2'], explains: ['cross-node-pod-failure'] },
  { scenario: 'mtu-mismatch', top: 'mtu-mismatch', nodes: ['node-3'], explains: ['large-packet-failure'] },
  { scenario: 'cni0-wrong-ip', top: 'cni0-address-mismatch', nodes: ['node-3'], explains: ['cross-node-pod-failure', 'pod-node-failure'] },
  { scenario: 'fdb-missing', top: 'vxlan-entries-missing', nodes: ['node-3'], explains: ['cross-node-pod-failure'] },
  { scenario: 'forward-drop', top: 'forward-policy-drop', nodes: ['node-3'], explains: ['cross-node-pod-failure'] },
  { scenario: 'kube-proxy-crashloop', top: 'kube-proxy-crashloop', nodes: ['node-2'], explains: ['clusterip-failure'] },
  { scenario: 'coredns-down', top: 'coredns-forward-loop', nodes: [], explains: ['dns-internal-failure'] },
  { scenario: 'upstream-dns-unreachable', top: 'coredns-upstream-unreachable', nodes: [], explains: ['dns-external-failure'] },
  { scenario: 'calico-never', top: 'calico-encapsulation-unsuited', nodes: ['node-1', 'node-2', 'node-3'], explains: ['cross-node-pod-failure'] },
  { scenario: 'calico-crosssubnet', top: 'calico-encapsulation-unsuited', nodes: ['node-1', 'node-2', 'node-3'], explains: ['cross-node-pod-failure'] },
];

describe.each(FAULTS)('lab fault $scenario', ({ scenario, top, nodes, explains }) => {
  it(`ranks ${top} first, naming ${nodes.join(', ') || 'the cluster'}, with the symptoms folded under it`, async () => {
    const r = await analyzeRun(scenario);
    const first = r.findings[0];
    expect({ id: first.id, nodes: first.nodes, rootCause: first.rootCause }).toEqual({ id: top, nodes, rootCause: true });
    for (const s of explains) expect(first.explains).toContain(s);
    // Folded symptoms are still listed, as symptoms, after the causes.
    const folded = r.findings.filter((f) => first.explains.includes(f.id));
    expect(folded.every((f) => !f.rootCause)).toBe(true);
    expect(first.evidence.length).toBeGreaterThan(0);
    expect(first.fix.length).toBeGreaterThan(0);
  });
});

describe.each(['healthy', 'calico-healthy'])('lab %s', (scenario) => {
  it('produces no error-level finding', async () => {
    const r = await analyzeRun(scenario);
    expect(r.findings.filter((f) => f.severity === 'critical' || f.severity === 'high')).toEqual([]);
    expect(r.facts.kubeProxy.crashLooping).toBe(false);
    expect(r.facts.matrix!.failed).toBe(0);
  });
});

describe('facts and gaps from a lab run', () => {
  it('sets kubeProxy.crashLooping for the remediation step, and lists what was not collected', async () => {
    const r = await analyzeRun('kube-proxy-crashloop');
    expect(r.facts.kubeProxy).toEqual({ crashLooping: true, nodes: ['node-2'] });
    expect(r.facts.nodes['node-2'].kubeServicesRules).toBe(0);
    expect(r.facts.nodes['node-1'].kubeServicesRules).toBeGreaterThan(0);
    // dmesg is not in the captured plan and there is no capture: both are said, not skipped.
    expect(r.notChecked.map((n) => n.reason)).toContainEqual(expect.stringContaining('dmesg not collected'));
    expect(r.notChecked.map((n) => n.reason)).toContainEqual(expect.stringContaining('VXLAN capture not collected'));
  });
});
