/**
 * Changing `k8s:` operations: rolloutRestart / patch (remediation steps), apply / delete of the
 * plan's own probe workloads. What `apply` creates is deleted at the end of the run — also
 * after a failure or Ctrl-C — through the run's cleanup hook.
 */
import type { K8sOperation } from '../../plan/types.js';
import { collectionPath, KubeApiError, type KubeSession, type ResolvedResource } from '../../transport/kube-session.js';
import { splitTarget } from './operation.js';

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

interface ObjectRef {
  resource: ResolvedResource;
  namespace?: string;
  name: string;
}

const objectPath = (ref: ObjectRef) => `${collectionPath(ref.resource, ref.namespace)}/${encodeURIComponent(ref.name)}`;

async function refOf(session: KubeSession, kindSlashName: string, namespace: string | undefined, signal: AbortSignal): Promise<ObjectRef> {
  const [kind, name] = splitTarget(kindSlashName);
  const resource = await session.resolve(kind, signal);
  return { resource, name, namespace: resource.namespaced ? (namespace ?? 'default') : undefined };
}

/** What `kubectl rollout restart` sends: a new restartedAt annotation on the pod template. */
export async function rolloutRestart(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<unknown> {
  const ref = await refOf(session, op.rolloutRestart!, op.namespace, signal);
  if (!['DaemonSet', 'Deployment', 'StatefulSet'].includes(ref.resource.kind)) {
    throw new KubeApiError(`rollout restart works on daemonsets, deployments and statefulsets, not ${ref.resource.kind}`);
  }
  const body = { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } };
  return session.request(objectPath(ref), { method: 'PATCH', body, contentType: PATCH_TYPES.strategic, signal });
}

export async function patchObject(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<unknown> {
  const ref = await refOf(session, op.patch!.target, op.namespace, signal);
  return session.request(objectPath(ref), { method: 'PATCH', body: op.patch!.body, contentType: PATCH_TYPES[op.patch!.type ?? 'strategic'], signal });
}

export async function deleteObject(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<void> {
  await session.request(objectPath(await refOf(session, op.delete!, op.namespace, signal)), { method: 'DELETE', signal });
}

/**
 * Creates the given object(s) (merge-patching those that exist) and returns a cleanup that
 * deletes exactly what this step created — never an object that existed before the run.
 */
export async function applyObjects(session: KubeSession, op: K8sOperation, signal: AbortSignal, registerCleanup: (fn: () => Promise<void>) => void): Promise<unknown[]> {
  const docs = (Array.isArray(op.apply) ? op.apply : [op.apply]) as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } }[];
  const applied: unknown[] = [];
  const created: ObjectRef[] = [];
  const cleanup = async () => {
    // A fresh signal: the run's may already be aborted (Ctrl-C) and cleanup must still happen.
    for (const ref of created.reverse()) await session.request(objectPath(ref), { method: 'DELETE', signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
  };
  // Registered before the first create, so a failure half-way still removes what was made.
  registerCleanup(cleanup);
  for (const doc of docs) {
    if (!doc?.kind || !doc.apiVersion || !doc.metadata?.name) throw new KubeApiError('apply: every object needs apiVersion, kind and metadata.name');
    const group = doc.apiVersion.includes('/') ? doc.apiVersion.split('/')[0] : '';
    const resource = await session.resolve(group ? `${doc.kind}.${group}` : doc.kind, signal);
    const namespace = resource.namespaced ? (doc.metadata.namespace ?? op.namespace ?? 'default') : undefined;
    const spec = { ...doc, metadata: { ...doc.metadata, ...(namespace ? { namespace } : {}) } };
    const ref: ObjectRef = { resource, namespace, name: doc.metadata.name };
    try {
      applied.push(await session.request(collectionPath(resource, namespace), { method: 'POST', body: spec, signal }));
      created.push(ref);
    } catch (err) {
      if ((err as KubeApiError).code !== 409) throw err;
      applied.push(await session.request(objectPath(ref), { method: 'PATCH', body: spec, contentType: PATCH_TYPES.merge, signal }));
    }
  }
  return applied;
}
