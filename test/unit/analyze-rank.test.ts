/**
 * Ranking: the cause that explains the observed matrix pattern comes first and its symptoms
 * are folded under it; a louder finding that explains nothing does not jump ahead of it.
 */
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/analyze/index.js';
import { findingKey, rankFindings } from '../../src/analyze/rank.js';
import type { ConnectivityResult, Finding } from '../../src/analyze/types.js';
import { netnsEvidence } from '../fixtures/evidence/evidence-set.js';

const f = (id: string, nodes: string[], extra: Partial<Finding> = {}): Finding => ({
  id,
  catalog: 0,
  severity: 'high',
  title: id,
  summary: '',
  nodes,
  evidence: [],
  fix: [],
  rootCause: true,
  confidence: 'high',
  explains: [],
  ...extra,
});

describe('rankFindings', () => {
  const crossNode = f('cross-node-pod-failure', ['node-2'], { rootCause: false, pairs: [['node-1', 'node-2'], ['node-2', 'node-1'], ['node-2', 'node-3'], ['node-3', 'node-2']] });
  const dns = f('dns-internal-failure', ['node-2'], { rootCause: false });

  it('puts the per-node cause matching the "only pairs with node-2" pattern first and folds its symptoms', () => {
    const ranked = rankFindings([
      f('rp-filter-strict', ['node-1'], { severity: 'low' }),
      crossNode,
      f('conntrack-table-full', ['node-3'], { severity: 'high' }),
      dns,
      f('ip-forward-disabled', ['node-2'], { severity: 'critical' }),
    ]);
    expect(ranked.map((x) => x.id)).toEqual(['ip-forward-disabled', 'conntrack-table-full', 'rp-filter-strict', 'cross-node-pod-failure', 'dns-internal-failure']);
    expect(ranked[0].explains).toEqual(['cross-node-pod-failure', 'dns-internal-failure']);
    expect(ranked.slice(-2).every((x) => !x.rootCause)).toBe(true);
  });

  it('a cause on another node does not explain node-2\'s failures', () => {
    const ranked = rankFindings([f('ip-forward-disabled', ['node-3'], { severity: 'critical' }), { ...crossNode, pairs: [['node-1', 'node-2'], ['node-2', 'node-1']] }]);
    expect(ranked[0].explains).toEqual([]);
    expect(ranked.find((x) => x.id === 'cross-node-pod-failure')!.explains).toEqual([]);
  });

  it('prefers the cause covering more of the failing pairs', () => {
    const ranked = rankFindings([f('vxlan-entries-missing', ['node-1'], { severity: 'critical' }), f('overlay-port-blocked', ['node-2'], { severity: 'critical' }), crossNode]);
    expect(ranked[0].id).toBe('overlay-port-blocked');
    expect(ranked[0].explains).toEqual(['cross-node-pod-failure']);
  });

  it('folds a kube-proxy symptom under the crash loop and disambiguates repeated ids', () => {
    const all = [f('service-not-programmed', ['node-2'], { rootCause: false }), f('service-not-programmed', ['node-3'], { rootCause: false }), f('kube-proxy-crashloop', ['node-2', 'node-3'], { severity: 'critical' })];
    const ranked = rankFindings(all);
    expect(ranked[0].explains).toEqual(['service-not-programmed@node-2', 'service-not-programmed@node-3']);
    expect(findingKey(all[0], all)).toBe('service-not-programmed@node-2');
  });
});

