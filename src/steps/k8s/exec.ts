/**
 * `k8s: { exec: [...] }`: a command in a pod over the websocket channel protocol. The client
 * library's exec() resolves when the socket opens, so we wait for the status frame AND the
 * close; a non-zero exit arrives as `NonZeroExitCode` with the code in details.causes. The
 * step timeout really ends the call by closing the socket (the server kills the process).
 */
import type { Writable } from 'node:stream';
import type { K8sOperation } from '../../plan/types.js';
import type { KubeSession } from '../../transport/kube-session.js';

export interface ExecResult {
  exitCode: number | null;
  error?: string;
  aborted: boolean;
}

/** Exit code from a V1Status frame (0 on Success). */
export function exitCodeFromStatus(status: any): { code: number | null; message?: string } {
  if (!status || status.status === 'Success') return { code: 0 };
  const cause = status.details?.causes?.find((c: any) => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause) return { code: Number(cause.message) };
  return { code: null, message: status.message ?? JSON.stringify(status) };
}

/** Picks the pod: `pod:`/`name:`, else the first Running pod matching labelSelector. */
async function targetPod(session: KubeSession, op: K8sOperation): Promise<{ namespace: string; name: string }> {
  const namespace = op.namespace ?? 'default';
  const name = op.pod ?? op.name;
  if (name) return { namespace, name };
  const list = await session.objects.list('v1', 'Pod', namespace, undefined, undefined, undefined, 'status.phase=Running', op.labelSelector);
  const first = list.items[0];
  if (!first?.metadata?.name) throw new Error(`no running pod matches ${op.labelSelector ?? '(no selector)'} in ${namespace}`);
  return { namespace, name: first.metadata.name };
}

export async function execInPod(session: KubeSession, op: K8sOperation, stdout: Writable, stderr: Writable, signal: AbortSignal): Promise<ExecResult> {
  const { Exec } = await import('@kubernetes/client-node');
  const pod = await targetPod(session, op);
  let status: any;
  const ws = await new Exec(session.kc).exec(pod.namespace, pod.name, op.container ?? '', op.exec!, stdout, stderr, null, false, (s) => (status = s));
  const closed = new Promise<void>((resolve) => {
    if (ws.readyState === ws.CLOSED) resolve();
    else ws.once('close', () => resolve());
  });
  const onAbort = () => ws.close();
  signal.addEventListener('abort', onAbort, { once: true });
  await closed;
  signal.removeEventListener('abort', onAbort);
  if (signal.aborted && status === undefined) return { exitCode: null, aborted: true, error: 'exec ended by timeout/interrupt' };
  if (status === undefined) return { exitCode: null, aborted: false, error: 'the exec stream closed without a status frame' };
  const { code, message } = exitCodeFromStatus(status);
  return { exitCode: code, aborted: false, error: message };
}
