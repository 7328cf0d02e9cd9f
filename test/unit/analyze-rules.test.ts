/**
 * Rule tests on the captured namespace evidence: node-a is healthy, node-b carries the faults
 * (VXLAN port DROP, FORWARD DROP, ip_forward=0, underlay MTU 1400, cni0 outside its podCIDR,
 * missing FDB entry, no kube-proxy service rules). Each rule must name node-b and only node-b;
 * on node-a alone it must find nothing; without access to a node it must say "not checked".
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AnalysisContext } from '../../src/analyze/context.js';
import { RULES } from '../../src/analyze/rules/index.js';
import type { EvidenceSet, Finding, VxlanFlowTable } from '../../src/analyze/types.js';
import { FIXTURES, netnsEvidence } from '../fixtures/evidence/evidence-set.js';

function run(ruleId: string, ev: EvidenceSet) {
  const rule = RULES.find((r) => r.id === ruleId);
  if (!rule) throw new Error(`no rule ${ruleId}`);
  return rule.run(new AnalysisContext(ev));
}

const only = (fs: Finding[], id: string) => fs.filter((f) => f.id === id);

const CASES: { rule: string; finding: string; catalog: number; evidenceFile: RegExp }[] = [
  { rule: 'overlay-port-blocked', finding: 'overlay-port-blocked', catalog: 1, evidenceFile: /^iptables-filter-b\.txt$/ },
  { rule: 'forward-drop', finding: 'forward-policy-drop', catalog: 2, evidenceFile: /^iptables-filter-b\.txt$/ },
  { rule: 'ip-forward', finding: 'ip-forward-disabled', catalog: 3, evidenceFile: /^sysctls-b\.txt$/ },
  { rule: 'mtu', finding: 'mtu-mismatch', catalog: 5, evidenceFile: /^links-b\.json$/ },
  { rule: 'vxlan-entries', finding: 'vxlan-entries-missing', catalog: 8, evidenceFile: /-b\.json$/ },
  { rule: 'cni0-address', finding: 'cni0-address-mismatch', catalog: 10, evidenceFile: /^addrs-b\.json$/ },
  { rule: 'service-programming', finding: 'service-not-programmed', catalog: 16, evidenceFile: /^iptables-nat-b\.txt$/ },
];

describe.each(CASES)('rule $rule (catalog #$catalog)', ({ rule, finding, catalog, evidenceFile }) => {
  it('names the faulty node only, with evidence from its file and a fix', () => {
    const { findings } = run(rule, netnsEvidence());
    const hits = only(findings, finding);
    expect(hits.map((f) => f.nodes)).toEqual([['node-b']]);
    expect(hits[0].catalog).toBe(catalog);
    expect(hits[0].rootCause).toBe(true);
    expect(hits[0].evidence.some((e) => evidenceFile.test(e.file))).toBe(true);
    expect(hits[0].fix.length).toBeGreaterThan(0);
  });

  it('finds nothing on the healthy node', () => {
    const { findings, notChecked } = run(rule, netnsEvidence({ nodes: ['a'] }));
    expect(findings).toEqual([]);
    // Everything about node-a was checked (the only gaps allowed are evidence no node step gives).
    expect(notChecked.filter((n) => n.reason.includes('node-a'))).toEqual([]);
  });
});

describe('evidence details', () => {
  it('cites the exact DROP rule line and offers the matching delete command', () => {
    const [f] = run('overlay-port-blocked', netnsEvidence()).findings;
    const lines = readFileSync(path.join(FIXTURES, 'netns', 'iptables-filter-b.txt'), 'utf8').split('\n');
    expect(f.evidence[0]).toMatchObject({ file: 'iptables-filter-b.txt', line: lines.findIndex((l) => l.includes('--dport 8472')) + 1 });
    expect(f.evidence[0].excerpt).toContain('--dport 8472');
    expect(f.fix[0]).toBe('on node-b: iptables -t filter -D INPUT -p udp -m udp --dport 8472 -m comment --comment "netdiag test: vxlan blocked" -j DROP');
  });

  it('says which entries node-b lacks: the FDB entry for node-a, not the route', () => {
    const [f] = run('vxlan-entries', netnsEvidence()).findings;
    expect(f.pairs).toEqual([['node-b', 'node-a']]);
    expect(f.summary).toContain('no FDB entry');
    expect(f.summary).not.toContain('no route');
    expect(f.remediable).toBe(true);
  });

  it('computes the MTU the tunnel should have from the underlay', () => {
    const [f] = run('mtu', netnsEvidence()).findings;
    expect(f.title).toContain('flannel.1 MTU 1450 > eth0 MTU 1400 − 50');
    expect(f.fix[0]).toContain('1350');
  });

  it('ip_forward cites the sysctl line and is remediable', () => {
    const [f] = run('ip-forward', netnsEvidence()).findings;
    expect(f.evidence).toEqual([{ file: 'sysctls-b.txt', line: 1, excerpt: 'net.ipv4.ip_forward = 0' }]);
    expect(f.remediable).toBe(true);
  });
});

describe('missing evidence is reported, never a silent pass', () => {
  it('an unreachable node yields "not checked: no SSH access" and no finding for it', () => {
    const ev = netnsEvidence({ unreachable: ['b'] });
    for (const id of ['ip-forward', 'overlay-port-blocked', 'mtu', 'forward-drop']) {
      const { findings, notChecked } = run(id, ev);
      expect(findings.filter((f) => f.nodes.includes('node-b'))).toEqual([]);
      expect(notChecked.map((n) => n.reason)).toContainEqual(expect.stringMatching(/^not checked on node-b: no SSH access to node-b/));
    }
  });

  it('cluster steps that were not collected are named', () => {
    const ev = netnsEvidence({ nodes: ['a'] });
    ev.outputs.delete('nodes');
    expect(run('vxlan-entries', ev).notChecked).toEqual([{ rule: 'vxlan-entries', reason: 'not checked: nodes not collected' }]);
    expect(run('kube-proxy-crashloop', ev).notChecked[0].reason).toBe('not checked: kube_proxy_pods not collected');
  });
});

describe('VXLAN flow table', () => {
  const table = (rows: [string, string, number, number, 'ok' | 'lost'][]): VxlanFlowTable => ({
    hosts: ['node-a', 'node-b', 'node-c'],
    rows: rows.map(([from, to, sent, received, verdict]) => ({ from, to, fromIp: '', toIp: '', port: 8472, sent, received, verdict, explanation: verdict })),
    counts: { ok: 0, lost: 0, 'not-sent': 0, partial: 0, 'no-capture': 0 },
  });

  it('lost flows toward a node without a local DROP rule point at the path, naming the receiver', () => {
    const ev = netnsEvidence({ nodes: ['a'] });
    ev.flows = { file: 'vxlan-flow-table.json', table: table([['node-a', 'node-c', 40, 0, 'lost'], ['node-c', 'node-a', 38, 38, 'ok']]) };
    const [f] = run('overlay-port-blocked', ev).findings;
    expect(f).toMatchObject({ id: 'overlay-port-blocked', nodes: ['node-c'], pairs: [['node-a', 'node-c']], confidence: 'medium' });
  });

  it('lost flows toward the node whose firewall drops them are folded into that finding', () => {
    const ev = netnsEvidence();
    ev.flows = { file: 'vxlan-flow-table.json', table: table([['node-a', 'node-b', 40, 0, 'lost']]) };
    const fs = run('overlay-port-blocked', ev).findings;
    expect(fs).toHaveLength(1);
    expect(fs[0]).toMatchObject({ nodes: ['node-b'], pairs: [['node-a', 'node-b']], confidence: 'high' });
  });
});

describe('AnalysisContext', () => {
  it('keeps the results of different inline parsers of one output apart', () => {
    const ctx = new AnalysisContext(netnsEvidence());
    const lines = ctx.parsed('sysctls', 'node-b', (t) => t.split('\n').length)!.value;
    const first = ctx.parsed('sysctls', 'node-b', (t) => t.split('\n')[0])!.value;
    expect([typeof lines, first]).toEqual(['number', 'net.ipv4.ip_forward = 0']);
  });

  it('a run without any node target reports every node rule as not checked', () => {
    const ev = netnsEvidence();
    ev.nodes = [];
    expect(run('ip-forward', ev).notChecked).toEqual([{ rule: 'ip-forward', reason: 'not checked: no node targets in this run' }]);
    ev.outputs.delete('links');
    expect(run('mtu', ev).notChecked).toEqual([{ rule: 'mtu', reason: 'not checked: no node targets in this run (links not collected)' }]);
  });
});

describe('VXLAN "not sent" needs a failing probe for the pair', () => {
  const notSent = (from: string, to: string) => ({ from, to, fromIp: '', toIp: '', port: null, sent: 0, received: 0, verdict: 'not-sent' as const, explanation: '' });

  it('is ignored without a matrix (no traffic may have been generated) and reported for failing pairs', () => {
    const ev = netnsEvidence();
    ev.flows = { file: 'vxlan-flow-table.json', table: { hosts: ['node-a', 'node-b'], rows: [notSent('node-a', 'node-b'), notSent('node-b', 'node-a')], counts: { ok: 0, lost: 0, 'not-sent': 2, partial: 0, 'no-capture': 0 } } };
    expect(run('connectivity-matrix', ev).findings).toEqual([]);
    ev.connectivity = {
      file: 'connectivity-matrix.json',
      matrix: { pods: [], results: [{ test: 'pod-pod', from: 'pb', fromNode: 'node-b', to: 'pa', toNode: 'node-a', sameNode: false, ok: false }, { test: 'pod-pod', from: 'pa', fromNode: 'node-a', to: 'pb', toNode: 'node-b', sameNode: false, ok: true }] },
    };
    const sym = run('connectivity-matrix', ev).findings.find((f) => f.id === 'vxlan-not-sent')!;
    expect([sym.nodes, sym.pairs]).toEqual([['node-b'], [['node-b', 'node-a']]]);
  });
});
