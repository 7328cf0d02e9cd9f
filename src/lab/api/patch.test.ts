import { describe, expect, it } from 'vitest';
import type { KObject } from './objects/meta.js';
import { applyPatch, workloadChange } from './patch.js';

const ds: KObject = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'kube-proxy', namespace: 'kube-system', uid: 'u', resourceVersion: '1', creationTimestamp: 't' },
  spec: { template: { metadata: { labels: { a: 'b' }, annotations: { keep: 'me' } }, spec: { containers: [] } } },
};

describe('PATCH of workloads', () => {
  it('accepts the strategic-merge patch kubectl rollout restart sends', () => {
    const body = JSON.stringify({ spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-03T07:00:00Z' } } } } });
    const patched = applyPatch(ds, 'application/strategic-merge-patch+json', body) as KObject;
    const change = workloadChange(ds, patched, 'daemonsets');
    expect(change).toEqual({ changed: true, annotations: { keep: 'me', 'kubectl.kubernetes.io/restartedAt': '2026-12-03T07:00:00Z' } });
  });

  it('accepts a JSON patch of the same annotation and a merge patch deleting one', () => {
    const json = applyPatch(ds, 'application/json-patch+json', JSON.stringify([{ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: 'now' }])) as KObject;
    expect(workloadChange(ds, json, 'daemonsets')).toMatchObject({ changed: true, annotations: { 'kubectl.kubernetes.io/restartedAt': 'now' } });
    const removed = applyPatch(ds, 'application/merge-patch+json', JSON.stringify({ spec: { template: { metadata: { annotations: { keep: null } } } } })) as KObject;
    expect(workloadChange(ds, removed, 'daemonsets')).toEqual({ changed: true, annotations: {} });
  });

  it('refuses other changes with 422 and unknown media types with 415', () => {
    const other = applyPatch(ds, 'application/merge-patch+json', JSON.stringify({ spec: { template: { spec: { hostNetwork: true } } } })) as KObject;
    expect(workloadChange(ds, other, 'daemonsets')).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
    expect(applyPatch(ds, 'application/apply-patch+yaml', '{}')).toMatchObject({ code: 415 });
    expect(applyPatch(ds, 'application/merge-patch+json', '{not json')).toMatchObject({ code: 400 });
    const bare = { ...ds, spec: { template: { metadata: {}, spec: {} } } };
    const missingParent = applyPatch(bare, 'application/json-patch+json', JSON.stringify([{ op: 'add', path: '/spec/template/metadata/annotations/x', value: 'y' }]));
    expect(missingParent).toMatchObject({ code: 422, body: { message: expect.stringContaining('doc is missing path') } });
  });
});
