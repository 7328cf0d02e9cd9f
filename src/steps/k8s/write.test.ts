/**
 * `apply` bookkeeping with an injected session (the lab's API server does not implement
 * create/delete): the cleanup is registered before the first create, deletes exactly what this
 * step created (never an object that already existed), and still runs after a failure half-way.
 */
import { describe, expect, it } from 'vitest';
import type { K8sOperation } from '../../plan/types.js';
import { KubeApiError, type KubeSession, type RequestOptions } from '../../transport/kube-session.js';
import { applyObjects, rolloutRestart } from './write.js';

function fakeSession(answer: (path: string, o: RequestOptions) => unknown) {
  const calls: string[] = [];
  const session = {
    resolve: async (r: string) => {
      const kind = r.split('.')[0].toLowerCase();
      if (kind === 'daemonset') return { apiVersion: 'apps/v1', kind: 'DaemonSet', plural: 'daemonsets', group: 'apps', namespaced: true };
      if (kind === 'configmap') return { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', group: '', namespaced: true };
      throw new KubeApiError(`the server doesn't have a resource type "${r}"`, 404);
    },
    request: async (path: string, o: RequestOptions = {}) => {
      calls.push(`${o.method ?? 'GET'} ${path}${o.contentType ? ` ${o.contentType}` : ''}`);
      return answer(path, o);
    },
  } as unknown as KubeSession;
  return { session, calls };
}

const op = (apply: unknown): K8sOperation => ({ apply, namespace: 'ndt-probe' });
const ds = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'probe' } };
const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'existing' } };
const signal = new AbortController().signal;

describe('applyObjects', () => {
  it('creates, merge-patches what exists (409), and cleans up only what it created', async () => {
    const { session, calls } = fakeSession((path, o) => {
      if (o.method === 'POST' && path.endsWith('/configmaps')) throw new KubeApiError('already exists', 409);
      return { ok: path };
    });
    const cleanups: (() => Promise<void>)[] = [];
    const applied = await applyObjects(session, op([ds, cm]), signal, (fn) => cleanups.push(fn));
    expect(applied).toHaveLength(2);
    expect(cleanups).toHaveLength(1);
    await cleanups[0]();
    expect(calls).toEqual([
      'POST /apis/apps/v1/namespaces/ndt-probe/daemonsets',
      'POST /api/v1/namespaces/ndt-probe/configmaps',
      'PATCH /api/v1/namespaces/ndt-probe/configmaps/existing application/merge-patch+json',
      'DELETE /apis/apps/v1/namespaces/ndt-probe/daemonsets/probe',
    ]);
  });

  it('a failure half-way still leaves a cleanup for what was created', async () => {
    const { session, calls } = fakeSession((path, o) => {
      if (o.method === 'POST' && path.endsWith('/configmaps')) throw new KubeApiError('forbidden', 403);
      return {};
    });
    const cleanups: (() => Promise<void>)[] = [];
    await expect(applyObjects(session, op([ds, cm]), signal, (fn) => cleanups.push(fn))).rejects.toMatchObject({ code: 403 });
    await cleanups[0]();
    expect(calls.at(-1)).toBe('DELETE /apis/apps/v1/namespaces/ndt-probe/daemonsets/probe');
  });

  it('rolloutRestart refuses kinds that have no pod template', async () => {
    const { session } = fakeSession(() => ({}));
    await expect(rolloutRestart(session, { rolloutRestart: 'configmap/x' }, signal)).rejects.toThrow(/not ConfigMap/);
  });
});
