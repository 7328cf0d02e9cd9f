/** The probe DaemonSet manifest and selector → labels (pure). */
import { describe, expect, it } from 'vitest';
import { labelsForSelector, probeDaemonSet } from './deploy.js';

describe('probe deployment', () => {
  it('turns equality selectors into pod labels and refuses the rest', () => {
    expect(labelsForSelector('app=netdiag-probe')).toEqual({ app: 'netdiag-probe' });
    expect(labelsForSelector('app==a, tier=b')).toEqual({ app: 'a', tier: 'b' });
    expect(labelsForSelector('app in (a,b)')).toMatch(/only key=value/);
    expect(labelsForSelector('app!=a')).toMatch(/only key=value/);
    expect(labelsForSelector('')).toMatch(/empty selector/);
  });

  it('tolerates every taint, runs sleep infinity in the pod network with the given image', () => {
    const ds = probeDaemonSet('n', 'ns', 'registry.local/netshoot:1', { app: 'x' }) as any;
    expect(ds).toMatchObject({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'n', namespace: 'ns' }, spec: { selector: { matchLabels: { app: 'x' } } } });
    const pod = ds.spec.template.spec;
    expect(ds.spec.template.metadata.labels).toEqual({ app: 'x' });
    expect(pod.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(pod.hostNetwork).toBe(false);
    expect(pod.containers[0]).toMatchObject({ image: 'registry.local/netshoot:1', command: ['sleep', 'infinity'] });
  });
});
