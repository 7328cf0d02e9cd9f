import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import type { LabState } from './model.js';
import { checkFault, FAULTS, parseFault } from './faults.js';

const lab = (cni: 'flannel' | 'calico', n: number) => ({ cni, nodesOnly: false, nodes: Array.from({ length: n }, (_, i) => ({ name: `node-${i + 1}` })) }) as Pick<LabState, 'cni' | 'nodes' | 'nodesOnly'>;

describe('faults', () => {
  it('parses NAME and NAME@node', () => {
    expect(parseFault('vxlan-blocked')).toEqual({ name: 'vxlan-blocked' });
    expect(parseFault('mtu-mismatch@node-2')).toEqual({ name: 'mtu-mismatch', node: 'node-2' });
  });

  it('rejects unknown faults with the list of known ones', () => {
    expect(() => parseFault('nope')).toThrow(InputError);
    expect(() => parseFault('nope')).toThrow(/known: vxlan-blocked, forward-drop/);
  });

  it('checks CNI, node count, node names and scope', () => {
    expect(checkFault(lab('flannel', 3), { name: 'calico-never' })).toMatch(/needs --cni calico/);
    expect(checkFault(lab('calico', 3), { name: 'cni0-wrong-ip' })).toMatch(/needs --cni flannel/);
    expect(checkFault(lab('flannel', 1), { name: 'vxlan-blocked' })).toMatch(/at least 2 nodes/);
    expect(checkFault(lab('flannel', 3), { name: 'vxlan-blocked', node: 'node-9' })).toMatch(/no such node/);
    expect(checkFault(lab('flannel', 3), { name: 'coredns-down', node: 'node-2' })).toMatch(/takes no @node/);
    expect(checkFault(lab('flannel', 3), { name: 'kube-proxy-crashloop', node: 'node-2' })).toBeUndefined();
    expect(checkFault({ ...lab('flannel', 3), nodesOnly: true }, { name: 'ip-forward-off' })).toMatch(/nodes-only/);
  });

  it('describes every fault with a symptom', () => {
    for (const f of FAULTS) expect(f.symptom.length).toBeGreaterThan(40);
  });
});
