/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`): the columns
 * `kubectl get` shows, with `-o wide` columns at priority 1. Cells mirror the real printers in
 * `pkg/printers/internalversion` closely enough that the output looks like a real cluster's.
 */
import type { KObject } from './objects/meta.js';

type Column = { name: string; type: string; format?: string; priority?: number; cell: (o: any) => unknown };

/** `5m`, `3h2m`, `2d` — the apimachinery HumanDuration shape. */
export function humanAge(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '<unknown>';
  const s = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 && h % 24 ? `${d}d${h % 24}h` : `${d}d`;
}

const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const age: Column = { name: 'Age', type: 'string', cell: (o) => humanAge(o.metadata.creationTimestamp) };
const none = (v: unknown) => (v === undefined || v === '' || (Array.isArray(v) && !v.length) ? '<none>' : v);
const selectorText = (m: Record<string, string> | undefined) => none(Object.entries(m ?? {}).map(([k, v]) => `${k}=${v}`).join(','));

function podStatus(o: any): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const c of o.status.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return o.status.phase;
}

function podRestarts(o: any): string {
  const statuses = o.status.containerStatuses ?? [];
  const total = statuses.reduce((n: number, c: any) => n + (c.restartCount ?? 0), 0);
  const last = statuses.map((c: any) => c.lastState?.terminated?.finishedAt).filter(Boolean).sort().pop();
  return last && total ? `${total} (${humanAge(last)} ago)` : String(total);
}

const COLUMNS: Record<string, Column[]> = {
  pods: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${(o.status.containerStatuses ?? []).filter((c: any) => c.ready).length}/${o.spec.containers.length}` },
    { name: 'Status', type: 'string', cell: podStatus },
    { name: 'Restarts', type: 'string', cell: podRestarts },
    age,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => none(o.status.podIP) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => none(o.spec.nodeName) },
    { name: 'Nominated Node', type: 'string', priority: 1, cell: () => '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, cell: () => '<none>' },
  ],
  nodes: [
    name,
    { name: 'Status', type: 'string', cell: (o) => (o.status.conditions.find((c: any) => c.type === 'Ready')?.status === 'True' ? 'Ready' : 'NotReady') },
    { name: 'Roles', type: 'string', cell: (o) => none(Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.split('/')[1]).join(',')) },
    age,
    { name: 'Version', type: 'string', cell: (o) => o.status.nodeInfo.kubeletVersion },
    { name: 'Internal-IP', type: 'string', priority: 1, cell: (o) => none(o.status.addresses.find((a: any) => a.type === 'InternalIP')?.address) },
    { name: 'External-IP', type: 'string', priority: 1, cell: (o) => none(o.status.addresses.find((a: any) => a.type === 'ExternalIP')?.address) },
    { name: 'OS-Image', type: 'string', priority: 1, cell: (o) => o.status.nodeInfo.osImage },
    { name: 'Kernel-Version', type: 'string', priority: 1, cell: (o) => o.status.nodeInfo.kernelVersion },
    { name: 'Container-Runtime', type: 'string', priority: 1, cell: (o) => o.status.nodeInfo.containerRuntimeVersion },
  ],
  services: [
    name,
    { name: 'Type', type: 'string', cell: (o) => o.spec.type },
    { name: 'Cluster-IP', type: 'string', cell: (o) => o.spec.clusterIP },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    { name: 'Port(s)', type: 'string', cell: (o) => o.spec.ports.map((p: any) => `${p.port}/${p.protocol}`).join(',') },
    age,
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(o.spec.selector) },
  ],
  endpoints: [
    name,
    { name: 'Endpoints', type: 'string', cell: (o) => none((o.subsets ?? []).flatMap((s: any) => (s.addresses ?? []).flatMap((a: any) => (s.ports ?? []).map((p: any) => `${a.ip}:${p.port}`))).join(',')) },
    age,
  ],
  endpointslices: [
    name,
    { name: 'AddressType', type: 'string', cell: (o) => o.addressType },
    { name: 'Ports', type: 'string', cell: (o) => none((o.ports ?? []).map((p: any) => p.port).join(',')) },
    { name: 'Endpoints', type: 'string', cell: (o) => none(o.endpoints.flatMap((e: any) => e.addresses).join(',')) },
    age,
  ],
  configmaps: [name, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length }, age],
  namespaces: [name, { name: 'Status', type: 'string', cell: (o) => o.status.phase }, age],
  daemonsets: [
    name,
    { name: 'Desired', type: 'integer', cell: (o) => o.status.desiredNumberScheduled },
    { name: 'Current', type: 'integer', cell: (o) => o.status.currentNumberScheduled },
    { name: 'Ready', type: 'integer', cell: (o) => o.status.numberReady },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status.updatedNumberScheduled },
    { name: 'Available', type: 'integer', cell: (o) => o.status.numberAvailable },
    { name: 'Node Selector', type: 'string', cell: (o) => selectorText(o.spec.template.spec.nodeSelector) },
    age,
    { name: 'Containers', type: 'string', priority: 1, cell: (o) => o.spec.template.spec.containers.map((c: any) => c.name).join(',') },
    { name: 'Images', type: 'string', priority: 1, cell: (o) => o.spec.template.spec.containers.map((c: any) => c.image).join(',') },
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(o.spec.selector.matchLabels) },
  ],
  deployments: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `${o.status.readyReplicas ?? 0}/${o.spec.replicas}` },
    { name: 'Up-to-date', type: 'integer', cell: (o) => o.status.updatedReplicas ?? 0 },
    { name: 'Available', type: 'integer', cell: (o) => o.status.availableReplicas ?? 0 },
    age,
    { name: 'Containers', type: 'string', priority: 1, cell: (o) => o.spec.template.spec.containers.map((c: any) => c.name).join(',') },
    { name: 'Images', type: 'string', priority: 1, cell: (o) => o.spec.template.spec.containers.map((c: any) => c.image).join(',') },
    { name: 'Selector', type: 'string', priority: 1, cell: (o) => selectorText(o.spec.selector.matchLabels) },
  ],
  events: [
    { name: 'Last Seen', type: 'string', cell: (o) => humanAge(o.lastTimestamp ?? o.deprecatedLastTimestamp) },
    { name: 'Type', type: 'string', cell: (o) => o.type },
    { name: 'Reason', type: 'string', cell: (o) => o.reason },
    { name: 'Object', type: 'string', cell: (o) => { const r = o.involvedObject ?? o.regarding; return `${String(r.kind).toLowerCase()}/${r.name}`; } },
    { name: 'Source', type: 'string', priority: 1, cell: (o) => [o.source?.component ?? o.reportingController, o.source?.host].filter(Boolean).join(', ') },
    { name: 'Message', type: 'string', cell: (o) => o.message ?? o.note },
    { name: 'First Seen', type: 'string', priority: 1, cell: (o) => humanAge(o.firstTimestamp ?? o.deprecatedFirstTimestamp) },
    { name: 'Count', type: 'string', priority: 1, cell: (o) => String(o.count ?? o.deprecatedCount ?? 1) },
    { name: 'Name', type: 'string', priority: 1, cell: (o) => o.metadata.name },
  ],
};

/** What `includeObject` asks to embed in each row. */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** Renders objects of one resource as a meta.k8s.io Table. */
export function toTable(resource: string, objects: KObject[], tableApiVersion: string, include: IncludeObject, resourceVersion: string): object {
  const columns = COLUMNS[resource] ?? [name, age];
  return {
    kind: 'Table',
    apiVersion: tableApiVersion,
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.name, priority: c.priority ?? 0 })),
    rows: objects.map((o) => {
      const row: Record<string, unknown> = { cells: columns.map((c) => c.cell(o)) };
      if (include === 'Object') row.object = o;
      else if (include === 'Metadata') row.object = { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
      return row;
    }),
  };
}
