/**
 * Changing `k8s:` operations: rolloutRestart / patch (remediation steps), apply / delete of the
 * plan's own probe workloads. What `apply` creates is deleted at the end of the run — also
 * after a failure or Ctrl-C — through the run's cleanup hook.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { K8sOperation } from '../../plan/types.js';
import type { KubeSession } from '../../transport/kube-session.js';
import { splitTarget } from './operation.js';

const PATCH_TYPES = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
} as const;

async function header(session: KubeSession, ref: string, namespace: string | undefined, signal: AbortSignal) {
  const [kind, name] = splitTarget(ref);
  const r = await session.resolve(kind, signal);
  return { apiVersion: r.apiVersion, kind: r.kind, metadata: { name, ...(r.namespaced ? { namespace: namespace ?? 'default' } : {}) } };
}

/** What `kubectl rollout restart` sends: a new restartedAt annotation on the pod template. */
export async function rolloutRestart(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<KubernetesObject> {
  const h = await header(session, op.rolloutRestart!, op.namespace, signal);
  const body = { ...h, spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } } } } };
  return session.objects.patch(body, undefined, undefined, 'netdiag', undefined, PATCH_TYPES.strategic);
}

export async function patchObject(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<KubernetesObject> {
  const h = await header(session, op.patch!.target, op.namespace, signal);
  const type = PATCH_TYPES[op.patch!.type ?? 'strategic'];
  // A JSON patch is a list of operations; the library still needs to know which object.
  const body = type === PATCH_TYPES.json ? Object.assign(op.patch!.body as object, h) : { ...(op.patch!.body as object), ...h };
  return session.objects.patch(body as KubernetesObject, undefined, undefined, 'netdiag', undefined, type);
}

export async function deleteObject(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<void> {
  await session.objects.delete(await header(session, op.delete!, op.namespace, signal));
}

/**
 * Creates the given object(s) (or patches them if they exist) and returns a cleanup that
 * deletes exactly what was created.
 */
export async function applyObjects(session: KubeSession, op: K8sOperation): Promise<{ applied: KubernetesObject[]; cleanup: () => Promise<void> }> {
  const docs = (Array.isArray(op.apply) ? op.apply : [op.apply]) as KubernetesObject[];
  const applied: KubernetesObject[] = [];
  for (const doc of docs) {
    const spec = { ...doc, metadata: { ...doc.metadata, ...(op.namespace && !doc.metadata?.namespace ? { namespace: op.namespace } : {}) } };
    try {
      applied.push(await session.objects.create(spec));
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
      applied.push(await session.objects.patch(spec, undefined, undefined, 'netdiag', undefined, PATCH_TYPES.merge));
    }
  }
  const cleanup = async () => {
    for (const obj of applied.reverse()) await session.objects.delete(obj).catch(() => undefined);
  };
  return { applied, cleanup };
}
