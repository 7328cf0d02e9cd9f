/** Which operation a `k8s:` step performs, its templated fields, and the kubectl equivalent. */
import type { K8sOperation } from '../../plan/types.js';
import { quoteArgv } from '../argv.js';

export type K8sOpName = 'list' | 'get' | 'logs' | 'events' | 'exec' | 'rolloutRestart' | 'patch' | 'apply' | 'delete';
const ORDER: K8sOpName[] = ['list', 'get', 'logs', 'events', 'exec', 'rolloutRestart', 'patch', 'apply', 'delete'];

export function opName(op: K8sOperation): K8sOpName {
  const name = ORDER.find((k) => op[k] !== undefined && op[k] !== false);
  if (!name) throw new Error('k8s step without an operation (validation should have caught this)');
  return name;
}

/** Renders the string fields users may template (`namespace: "{{vars.ns}}"`). */
export function renderOperation(op: K8sOperation, render: (t: string) => string): K8sOperation {
  const out: K8sOperation = { ...op };
  for (const key of ['list', 'get', 'name', 'namespace', 'labelSelector', 'fieldSelector', 'logs', 'container', 'events', 'pod', 'rolloutRestart', 'delete'] as const) {
    const v = out[key];
    if (typeof v === 'string') (out as Record<string, unknown>)[key] = render(v);
  }
  if (out.exec) out.exec = out.exec.map(render);
  return out;
}

/** `kind/name` → [kind, name]. */
export function splitTarget(ref: string): [string, string] {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) throw new Error(`expected kind/name, got "${ref}"`);
  return [ref.slice(0, i), ref.slice(i + 1)];
}

/**
 * `events: pod/x` lists events whose involvedObject is that object; kubectl spells the kind
 * in the field selector as the API Kind, which we only know after discovery, so the manifest
 * shows the user's word capitalised (`pod` → `Pod`, right for every core kind).
 */
function eventSelectors(op: K8sOperation): string[] {
  const fields = [op.fieldSelector];
  if (typeof op.events === 'string') {
    const [kind, name] = splitTarget(op.events);
    fields.push(`involvedObject.kind=${kind[0].toUpperCase()}${kind.slice(1)}`, `involvedObject.name=${name}`);
  }
  const joined = fields.filter(Boolean).join(',');
  return [...(op.labelSelector ? ['-l', op.labelSelector] : []), ...(joined ? [`--field-selector=${joined}`] : [])];
}

/** The kubectl command that does the same, for the manifest and for would-run under --check. */
export function kubectlEquivalent(op: K8sOperation): string {
  const ns = op.allNamespaces ? ['-A'] : op.namespace ? ['-n', op.namespace] : [];
  const sel = [...(op.labelSelector ? ['-l', op.labelSelector] : []), ...(op.fieldSelector ? [`--field-selector=${op.fieldSelector}`] : [])];
  const o = ['-o', op.output ?? 'yaml'];
  switch (opName(op)) {
    case 'list':
      return quoteArgv(['kubectl', 'get', op.list!, ...ns, ...sel, ...o]);
    case 'get':
      return quoteArgv(['kubectl', 'get', op.get!, ...(op.name ? [op.name] : []), ...ns, ...o]);
    case 'logs':
      return quoteArgv(['kubectl', 'logs', ...(typeof op.logs === 'string' ? [op.logs] : sel), ...ns, ...(op.container ? ['-c', op.container] : ['--all-containers']), ...(op.tailLines !== undefined ? [`--tail=${op.tailLines}`] : []), ...(op.previous ? ['--previous'] : []), ...(op.limitBytes ? [`--limit-bytes=${op.limitBytes}`] : [])]);
    case 'events':
      return quoteArgv(['kubectl', 'get', 'events', ...ns, ...eventSelectors(op), ...o]);
    case 'exec':
      return quoteArgv(['kubectl', 'exec', op.pod ?? op.name ?? `(pod matching ${op.labelSelector})`, ...ns, ...(op.container ? ['-c', op.container] : []), '--', ...op.exec!]);
    case 'rolloutRestart':
      return quoteArgv(['kubectl', 'rollout', 'restart', op.rolloutRestart!, ...ns]);
    case 'patch':
      return quoteArgv(['kubectl', 'patch', op.patch!.target, ...ns, '--type', op.patch!.type ?? 'strategic', '-p', JSON.stringify(op.patch!.body)]);
    case 'apply':
      return `kubectl apply ${ns.join(' ')} -f - (probe workload, removed at the end of the run)`.replace(/ +/g, ' ');
    case 'delete':
      return quoteArgv(['kubectl', 'delete', op.delete!, ...ns]);
  }
}
