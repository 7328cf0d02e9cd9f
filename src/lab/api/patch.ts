/**
 * PATCH of DaemonSets and Deployments. The lab honours exactly what `kubectl rollout restart`
 * (and netdiag's rolloutRestart) sends — a change of `spec.template.metadata.annotations` — by
 * recording the annotations in the state and calling the data plane's `restartWorkload`, which
 * really restarts the pods. Merge, strategic-merge and JSON patches are understood; any other
 * change is refused with 422 rather than silently ignored.
 */
import { updateLabState } from '../state.js';
import { badRequest, internalError, invalid, type ApiError } from './status.js';
import type { KObject } from './objects/meta.js';

/** The data plane's restart action (src/lab/actions.ts). */
export type RestartWorkload = (stateFile: string, kind: 'DaemonSet' | 'Deployment', namespace: string, name: string) => Promise<void>;

/** Loads `restartWorkload` from the actions module; undefined while that module is absent. */
export async function loadRestartWorkload(modulePath: string): Promise<RestartWorkload | undefined> {
  try {
    const mod = (await import(modulePath)) as { restartWorkload?: RestartWorkload };
    return typeof mod.restartWorkload === 'function' ? mod.restartWorkload : undefined;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** RFC 7386 merge patch; strategic-merge directives (`$patch`, `$retainKeys`) are ignored. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** RFC 6902 JSON patch (add, replace, remove, test) — enough for annotation edits; a string on error. */
function jsonPatch(target: unknown, ops: unknown): unknown | string {
  if (!Array.isArray(ops)) return 'a JSON patch must be an array of operations';
  const doc = structuredClone(target) as Record<string, unknown>;
  for (const op of ops as { op: string; path: string; value?: unknown }[]) {
    const keys = String(op.path).split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop();
    if (last === undefined) return `invalid path ${op.path}`;
    let cur: any = doc;
    for (const k of keys) {
      // Like the real server: `add` does not create missing parents (a classic client bug
      // that must fail here too, not only on a real cluster).
      if (!isObject(cur[k]) && !Array.isArray(cur[k])) return `${op.op} operation does not apply: doc is missing path: "${op.path}": missing value`;
      cur = cur[k];
    }
    if (op.op === 'add' || op.op === 'replace') cur[last] = op.value;
    else if (op.op === 'remove') delete cur[last];
    else if (op.op === 'test') {
      if (JSON.stringify(cur[last]) !== JSON.stringify(op.value)) return `test failed at ${op.path}`;
    } else return `unsupported JSON patch operation ${op.op}`;
  }
  return doc;
}

/** Applies a PATCH body by content type. */
export function applyPatch(obj: KObject, contentType: string, bodyText: string): KObject | ApiError {
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch (err) {
    return badRequest(`error decoding patch: ${(err as Error).message}`);
  }
  const type = contentType.split(';')[0].trim();
  if (type === 'application/json-patch+json') {
    const out = jsonPatch(obj, body);
    return typeof out === 'string' ? invalid(obj.kind.toLowerCase() + 's', obj.metadata.name, out) : (out as KObject);
  }
  if (type === 'application/merge-patch+json' || type === 'application/strategic-merge-patch+json') return mergePatch(obj, body) as KObject;
  return { code: 415, body: { ...badRequest(`the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`).body, reason: 'UnsupportedMediaType', code: 415 } };
}

function templateAnnotations(o: any): Record<string, string> {
  return { ...(o?.spec?.template?.metadata?.annotations ?? {}) };
}

function withoutTemplateAnnotations(o: any): string {
  const c = structuredClone(o);
  if (c?.spec?.template?.metadata) delete c.spec.template.metadata.annotations;
  return JSON.stringify(c);
}

/** What a validated patch asks the lab to do. */
export interface WorkloadChange {
  annotations: Record<string, string>;
  changed: boolean;
}

/** Checks that only template annotations changed (anything else is refused with 422). */
export function workloadChange(before: KObject, after: KObject, resource: string): WorkloadChange | ApiError {
  if (withoutTemplateAnnotations(before) !== withoutTemplateAnnotations(after)) {
    return invalid(resource, before.metadata.name, 'the lab API server can only patch spec.template.metadata.annotations (e.g. kubectl rollout restart)');
  }
  const a = templateAnnotations(before);
  const b = templateAnnotations(after);
  return { annotations: b, changed: JSON.stringify(a) !== JSON.stringify(b) };
}

/** Records the annotations in the state and restarts the workload for real. */
export async function restartForPatch(
  stateFile: string,
  restart: RestartWorkload | undefined,
  kind: 'DaemonSet' | 'Deployment',
  namespace: string,
  name: string,
  annotations: Record<string, string>,
): Promise<ApiError | undefined> {
  if (!restart) return internalError('the lab actions module (src/lab/actions.ts restartWorkload) is not available, cannot restart');
  try {
    await updateLabState(stateFile, (s) => {
      const w = (s.workloads ?? []).find((x) => x.kind === kind && x.namespace === namespace && x.name === name);
      if (w) w.templateAnnotations = annotations;
    });
    await restart(stateFile, kind, namespace, name);
    return undefined;
  } catch (err) {
    return internalError(`restarting ${kind} ${namespace}/${name}: ${(err as Error).message}`);
  }
}
