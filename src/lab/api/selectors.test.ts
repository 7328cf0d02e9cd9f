import { describe, expect, it } from 'vitest';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { parseRoute, tableVersionAccepted } from './routes.js';

const labels = { app: 'web', tier: 'frontend', 'k8s-app': 'kube-dns' };

function matches(selector: string, subject: Record<string, string> = labels): boolean {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.matches(subject);
}

describe('label selectors', () => {
  it.each([
    ['', true],
    ['app=web', true],
    ['app==web', true],
    ['app=db', false],
    ['app!=db', true],
    ['missing!=x', true],
    ['app in (db,web)', true],
    ['app in (db)', false],
    ['app notin (db, cache)', true],
    ['missing notin (x)', true],
    ['tier', true],
    ['!tier', false],
    ['!missing', true],
    ['app=web,tier=frontend', true],
    ['app=web,tier=backend', false],
    ['k8s-app in (kube-dns,kube-proxy),app', true],
  ])('%s → %s', (selector, expected) => {
    expect(matches(selector)).toBe(expected);
  });

  it('reports what it cannot parse', () => {
    const r = parseLabelSelector('app in (web');
    expect(r.ok).toBe(false);
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'kube-system' }, spec: { nodeName: 'node-2' }, status: { phase: 'Running' } };
  it('matches dotted paths with =, == and !=', () => {
    const sel = (s: string) => {
      const r = parseFieldSelector(s);
      if (!r.ok) throw new Error(r.error);
      return r.matches(pod);
    };
    expect(sel('spec.nodeName=node-2')).toBe(true);
    expect(sel('spec.nodeName==node-1')).toBe(false);
    expect(sel('status.phase!=Failed,status.phase!=Succeeded')).toBe(true);
    expect(sel('metadata.namespace=kube-system,metadata.name=p')).toBe(true);
    expect(sel('spec.hostNetwork=')).toBe(true); // absent reads as ""
  });
  it('rejects requirements without an operator', () => {
    expect(parseFieldSelector('spec.nodeName').ok).toBe(false);
  });
});

describe('routes', () => {
  it('parses core, group, namespaced and cluster-scoped paths', () => {
    expect(parseRoute('/api/v1/namespaces/kube-system/pods/p/log')).toEqual({ kind: 'resource', group: '', version: 'v1', namespace: 'kube-system', resource: 'pods', name: 'p', subresource: 'log' });
    expect(parseRoute('/api/v1/namespaces/default')).toEqual({ kind: 'resource', group: '', version: 'v1', resource: 'namespaces', name: 'default', subresource: undefined });
    expect(parseRoute('/apis/crd.projectcalico.org/v1/ippools')).toMatchObject({ kind: 'resource', group: 'crd.projectcalico.org', resource: 'ippools', name: undefined });
    expect(parseRoute('/apis/apps/v1')).toEqual({ kind: 'resourceList', group: 'apps', version: 'v1' });
    expect(parseRoute('/apis/apps')).toEqual({ kind: 'group', group: 'apps' });
    expect(parseRoute('/api/v2/pods')).toEqual({ kind: 'unknown' });
    expect(parseRoute('/metrics')).toEqual({ kind: 'unknown' });
  });
  it('recognises the Table media type kubectl sends', () => {
    expect(tableVersionAccepted('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json')).toBe('meta.k8s.io/v1');
    expect(tableVersionAccepted('application/json')).toBeUndefined();
  });
});
