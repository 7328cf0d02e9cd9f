/**
 * `k8s: { logs: … }`: logs of one pod or of every pod a selector matches, all containers
 * unless one is named, streamed (never buffered) into the step's file with a header per
 * container, like `kubectl logs --prefix`. A container whose logs cannot be read (no previous
 * instance, pod gone) is noted in the file and on stderr; the step fails only when none could.
 */
import type { Writable } from 'node:stream';
import type { K8sOperation } from '../../plan/types.js';
import { kubeErrorMessage, withQuery, type KubeSession } from '../../transport/kube-session.js';

interface PodRef {
  namespace: string;
  name: string;
  containers: string[];
}

/** How a logs step went: containers read / not readable, pods matched, bytes written. */
export interface LogsResult {
  read: number;
  failed: number;
  pods: number;
  bytes: number;
  /** One line per container that could not be read. */
  errors: string[];
}

const podPath = (ns: string, name: string) => `/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(name)}`;

async function podsFor(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<PodRef[]> {
  const toRef = (p: any): PodRef => ({
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    // Init containers too when asked by name; by default the app containers, like --all-containers.
    containers: (p.spec?.containers ?? []).map((c: any) => c.name),
  });
  if (typeof op.logs === 'string') return [toRef(await session.request(podPath(op.namespace ?? 'default', op.logs), { signal }))];
  const base = op.allNamespaces ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(op.namespace ?? 'default')}/pods`;
  const list = await session.request(withQuery(base, { labelSelector: op.labelSelector, fieldSelector: op.fieldSelector }), { signal });
  return (list.items ?? []).map(toRef).sort((a: PodRef, b: PodRef) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export async function streamLogs(session: KubeSession, op: K8sOperation, out: Writable, err: Writable, signal: AbortSignal): Promise<LogsResult> {
  const pods = await podsFor(session, op, signal);
  const result: LogsResult = { read: 0, failed: 0, pods: pods.length, bytes: 0, errors: [] };
  for (const pod of pods) {
    for (const container of op.container ? [op.container] : pod.containers) {
      signal.throwIfAborted();
      out.write(`==> ${pod.namespace}/${pod.name} [${container}]${op.previous ? ' (previous)' : ''} <==\n`);
      const path = withQuery(`${podPath(pod.namespace, pod.name)}/log`, { container, tailLines: op.tailLines, previous: op.previous, limitBytes: op.limitBytes });
      try {
        result.bytes += await session.stream(path, out, signal);
        result.read++;
      } catch (e) {
        if (signal.aborted) throw e;
        result.failed++;
        const msg = `cannot read logs of ${pod.namespace}/${pod.name} [${container}]: ${kubeErrorMessage(e)}`;
        result.errors.push(msg);
        out.write(`(${msg})\n`);
        err.write(msg + '\n');
      }
      out.write('\n');
    }
  }
  return result;
}
