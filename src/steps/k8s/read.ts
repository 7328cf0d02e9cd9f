/** `k8s:` list / get / events: API objects saved as YAML or JSON, and registered as data. */
import { stringify } from 'yaml';
import type { K8sOperation } from '../../plan/types.js';
import type { KubeSession } from '../../transport/kube-session.js';
import { splitTarget } from './operation.js';

/** Serialises like `kubectl get -o yaml|json` (a List with its items). */
export function serialise(obj: unknown, output: 'yaml' | 'json' = 'yaml'): string {
  return output === 'json' ? JSON.stringify(obj, null, 2) + '\n' : stringify(obj, { lineWidth: 0 });
}

export async function readObjects(session: KubeSession, op: K8sOperation, kind: 'list' | 'get' | 'events', signal: AbortSignal): Promise<unknown> {
  if (kind === 'events') {
    let fieldSelector = op.fieldSelector;
    if (typeof op.events === 'string') {
      const [k, name] = splitTarget(op.events);
      const resolved = await session.resolve(k, signal);
      fieldSelector = [fieldSelector, `involvedObject.kind=${resolved.kind}`, `involvedObject.name=${name}`].filter(Boolean).join(',');
    }
    return session.objects.list('v1', 'Event', op.allNamespaces ? undefined : op.namespace, undefined, undefined, undefined, fieldSelector, op.labelSelector);
  }
  const resource = await session.resolve(kind === 'list' ? op.list! : op.get!, signal);
  const namespace = resource.namespaced && !op.allNamespaces ? (op.namespace ?? 'default') : undefined;
  if (kind === 'get' && op.name) {
    return session.objects.read({ apiVersion: resource.apiVersion, kind: resource.kind, metadata: { name: op.name, namespace } });
  }
  const list = await session.objects.list(resource.apiVersion, resource.kind, namespace, undefined, undefined, undefined, op.fieldSelector, op.labelSelector);
  // The API leaves kind/apiVersion off list items; kubectl adds them back, and so do we.
  return { ...list, items: list.items.map((i) => ({ apiVersion: resource.apiVersion, kind: resource.kind, ...i })) };
}
