/** DaemonSet create validation and taint/toleration placement (pure: no lab needed). */
import { describe, expect, it } from 'vitest';
import type { LabState } from '../model.js';
import { actionFailure, daemonSetSpec } from './create.js';

const state = { nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }] } as unknown as LabState;

function ds(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'probe', ...meta },
    spec: { selector: { matchLabels: { app: 'p' } }, template: { metadata: { labels: { app: 'p', extra: 'x' } }, spec: { containers: [{ name: 'c', image: 'img:1' }], ...spec } } },
  };
}

describe('daemonSetSpec', () => {
  it('places pods on every node only when the control-plane taint is tolerated', () => {
    expect(daemonSetSpec(state, 'ns', ds())).toMatchObject({ nodes: ['node-2', 'node-3'], labels: { app: 'p', extra: 'x' }, image: 'img:1', container: 'c', hostNetwork: false });
    expect(daemonSetSpec(state, 'ns', ds({ tolerations: [{ operator: 'Exists' }] }))).toMatchObject({ nodes: ['node-1', 'node-2', 'node-3'] });
    expect(daemonSetSpec(state, 'ns', ds({ tolerations: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }] }))).toMatchObject({ nodes: ['node-1', 'node-2', 'node-3'] });
    expect(daemonSetSpec(state, 'ns', ds({ tolerations: [{ key: 'other', operator: 'Exists' }] }))).toMatchObject({ nodes: ['node-2', 'node-3'] });
    expect(daemonSetSpec(state, 'ns', ds({ tolerations: [{ operator: 'Exists', effect: 'NoExecute' }] }))).toMatchObject({ nodes: ['node-2', 'node-3'] });
  });

  it('answers like the real server for invalid objects', () => {
    expect(daemonSetSpec(state, 'ns', ds({}, { namespace: 'other' }))).toMatchObject({ code: 400, body: { reason: 'BadRequest' } });
    expect(daemonSetSpec(state, 'ns', ds({}, { name: 'Bad_Name' }))).toMatchObject({ code: 422, body: { reason: 'Invalid' } });
    const noSelector = ds();
    (noSelector.spec as any).selector = undefined;
    expect(daemonSetSpec(state, 'ns', noSelector)).toMatchObject({ code: 422, body: { message: expect.stringContaining('spec.selector') } });
    const mismatch = ds();
    (mismatch.spec as any).selector = { matchLabels: { app: 'q' } };
    expect(daemonSetSpec(state, 'ns', mismatch)).toMatchObject({ code: 422, body: { message: expect.stringContaining('does not match template') } });
    expect(daemonSetSpec(state, 'ns', ds({ containers: [] }))).toMatchObject({ code: 422 });
    expect(daemonSetSpec(state, 'ns', 'x')).toMatchObject({ code: 400 });
  });

  it('maps action failures to Status errors', () => {
    expect(actionFailure(new Error('lab: DaemonSet a/b already exists'), 'b')).toMatchObject({ code: 409, body: { reason: 'AlreadyExists', message: 'daemonsets.apps "b" already exists' } });
    expect(actionFailure(new Error('lab: DaemonSet kube-system/kube-proxy is part of the lab and cannot be deleted'), 'kube-proxy')).toMatchObject({ code: 405 });
    expect(actionFailure(new Error('boom'), 'x')).toMatchObject({ code: 500 });
  });
});
