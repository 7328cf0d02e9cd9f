/**
 * `k8s:` steps through the Kubernetes API (no kubectl binary needed). Expected failures — no
 * kubeconfig, API server down, 401/403, 404, non-zero exec exit, timeout — are step results
 * with a clear message; the SSH steps of the run go on.
 */
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { K8sStep } from '../../plan/types.js';
import { kubeErrorMessage } from '../../transport/kube-session.js';
import { execInPod } from './exec.js';
import { streamLogs } from './logs.js';
import { kubectlEquivalent, opName, renderOperation } from './operation.js';
import { readObjects, serialise } from './read.js';
import { applyObjects, deleteObject, patchObject, rolloutRestart } from './write.js';

/** The status of a step whose signal fired: its own timeout, or the run being interrupted. */
function abortedResult(signal: AbortSignal, what: string): HandlerResult {
  const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
  return { status: timedOut ? 'timedout' : 'interrupted', error: `${what} ${timedOut ? 'timed out' : 'was interrupted'}` };
}

export const k8sHandler: Handler<K8sStep> = {
  describe: ({ step, renderText }) => kubectlEquivalent(renderOperation(step.k8s, renderText)),
  async run(exec): Promise<HandlerResult> {
    const op = renderOperation(exec.step.k8s, exec.renderText);
    const name = opName(op);
    const session = await exec.services.kube.session();
    if ('error' in session) {
      exec.stderr.write(session.error + '\n');
      return { status: 'failed', error: session.error };
    }
    const { signal } = exec;
    try {
      switch (name) {
        case 'list':
        case 'get':
        case 'events': {
          const data = await readObjects(session, op, name, signal);
          exec.stdout.write(serialise(data, op.output));
          return { status: 'ok', exitCode: 0, data };
        }
        case 'logs': {
          const r = await streamLogs(session, op, exec.stdout, exec.stderr, signal);
          if (r.pods === 0) return { status: 'ok', exitCode: 0, error: 'no pod matched', data: r };
          if (r.read === 0) return { status: 'failed', exitCode: 1, error: `no logs could be read from ${r.pods} pod(s): ${r.errors[0]}`, data: r };
          return { status: 'ok', exitCode: 0, data: r };
        }
        case 'exec': {
          const r = await execInPod(session, op, exec.stdout, exec.stderr, signal);
          if (r.aborted) return { ...abortedResult(signal, `exec in ${r.pod}`), data: { pod: r.pod } };
          const ok = r.exitCode === 0;
          return { status: ok ? 'ok' : 'failed', exitCode: r.exitCode, error: ok ? undefined : (r.error ?? `exit code ${r.exitCode} in ${r.pod}`), data: { pod: r.pod, exitCode: r.exitCode } };
        }
        case 'rolloutRestart':
        case 'patch': {
          const obj = await (name === 'patch' ? patchObject(session, op, signal) : rolloutRestart(session, op, signal));
          exec.stdout.write(serialise(obj, op.output));
          return { status: 'ok', exitCode: 0, data: obj };
        }
        case 'apply': {
          const applied = await applyObjects(session, op, signal, exec.services.onRunEnd);
          exec.stdout.write(serialise(applied, op.output));
          return { status: 'ok', exitCode: 0, data: applied };
        }
        case 'delete':
          await deleteObject(session, op, signal);
          exec.stdout.write(`deleted ${op.delete}\n`);
          return { status: 'ok', exitCode: 0 };
      }
    } catch (err) {
      if (signal.aborted) return abortedResult(signal, name);
      const msg = kubeErrorMessage(err);
      exec.stderr.write(msg + '\n');
      return { status: 'failed', error: msg };
    }
  },
};
