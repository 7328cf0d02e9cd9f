/** `hosts: k8s:nodes…` parsing and the node → inventory host matching (pure parts). */
import { describe, expect, it } from 'vitest';
import { clusterHostPatternProblems, isClusterHostPattern, matchNodesToHosts, parseClusterHostPattern, type NodeInfo } from './cluster-nodes.js';
import type { Host } from './types.js';

const host = (name: string, address = name): Host => ({ name, address, port: 22, become: false, jump: [], vars: {}, groups: ['all'] });
const node = (name: string, internalIP?: string, more: NodeInfo['addresses'] = []): NodeInfo => ({
  name,
  addresses: [...more, ...(internalIP ? [{ type: 'InternalIP', address: internalIP }] : []), { type: 'Hostname', address: name }],
});

describe('parseClusterHostPattern', () => {
  it('reads k8s:nodes with optional labelSelector / fieldSelector', () => {
    expect(isClusterHostPattern('k8s:nodes')).toBe(true);
    expect(isClusterHostPattern('nodes:&k8s')).toBe(false);
    expect(parseClusterHostPattern('k8s:nodes')).toEqual({});
    expect(parseClusterHostPattern('k8s:nodes?labelSelector=node-role.kubernetes.io/worker')).toEqual({ labelSelector: 'node-role.kubernetes.io/worker' });
    expect(parseClusterHostPattern('k8s:nodes?labelSelector=kubernetes.io/hostname in (a,b),!gpu&fieldSelector=metadata.name!=node-9')).toEqual({
      labelSelector: 'kubernetes.io/hostname in (a,b),!gpu',
      fieldSelector: 'metadata.name!=node-9',
    });
  });

  it('names what is wrong', () => {
    expect(parseClusterHostPattern('k8s:pods')).toEqual({ problem: expect.stringContaining('only k8s:nodes is supported') });
    expect(parseClusterHostPattern('k8s:nodes?selector=x')).toEqual({ problem: expect.stringContaining('unknown parameter "selector"') });
    expect(parseClusterHostPattern('k8s:nodes?labelSelector=')).toEqual({ problem: expect.stringContaining('labelSelector is empty') });
    expect(clusterHostPatternProblems('k8s:nodez', { file: 'p.yaml', line: 3, col: 12, path: 'steps[0].hosts' })).toEqual([
      { file: 'p.yaml', line: 3, col: 12, path: 'steps[0].hosts', message: expect.stringContaining('only k8s:nodes') },
    ]);
    expect(clusterHostPatternProblems('k8s:nodes')).toEqual([]);
  });
});

describe('matchNodesToHosts', () => {
  it('matches by name, then short name, then InternalIP vs ansible_host; reports the rest', () => {
    const hosts = [host('node-1', '198.18.6.11'), host('worker-b.example.com', '10.0.0.2'), host('gpu-3', '198.18.6.13'), host('bastion', '198.18.6.1')];
    const nodes = [node('node-1', '198.18.6.11'), node('worker-b', '10.9.9.9'), node('ip-198-18-6-13.internal', '198.18.6.13'), node('orphan', '198.18.6.99')];
    const r = matchNodesToHosts(nodes, hosts);
    expect(r.hosts.map((h) => h.name)).toEqual(['node-1', 'worker-b.example.com', 'gpu-3']);
    expect(r.unmatched).toEqual(['orphan (198.18.6.99)']);
    expect(Object.fromEntries(r.matchedBy)).toEqual({
      'node-1': 'node-1 by name',
      'worker-b': 'worker-b.example.com by short name',
      'ip-198-18-6-13.internal': 'gpu-3 by InternalIP 198.18.6.13',
    });
  });

  it('prefers InternalIP over other addresses and never lists a host twice', () => {
    const hosts = [host('by-external', '203.0.113.5'), host('by-internal', '198.18.6.12')];
    const r = matchNodesToHosts([node('n2', '198.18.6.12', [{ type: 'ExternalIP', address: '203.0.113.5' }]), node('n2-alias', '198.18.6.12')], hosts);
    expect(r.hosts.map((h) => h.name)).toEqual(['by-internal']);
    expect(r.unmatched).toEqual([]);
  });

  it('a node without addresses that no name matches is unmatched by name only', () => {
    expect(matchNodesToHosts([{ name: 'bare', addresses: [] }], [host('other')]).unmatched).toEqual(['bare']);
  });
});
