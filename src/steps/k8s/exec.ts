/**
 * `k8s: { exec: [...] }`: a command in a pod over the websocket channel protocol. The client
 * library's exec() resolves when the socket opens, so we wait for the status frame AND the
 * close; a non-zero exit arrives as `NonZeroExitCode` with the code in details.causes. The
 * step timeout really ends the call by closing the socket (the server kills the process).
 */
import type { Writable } from 'node:stream';
import type { K8sOperation } from '../../plan/types.js';
import { KubeApiError, withQuery, type KubeSession } from '../../transport/kube-session.js';

/** How an exec ended: the exit code (null when unknown), and why when it is not a clean exit. */
export interface ExecResult {
  exitCode: number | null;
  error?: string;
  /** Ended by the step's signal (timeout or Ctrl-C) before the status frame arrived. */
  aborted: boolean;
  /** The pod the command ran in (`namespace/name`). */
  pod?: string;
}

/** Exit code from a V1Status frame (0 on Success). */
export function exitCodeFromStatus(status: any): { code: number | null; message?: string } {
  if (!status || status.status === 'Success') return { code: 0 };
  const cause = status.details?.causes?.find((c: any) => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause) return { code: Number(cause.message) };
  return { code: null, message: status.message ?? JSON.stringify(status) };
}

/** Picks the pod: `pod:`/`name:`, else the first Running pod matching labelSelector (by name). */
async function targetPod(session: KubeSession, op: K8sOperation, signal: AbortSignal): Promise<{ namespace: string; name: string }> {
  const namespace = op.namespace ?? 'default';
  const name = op.pod ?? op.name;
  if (name) return { namespace, name };
  const path = withQuery(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, { labelSelector: op.labelSelector, fieldSelector: 'status.phase=Running' });
  const names = ((await session.request(path, { signal })).items ?? []).map((p: any) => p.metadata?.name as string).sort();
  if (names.length === 0) throw new Error(`no running pod matches ${op.labelSelector ?? '(no selector)'} in namespace ${namespace}`);
  return { namespace, name: names[0] };
}

/**
 * The websocket library reports a refused upgrade as "Unexpected server response: 403" without
 * the Status body; say what was refused, the way kubectl does.
 */
function upgradeError(err: unknown, pod: { namespace: string; name: string }): unknown {
  const code = Number(/Unexpected server response: (\d+)/.exec((err as Error)?.message ?? '')?.[1]);
  if (!code) return err;
  const why =
    code === 403
      ? `the kubeconfig's user may not create resource "pods/exec" in the namespace "${pod.namespace}"`
      : code === 404
        ? `pod "${pod.name}" not found in the namespace "${pod.namespace}"`
        : `exec into ${pod.namespace}/${pod.name} was refused`;
  return new KubeApiError(`${why} (exec upgrade answered HTTP ${code})`, code);
}

const aborted = (pod: string): ExecResult => ({ exitCode: null, aborted: true, error: 'exec ended by timeout/interrupt', pod });

export async function execInPod(session: KubeSession, op: K8sOperation, stdout: Writable, stderr: Writable, signal: AbortSignal): Promise<ExecResult> {
  const { Exec } = await import('@kubernetes/client-node');
  session.assertReachable();
  const target = await targetPod(session, op, signal);
  const pod = `${target.namespace}/${target.name}`;
  if (signal.aborted) return aborted(pod);
  let status: any;
  const opening = new Exec(session.kc).exec(target.namespace, target.name, op.container ?? '', op.exec!, stdout, stderr, null, false, (s) => (status = s));
  // exec() itself can hang on a server that accepts but never upgrades: the signal ends that too.
  const ws = await new Promise<Awaited<typeof opening> | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    opening.then(resolve, (err) => (session.noteUnreachable(err), reject(upgradeError(err, target)))).finally(() => signal.removeEventListener('abort', onAbort));
  });
  if (!ws) {
    opening.then((late) => late.close(), () => undefined);
    return aborted(pod);
  }
  const closed = new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
  // A clean close first (the server then kills the command); a server that does not answer the
  // close handshake gets the socket torn down instead of ws's 30 s close timeout.
  const onAbort = () => {
    ws.close();
    setTimeout(() => ws.terminate(), 2_000).unref();
  };
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  await closed;
  signal.removeEventListener('abort', onAbort);
  if (signal.aborted && status === undefined) return aborted(pod);
  if (status === undefined) return { exitCode: null, aborted: false, error: 'the exec stream closed without a status frame', pod };
  const { code, message } = exitCodeFromStatus(status);
  return { exitCode: code, aborted: false, error: message, pod };
}
