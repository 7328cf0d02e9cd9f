/**
 * `k8s:` list / get / events: API objects exactly as the server sent them (raw JSON, not the
 * client library's model classes, which rewrite timestamps and drop fields they do not know),
 * saved as YAML or JSON like `kubectl get -o yaml|json`, and registered as data.
 */
import { stringify } from 'yaml';
import type { K8sOperation } from '../../plan/types.js';
import { collectionPath, withQuery, type KubeSession, type ResolvedResource } from '../../transport/kube-session.js';
import { splitTarget } from './operation.js';

/** Serialises like `kubectl get -o yaml|json`. */
export function serialise(obj: unknown, output: 'yaml' | 'json' = 'yaml'): string {
  return output === 'json' ? JSON.stringify(obj, null, 2) + '\n' : stringify(obj, { lineWidth: 0 });
}

/** The namespace a read uses: none for cluster-scoped resources and all-namespaces reads. */
function namespaceFor(r: ResolvedResource, op: K8sOperation): string | undefined {
  return r.namespaced && !op.allNamespaces ? (op.namespace ?? 'default') : undefined;
}

/** Lists a resource; items get their apiVersion/kind back, as kubectl prints them. */
export async function listResource(session: KubeSession, r: ResolvedResource, namespace: string | undefined, selectors: { labelSelector?: string; fieldSelector?: string }, signal?: AbortSignal): Promise<any> {
  const list = await session.request(withQuery(collectionPath(r, namespace), selectors), { signal });
  // The API leaves kind/apiVersion off list items; kubectl adds them back, and so do we.
  return { ...list, items: (list.items ?? []).map((i: object) => ({ apiVersion: r.apiVersion, kind: r.kind, ...i })) };
}

/** One object by name. */
export async function getObject(session: KubeSession, r: ResolvedResource, namespace: string | undefined, name: string, signal?: AbortSignal): Promise<any> {
  return session.request(`${collectionPath(r, namespace)}/${encodeURIComponent(name)}`, { signal });
}

export async function readObjects(session: KubeSession, op: K8sOperation, kind: 'list' | 'get' | 'events', signal: AbortSignal): Promise<unknown> {
  if (kind === 'events') {
    const events = await session.resolve('events', signal);
    let fieldSelector = op.fieldSelector;
    if (typeof op.events === 'string') {
      // `events: pod/coredns-…` = kubectl get events --for pod/coredns-…
      const [k, name] = splitTarget(op.events);
      const target = await session.resolve(k, signal);
      fieldSelector = [fieldSelector, `involvedObject.kind=${target.kind}`, `involvedObject.name=${name}`].filter(Boolean).join(',');
    }
    return listResource(session, events, namespaceFor(events, op), { fieldSelector, labelSelector: op.labelSelector }, signal);
  }
  const resource = await session.resolve(kind === 'list' ? op.list! : op.get!, signal);
  if (kind === 'get' && op.name) return getObject(session, resource, resource.namespaced ? (op.namespace ?? 'default') : undefined, op.name, signal);
  return listResource(session, resource, namespaceFor(resource, op), { labelSelector: op.labelSelector, fieldSelector: op.fieldSelector }, signal);
}
