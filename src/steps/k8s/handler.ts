/**
 * `k8s:` steps through @kubernetes/client-node (no kubectl binary needed). Expected failures —
 * no kubeconfig, API server down, 401/403, 404, non-zero exec exit — are step results with a
 * clear message; the SSH steps of the run go on.
 */
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { K8sStep } from '../../plan/types.js';
import { kubeErrorMessage } from '../../transport/kube-session.js';
import { execInPod } from './exec.js';
import { streamLogs } from './logs.js';
import { kubectlEquivalent, opName, renderOperation } from './operation.js';
import { readObjects, serialise } from './read.js';
import { applyObjects, deleteObject, patchObject, rolloutRestart } from './write.js';

/**
 * The client library hands back model class instances (with Date objects); later `when:`
 * expressions and analyzers need plain JSON, as the API sent it.
 */
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Rejects when the signal aborts, so a hung API call cannot outlive the step timeout. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export const k8sHandler: Handler<K8sStep> = {
  describe: ({ step, renderText }) => kubectlEquivalent(renderOperation(step.k8s, renderText)),
  async run(exec): Promise<HandlerResult> {
    const op = renderOperation(exec.step.k8s, exec.renderText);
    const name = opName(op);
    const session = await exec.services.kube.session();
    if ('error' in session) return { status: 'failed', error: session.error };
    const { signal } = exec;
    try {
      switch (name) {
        case 'list':
        case 'get':
        case 'events': {
          const data = plain(await abortable(readObjects(session, op, name, signal), signal));
          exec.stdout.write(serialise(data, op.output));
          return { status: 'ok', exitCode: 0, data };
        }
        case 'logs': {
          const r = await abortable(streamLogs(session, op, exec.stdout, exec.stderr, signal), signal);
          if (r.pods === 0) return { status: 'ok', exitCode: 0, error: 'no pod matched', data: r };
          return r.read === 0 ? { status: 'failed', exitCode: 1, error: `no logs could be read from ${r.pods} pod(s)`, data: r } : { status: 'ok', exitCode: 0, data: r };
        }
        case 'exec': {
          const r = await execInPod(session, op, exec.stdout, exec.stderr, signal);
          if (r.aborted) return { status: 'failed', error: r.error };
          return { status: r.exitCode === 0 ? 'ok' : 'failed', exitCode: r.exitCode, error: r.exitCode === 0 ? undefined : (r.error ?? `exit code ${r.exitCode}`) };
        }
        case 'rolloutRestart':
        case 'patch': {
          const obj = plain(await abortable(name === 'patch' ? patchObject(session, op, signal) : rolloutRestart(session, op, signal), signal));
          exec.stdout.write(serialise(obj, op.output));
          return { status: 'ok', exitCode: 0, data: obj };
        }
        case 'apply': {
          const { applied, cleanup } = await abortable(applyObjects(session, op), signal);
          exec.services.onRunEnd(cleanup);
          exec.stdout.write(serialise(applied, op.output));
          return { status: 'ok', exitCode: 0, data: applied };
        }
        case 'delete':
          await abortable(deleteObject(session, op, signal), signal);
          exec.stdout.write(`deleted ${op.delete}\n`);
          return { status: 'ok', exitCode: 0 };
      }
    } catch (err) {
      if (signal.aborted) return { status: (signal.reason as Error)?.name === 'TimeoutError' ? 'timedout' : 'interrupted', error: `${name} did not finish: ${String((signal.reason as Error)?.message ?? signal.reason)}` };
      const msg = kubeErrorMessage(err);
      exec.stderr.write(msg + '\n');
      return { status: 'failed', error: msg };
    }
  },
};
