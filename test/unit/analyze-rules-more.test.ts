/**
 * Rules whose faults neither the namespace capture nor the lab produce (#4, #6, #7, #9, #13,
 * #24): the healthy captured outputs give no finding; the same outputs with the one value the
 * fault changes give the finding on the right node.
 */
import { describe, expect, it } from 'vitest';
import { AnalysisContext } from '../../src/analyze/context.js';
import { RULES } from '../../src/analyze/rules/index.js';
import type { EvidenceSet } from '../../src/analyze/types.js';
import { netnsEvidence } from '../fixtures/evidence/evidence-set.js';

const run = (id: string, ev: EvidenceSet) => RULES.find((r) => r.id === id)!.run(new AnalysisContext(ev));

/** Rewrites one node's output of a step (the rest of the real text stays as captured). */
function edit(ev: EvidenceSet, step: string, target: string, change: (text: string) => string): EvidenceSet {
  const out = ev.outputs.get(step)!.get(target)!;
  ev.outputs.get(step)!.set(target, { ...out, text: change(out.text) });
  return ev;
}
const setNodes = (ev: EvidenceSet, change: (list: any) => void) =>
  edit(ev, 'nodes', 'localhost', (t) => {
    const list = JSON.parse(t);
    change(list);
    return JSON.stringify(list, null, 2);
  });

describe('#4 bridge-nf-call-iptables', () => {
  it('is quiet when the sysctl is 1 and names the node where it is 0 or absent', () => {
    expect(run('br-netfilter', netnsEvidence()).findings).toEqual([]);
    const zero = edit(netnsEvidence(), 'sysctls', 'node-b', (t) => t.replace('bridge-nf-call-iptables = 1', 'bridge-nf-call-iptables = 0'));
    expect(run('br-netfilter', zero).findings.map((f) => [f.id, f.nodes, f.confidence])).toEqual([['br-netfilter-missing', ['node-b'], 'high']]);
    const absent = edit(netnsEvidence(), 'sysctls', 'node-a', (t) => t.replace(/^net\.bridge.*\n/m, ''));
    expect(run('br-netfilter', absent).findings.map((f) => [f.nodes, f.confidence])).toEqual([[['node-a'], 'medium']]);
  });
});

describe('#13 conntrack and #24 rp_filter', () => {
  it('flags a conntrack table at ≥ 90 % of its max', () => {
    expect(run('conntrack-full', netnsEvidence()).findings).toEqual([]);
    const full = edit(netnsEvidence(), 'sysctls', 'node-a', (t) => t.replace(/nf_conntrack_count = \d+/, 'nf_conntrack_count = 250000'));
    const [f] = run('conntrack-full', full).findings;
    expect([f.id, f.nodes, f.title]).toEqual(['conntrack-table-full', ['node-a'], 'conntrack table at 95% on node-a']);
  });

  it('flags strict rp_filter on the tunnel device only', () => {
    expect(run('rp-filter', netnsEvidence()).findings).toEqual([]);
    const strict = edit(netnsEvidence(), 'sysctls', 'node-b', (t) => t.replace('conf.flannel/1.rp_filter = 0', 'conf.flannel/1.rp_filter = 1'));
    const [f] = run('rp-filter', strict).findings;
    expect([f.nodes, f.severity, f.fix[0]]).toEqual([['node-b'], 'low', 'on node-b: sysctl -w net.ipv4.conf.flannel/1.rp_filter=2 (loose)']);
  });
});

describe('#6 VXLAN checksum offload', () => {
  it('needs the dmesg signature; with tx-checksum-ip-generic on it is high confidence', () => {
    const ev = netnsEvidence();
    ev.outputs.set('dmesg', new Map([
      ['node-a', { text: '[  12.000001] eth0: link up\n', file: 'dmesg-node-a.txt', status: 'ok' }],
      ['node-b', { text: '[  13.1] eth0: link up\n[ 120.5] UDP: bad checksum. From 198.18.240.11:53211 to 198.18.240.12:8472 ulen 110\n', file: 'dmesg-node-b.txt', status: 'ok' }],
    ]));
    const [f, ...rest] = run('vxlan-checksum-offload', ev).findings;
    expect(rest).toEqual([]);
    expect([f.nodes, f.confidence, f.evidence[0].line]).toEqual([['node-b'], 'high', 2]);
    expect(f.evidence[1].excerpt).toContain('tx-checksum-ip-generic: on');
  });
});

describe('#7 tunnel endpoint', () => {
  it('is quiet when VTEP local = InternalIP = public-ip', () => {
    expect(run('vtep-endpoint', netnsEvidence()).findings).toEqual([]);
  });

  it('names two nodes advertising one public-ip, and a node whose VTEP uses another address', () => {
    const dup = setNodes(netnsEvidence(), (l) => (l.items[1].metadata.annotations['flannel.alpha.coreos.com/public-ip'] = '198.18.240.11'));
    const fs = run('vtep-endpoint', dup).findings;
    expect(fs.map((f) => [f.id, f.nodes])).toEqual([
      ['vtep-endpoint-wrong', ['node-a', 'node-b']],
      ['vtep-endpoint-wrong', ['node-b']],
    ]);
    expect(fs[1].title).toBe("node-b's flannel.1 uses local address 198.18.240.12, not its node address 198.18.240.11");
  });
});

describe('#9 podCIDR', () => {
  it('is quiet for disjoint podCIDRs inside the flannel Network', () => {
    expect(run('pod-cidr', netnsEvidence()).findings).toEqual([]);
  });

  it('names overlapping podCIDRs, one outside the Network and a node without one', () => {
    const overlap = setNodes(netnsEvidence(), (l) => (l.items[1].spec.podCIDR = '198.19.1.128/25'));
    expect(run('pod-cidr', overlap).findings[0].nodes).toEqual(['node-a', 'node-b']);
    const outside = setNodes(netnsEvidence(), (l) => (l.items[0].spec.podCIDR = '10.244.1.0/24'));
    const [f] = run('pod-cidr', outside).findings;
    expect([f.nodes, f.summary.startsWith("node-a's podCIDR 10.244.1.0/24 is outside the pod network 198.19.0.0/16")]).toEqual([['node-a'], true]);
    const none = setNodes(netnsEvidence(), (l) => delete l.items[1].spec.podCIDR);
    expect(run('pod-cidr', none).findings[0].nodes).toEqual(['node-b']);
  });
});