describe('analyze() on the namespace evidence with a matrix', () => {
  it('folds the matrix symptoms of node-b under its causes and keeps the causes first', () => {
    const ev = netnsEvidence();
    const probe = (test: ConnectivityResult['test'], from: string, fromNode: string, to: string, toNode: string, ok: boolean): ConnectivityResult => ({ test, from, fromNode, to, toNode, sameNode: fromNode === toNode, ok });
    ev.connectivity = {
      file: 'connectivity-matrix.json',
      matrix: {
        pods: [{ name: 'pa', node: 'node-a', ip: '198.19.1.2' }, { name: 'pa2', node: 'node-a', ip: '198.19.1.3' }, { name: 'pb', node: 'node-b', ip: '198.19.2.2' }],
        results: [probe('pod-pod', 'pa', 'node-a', 'pa2', 'node-a', true), probe('pod-pod', 'pa', 'node-a', 'pb', 'node-b', false), probe('pod-pod', 'pb', 'node-b', 'pa', 'node-a', false)],
      },
    };
    const r = analyze(ev);
    const firstSymptom = r.findings.findIndex((x) => !x.rootCause);
    expect(r.findings.slice(0, firstSymptom).every((x) => x.rootCause)).toBe(true);
    expect(r.findings.slice(firstSymptom).every((x) => !x.rootCause)).toBe(true);
    const cross = r.findings.find((x) => x.id === 'cross-node-pod-failure')!;
    expect(cross.rootCause).toBe(false);
    // Exactly one cause claims it, and it is the first finding, about node-b.
    const claimers = r.findings.filter((x) => x.explains.includes('cross-node-pod-failure'));
    expect(claimers).toHaveLength(1);
    expect(r.findings[0]).toBe(claimers[0]);
    expect(r.findings[0].nodes).toEqual(['node-b']);
    expect(r.findings.filter((x) => x.rootCause).flatMap((x) => x.nodes)).not.toContain('node-a');
  });
});

describe('ClusterIP failures are tied to the node of the service backend', () => {
  it('folds "ClusterIP fails from node-a" under node-b\'s cause when the only backend runs on node-b', () => {
    const ev = netnsEvidence();
    const cluster = (step: string, file: string, o: unknown) => ev.outputs.set(step, new Map([['localhost', { text: JSON.stringify(o), file, status: 'ok' }]]));
    cluster('services', 'services.json', { kind: 'ServiceList', items: [{ metadata: { name: 'echo', namespace: 'default' }, spec: { clusterIP: '198.18.250.20', selector: { app: 'echo' }, ports: [{ port: 80 }] } }] });
    cluster('endpointslices', 'endpointslices.json', {
      kind: 'EndpointSliceList',
      items: [{ metadata: { name: 'echo-x', namespace: 'default', labels: { 'kubernetes.io/service-name': 'echo' } }, endpoints: [{ addresses: ['198.19.2.3'], nodeName: 'node-b' }] }],
    });
    const r = (test: ConnectivityResult['test'], from: string, fromNode: string, to: string, ok: boolean, toNode?: string): ConnectivityResult => ({ test, from, fromNode, to, ok, ...(toNode ? { toNode, sameNode: toNode === fromNode } : {}) });
    ev.connectivity = {
      file: 'connectivity-matrix.json',
      matrix: {
        pods: [{ name: 'pa', node: 'node-a', ip: '198.19.1.2' }, { name: 'pa2', node: 'node-a', ip: '198.19.1.3' }],
        results: [r('pod-pod', 'pa', 'node-a', 'pa2', true, 'node-a'), r('pod-clusterip', 'pa', 'node-a', 'default/echo 198.18.250.20:80', false)],
      },
    };
    const out = analyze(ev);
    const cip = out.findings.find((x) => x.id === 'clusterip-failure')!;
    expect(cip.nodes).toEqual(['node-a']);
    expect(cip.pairs).toEqual([['node-a', 'node-b']]);
    expect(cip.rootCause).toBe(false);
    const claimer = out.findings.find((x) => x.explains.includes('clusterip-failure'));
    expect(claimer?.nodes).toEqual(['node-b']);
  });
});

describe('without a root cause', () => {
  it('leads with the pod-traffic symptom, not the services riding on it', () => {
    const ranked = rankFindings([
      f('dns-internal-failure', ['node-1'], { rootCause: false }),
      f('clusterip-failure', ['node-1', 'node-3'], { rootCause: false }),
      f('cross-node-pod-failure', ['node-2'], { rootCause: false }),
    ]);
    expect(ranked.map((x) => x.id)).toEqual(['cross-node-pod-failure', 'clusterip-failure', 'dns-internal-failure']);
  });
});
