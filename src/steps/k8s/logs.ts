/**
 * `k8s: { logs: … }`: logs of one pod or of every pod a selector matches, all containers
 * unless one is named, streamed (never buffered) into the step's file with a header per
 * container, like `kubectl logs --prefix`. A container whose logs cannot be read (no previous
 * instance, pod gone) is noted in the file and on stderr; the step fails only when none could.
 */
import { PassThrough, type Writable } from 'node:stream';
import type { K8sOperation } from '../../plan/types.js';
import { kubeErrorMessage, type KubeSession } from '../../transport/kube-session.js';

interface PodRef {
  namespace: string;
  name: string;
  containers: string[];
}

async function podsFor(session: KubeSession, op: K8sOperation): Promise<PodRef[]> {
  const ns = op.allNamespaces ? undefined : (op.namespace ?? 'default');
  const toRef = (p: any): PodRef => ({ namespace: p.metadata.namespace, name: p.metadata.name, containers: (p.spec?.containers ?? []).map((c: any) => c.name) });
  if (typeof op.logs === 'string') {
    return [toRef(await session.objects.read({ apiVersion: 'v1', kind: 'Pod', metadata: { name: op.logs, namespace: ns ?? 'default' } }))];
  }
  const list = await session.objects.list('v1', 'Pod', ns, undefined, undefined, undefined, op.fieldSelector, op.labelSelector);
  return list.items.map(toRef);
}

export async function streamLogs(session: KubeSession, op: K8sOperation, out: Writable, err: Writable, signal: AbortSignal): Promise<{ read: number; failed: number; pods: number }> {
  const { Log } = await import('@kubernetes/client-node');
  const log = new Log(session.kc);
  const pods = await podsFor(session, op);
  let read = 0;
  let failed = 0;
  for (const pod of pods) {
    for (const container of op.container ? [op.container] : pod.containers) {
      if (signal.aborted) return { read, failed, pods: pods.length };
      out.write(`==> ${pod.namespace}/${pod.name} [${container}]${op.previous ? ' (previous)' : ''} <==\n`);
      const pipe = new PassThrough();
      pipe.pipe(out, { end: false });
      const ended = new Promise<void>((resolve) => pipe.once('end', resolve).once('close', resolve));
      try {
        const ctl = await log.log(pod.namespace, pod.name, container, pipe, { tailLines: op.tailLines, previous: op.previous, limitBytes: op.limitBytes });
        const onAbort = () => (ctl.abort(), pipe.end());
        signal.addEventListener('abort', onAbort, { once: true });
        await ended;
        signal.removeEventListener('abort', onAbort);
        read++;
      } catch (e) {
        failed++;
        const msg = `cannot read logs of ${pod.namespace}/${pod.name} [${container}]: ${kubeErrorMessage(e)}`;
        out.write(`(${msg})\n`);
        err.write(msg + '\n');
        pipe.end();
      } finally {
        pipe.unpipe(out);
      }
      out.write('\n');
    }
  }
  return { read, failed, pods: pods.length };
}
