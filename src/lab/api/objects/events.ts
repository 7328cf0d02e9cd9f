/**
 * Events from `state.events`, served twice as the real server does: core/v1 (what
 * `kubectl get events` and `describe` read) and events.k8s.io/v1 (the newer shape).
 */
import type { LabEvent } from '../../model.js';
import { uidFor } from '../ids.js';
import { objectMeta, type KObject, type ViewContext } from './meta.js';

function involved(e: LabEvent) {
  const o = e.involvedObject;
  const apiVersion = o.kind === 'DaemonSet' || o.kind === 'Deployment' || o.kind === 'ReplicaSet' ? 'apps/v1' : 'v1';
  return { apiVersion, kind: o.kind, name: o.name, namespace: o.namespace, uid: uidFor(o.kind, o.namespace, o.name) };
}

/** MicroTime as the API writes it (`2026-12-03T07:00:00.000000Z`). */
function microTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** A core/v1 Event. */
export function coreEventObject(ctx: ViewContext, e: LabEvent): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: objectMeta(ctx, 'Event', e.name, e.namespace, { creationTimestamp: e.firstTimestamp }),
    involvedObject: involved(e),
    reason: e.reason,
    message: e.message,
    source: { component: e.source.component, ...(e.source.host ? { host: e.source.host } : {}) },
    firstTimestamp: e.firstTimestamp,
    lastTimestamp: e.lastTimestamp,
    count: e.count,
    type: e.type,
    eventTime: null,
    reportingComponent: e.source.component,
    reportingInstance: e.source.host ?? '',
  };
}

/** An events.k8s.io/v1 Event. */
export function eventsV1Object(ctx: ViewContext, e: LabEvent): KObject {
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: objectMeta(ctx, 'Event', e.name, e.namespace, { creationTimestamp: e.firstTimestamp }),
    eventTime: microTime(e.firstTimestamp),
    reportingController: e.source.component,
    reportingInstance: e.source.host ?? '',
    action: e.reason,
    reason: e.reason,
    regarding: involved(e),
    note: e.message,
    type: e.type,
    deprecatedSource: { component: e.source.component, ...(e.source.host ? { host: e.source.host } : {}) },
    deprecatedFirstTimestamp: e.firstTimestamp,
    deprecatedLastTimestamp: e.lastTimestamp,
    deprecatedCount: e.count,
  };
}
