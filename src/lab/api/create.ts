/**
 * POST and DELETE of DaemonSets: the objects a plan deploys (the probe step's DaemonSet,
 * `k8s: apply`). The server validates the object like the real one (AlreadyExists, NotFound,
 * Invalid), decides the nodes from taints and tolerations as the DaemonSet controller would,
 * and hands the data-plane work (real pod namespaces) to the lab's actions module.
 */
import type { LabState } from '../model.js';
import type { NewDaemonSet } from '../actions.js';
import { alreadyExists, badRequest, internalError, invalid, methodNotAllowed, type ApiError } from './status.js';
import { controlPlaneTaints } from './objects/nodes.js';

/** The data-plane functions the server calls (src/lab/actions.ts, loaded at request time). */
export interface WorkloadActions {
  createDaemonSet(stateFile: string, spec: NewDaemonSet): Promise<void>;
  deleteDaemonSet(stateFile: string, namespace: string, name: string): Promise<boolean>;
}

/** Loads the actions module; undefined when it does not provide create/delete. */
export async function loadWorkloadActions(modulePath: string): Promise<WorkloadActions | undefined> {
  try {
    const mod = (await import(modulePath)) as Partial<WorkloadActions>;
    return typeof mod.createDaemonSet === 'function' && typeof mod.deleteDaemonSet === 'function' ? (mod as WorkloadActions) : undefined;
  } catch {
    return undefined;
  }
}

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}

/** Kubernetes toleration matching: an empty key with Exists tolerates everything. */
function tolerates(tolerations: Toleration[], taint: { key: string; value?: string; effect: string }): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if ((t.operator ?? 'Equal') === 'Exists') return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
  });
}

const isObject = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Validates a POSTed DaemonSet for the namespace of the URL: the spec to create, or the error. */
export function daemonSetSpec(state: LabState, namespace: string, body: unknown): NewDaemonSet | ApiError {
  if (!isObject(body)) return badRequest('the request body must be a DaemonSet object');
  if (body.kind !== undefined && body.kind !== 'DaemonSet') return badRequest(`the object kind ${body.kind} does not match the resource daemonsets.apps`);
  const meta = isObject(body.metadata) ? body.metadata : {};
  const name = meta.name;
  if (typeof name !== 'string' || !NAME.test(name) || name.length > 63) return invalid('DaemonSet.apps', String(name ?? ''), 'metadata.name: Required value: a lowercase RFC 1123 label is required');
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    return badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  const template = isObject(body.spec?.template) ? body.spec.template : undefined;
  const labels = template?.metadata?.labels;
  if (!isObject(labels) || Object.keys(labels).length === 0) return invalid('DaemonSet.apps', name, 'spec.template.metadata.labels: Required value');
  const matchLabels = body.spec?.selector?.matchLabels;
  if (!isObject(matchLabels) || Object.keys(matchLabels).length === 0) return invalid('DaemonSet.apps', name, 'spec.selector: Required value');
  if (Object.entries(matchLabels).some(([k, v]) => labels[k] !== v)) return invalid('DaemonSet.apps', name, 'spec.template.metadata.labels: Invalid value: `selector` does not match template `labels`');
  const podSpec = isObject(template?.spec) ? template.spec : {};
  const container = Array.isArray(podSpec.containers) ? podSpec.containers[0] : undefined;
  if (!isObject(container) || typeof container.name !== 'string' || typeof container.image !== 'string') {
    return invalid('DaemonSet.apps', name, 'spec.template.spec.containers: Required value: a container with name and image');
  }
  const tolerations: Toleration[] = Array.isArray(podSpec.tolerations) ? podSpec.tolerations.filter(isObject) : [];
  // Only NoSchedule/NoExecute taints keep a DaemonSet pod off a node.
  const nodes = state.nodes
    .filter((_n, i) => controlPlaneTaints(i === 0).every((t) => tolerates(tolerations, t)))
    .map((n) => n.name);
  return {
    namespace, name, labels: labels as Record<string, string>, image: container.image, container: container.name,
    hostNetwork: podSpec.hostNetwork === true, nodes, podSpec,
  };
}

/** The error to answer when an action threw (exists → 409, lab-owned → 405, else 500). */
export function actionFailure(err: unknown, name: string): ApiError {
  const msg = (err as Error).message ?? String(err);
  if (/already exists/.test(msg)) return alreadyExists('daemonsets', name, 'apps');
  if (/part of the lab/.test(msg)) return methodNotAllowed(msg.replace(/^lab: /, ''));
  return internalError(msg);
}
