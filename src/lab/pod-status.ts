/**
 * What the kubelet would report for the lab's system pods: start-up logs for each container,
 * and the CrashLoopBackOff picture (restart count, last termination, BackOff events, the
 * current and previous container logs) when a fault makes a container crash.
 */
import { createHash } from 'node:crypto';
import type { LabPod, LabState } from './model.js';
import { calicoNodeLog, corednsLog, flannelLog, kubeProxyLog, writeContainerLog } from './logs.js';
import { podStartedEvents, recordEvent } from './events.js';

/** Stable pseudo UID of a pod (the kubelet's messages include it). */
export function podUid(pod: LabPod): string {
  const h = createHash('sha1').update(`${pod.namespace}/${pod.name}/${pod.createdAt}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Writes the start-up log of a freshly started pod and its kubelet events. */
export async function podStarted(state: LabState, pod: LabPod, now: Date): Promise<void> {
  const node = state.nodes.find((n) => n.name === pod.node)!;
  const c = pod.containers[0];
  let text = '';
  if (c.name === 'kube-proxy') text = kubeProxyLog(state, node, now);
  else if (c.name === 'kube-flannel') text = flannelLog(state, node, now);
  else if (c.name === 'calico-node') text = calicoNodeLog(state, node, now);
  else if (c.name === 'coredns') text = corednsLog(now);
  await writeContainerLog(state, pod, c.name, text);
  podStartedEvents(state, pod);
}

/**
 * Puts a pod's container into CrashLoopBackOff after `restarts` restarts, each run having
 * printed `crashLog`, and records the BackOff events the kubelet emits.
 */
export async function crashLoop(state: LabState, pod: LabPod, restarts: number, crashLog: string, now: Date): Promise<void> {
  const c = pod.containers[0];
  const started = new Date(now.getTime() - 2000).toISOString().replace(/\.\d+Z$/, 'Z');
  const finished = new Date(now.getTime() - 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  c.restartCount = restarts;
  c.ready = false;
  c.waitingReason = 'CrashLoopBackOff';
  const backoff = Math.min(300, 10 * 2 ** Math.max(0, restarts - 1));
  const backoffText = backoff >= 60 ? `${Math.floor(backoff / 60)}m${backoff % 60}s` : `${backoff}s`;
  c.waitingMessage = `back-off ${backoffText} restarting failed container=${c.name} pod=${pod.name}_${pod.namespace}(${podUid(pod)})`;
  c.lastTerminated = { reason: 'Error', exitCode: 1, startedAt: started, finishedAt: finished };
  await writeContainerLog(state, pod, c.name, crashLog, crashLog);
  const obj = { kind: 'Pod', name: pod.name, namespace: pod.namespace };
  const kubelet = { component: 'kubelet', host: pod.node };
  recordEvent(state, { type: 'Normal', reason: 'Pulled', message: `Container image "${c.image ?? c.name}" already present on machine`, involvedObject: obj, source: kubelet, count: restarts });
  recordEvent(state, { type: 'Normal', reason: 'Created', message: `Created container ${c.name}`, involvedObject: obj, source: kubelet, count: restarts });
  recordEvent(state, { type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, involvedObject: obj, source: kubelet, count: restarts });
  recordEvent(state, {
    type: 'Warning',
    reason: 'BackOff',
    message: `Back-off restarting failed container ${c.name} in pod ${pod.name}_${pod.namespace}(${podUid(pod)})`,
    involvedObject: obj,
    source: kubelet,
    count: restarts * 4,
  });
}
