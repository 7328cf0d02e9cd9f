/**
 * Kubernetes Events the lab records (kubectl get events / describe shows them). Repeated
 * events for the same object and reason are merged by count, as the event recorder does.
 */
import type { LabEvent, LabState } from './model.js';
import { randomHex } from './addressing.js';

/** What a caller says about an event; name, count and timestamps are filled in. */
export interface NewEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace: string };
  source: { component: string; host?: string };
  /** Start at this count (e.g. a BackOff that has been repeating for a while). */
  count?: number;
  /** When the first occurrence happened (defaults to now). */
  firstTimestamp?: string;
}

/** Adds (or bumps) an event in the state and returns it. */
export function recordEvent(state: LabState, e: NewEvent, now = new Date()): LabEvent {
  const ts = now.toISOString().replace(/\.\d+Z$/, 'Z');
  const same = state.events.find(
    (x) =>
      x.reason === e.reason &&
      x.involvedObject.kind === e.involvedObject.kind &&
      x.involvedObject.name === e.involvedObject.name &&
      x.involvedObject.namespace === e.involvedObject.namespace &&
      x.message === e.message,
  );
  if (same) {
    same.count += e.count ?? 1;
    same.lastTimestamp = ts;
    return same;
  }
  const event: LabEvent = {
    name: `${e.involvedObject.name}.${randomHex(16)}`,
    namespace: e.involvedObject.namespace,
    type: e.type,
    reason: e.reason,
    message: e.message,
    involvedObject: e.involvedObject,
    source: e.source,
    count: e.count ?? 1,
    firstTimestamp: e.firstTimestamp ?? ts,
    lastTimestamp: ts,
  };
  state.events.push(event);
  return event;
}

/** The kubelet's events for a pod that started normally (Scheduled … Started). */
export function podStartedEvents(state: LabState, pod: { name: string; namespace: string; node: string; containers: { name: string; image?: string }[] }): void {
  const obj = { kind: 'Pod', name: pod.name, namespace: pod.namespace };
  recordEvent(state, {
    type: 'Normal',
    reason: 'Scheduled',
    message: `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node}`,
    involvedObject: obj,
    source: { component: 'default-scheduler' },
  });
  for (const c of pod.containers) {
    const kubelet = { component: 'kubelet', host: pod.node };
    recordEvent(state, { type: 'Normal', reason: 'Pulled', message: `Container image "${c.image ?? c.name}" already present on machine`, involvedObject: obj, source: kubelet });
    recordEvent(state, { type: 'Normal', reason: 'Created', message: `Created container ${c.name}`, involvedObject: obj, source: kubelet });
    recordEvent(state, { type: 'Normal', reason: 'Started', message: `Started container ${c.name}`, involvedObject: obj, source: kubelet });
  }
}
