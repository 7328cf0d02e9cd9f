/**
 * Kubernetes objects as the API returns them (a `…List` with `items`, a single object, or the
 * same as YAML — `yaml` parses both). Only the fields the rules need are lifted out; every item
 * keeps the line of its name in the saved file for citations.
 */
import { parse as parseYaml } from 'yaml';
import { lineOf } from './text.js';

/** Result of parsing a list file. */
export interface K8sParsed<T> {
  items: T[];
  error?: string;
}

type Obj = Record<string, any>;

/** Items of a List / single object / plain array; error when the text is not such a document. */
export function k8sItems(text: string): { items: Obj[]; error?: string } {
  if (text.trim() === '') return { items: [], error: 'empty output' };
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (e) {
    return { items: [], error: `not JSON/YAML: ${(e as Error).message.split('\n')[0]}` };
  }
  if (Array.isArray(doc)) return { items: doc.filter(isObj) };
  if (!isObj(doc)) return { items: [], error: 'not a Kubernetes object or list' };
  if (Array.isArray(doc.items)) return { items: doc.items.filter(isObj) };
  if (typeof doc.kind === 'string') return { items: [doc] };
  return { items: [], error: 'not a Kubernetes object or list' };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Line of `name` inside the file, searching JSON and YAML spellings. */
function nameLine(text: string, name: string | undefined): number | undefined {
  if (!name) return undefined;
  return lineOf(text, `"name": "${name}"`) ?? lineOf(text, `"name":"${name}"`) ?? lineOf(text, `name: ${name}`) ?? lineOf(text, name);
}

export interface K8sNode {
  name: string;
  line?: number;
  internalIP?: string;
  podCIDR?: string;
  podCIDRs: string[];
  annotations: Record<string, string>;
  /** From `flannel.alpha.coreos.com/backend-data`. */
  vtepMac?: string;
  /** `flannel.alpha.coreos.com/public-ip`. */
  publicIP?: string;
  /** `projectcalico.org/IPv4Address` (with prefix, e.g. `10.0.1.5/24`). */
  calicoAddress?: string;
  ready?: boolean;
}

/**
 * Parses a List and maps each item, handing over what every namespaced kind shares: name,
 * namespace and the line that names it (for evidence citations).
 */
function mapItems<T>(text: string, fn: (o: Obj, meta: { name: string; namespace: string; line?: number }) => T): K8sParsed<T> {
  const { items, error } = k8sItems(text);
  return {
    error,
    items: items.map((o) => {
      const name = String(o.metadata?.name ?? '');
      return fn(o, { name, namespace: String(o.metadata?.namespace ?? ''), line: nameLine(text, name) });
    }),
  };
}

export function parseNodes(text: string): K8sParsed<K8sNode> {
  const { items, error } = k8sItems(text);
  return {
    error,
    items: items.map((o) => {
      const name = String(o.metadata?.name ?? '');
      const annotations: Record<string, string> = { ...(o.metadata?.annotations ?? {}) };
      let vtepMac: string | undefined;
      try {
        const bd = annotations['flannel.alpha.coreos.com/backend-data'];
        if (bd) vtepMac = String(JSON.parse(bd).VtepMAC ?? '').toLowerCase() || undefined;
      } catch {
        vtepMac = undefined; // a malformed annotation is itself visible in the node file
      }
      const addrs: Obj[] = Array.isArray(o.status?.addresses) ? o.status.addresses : [];
      const ready = (o.status?.conditions ?? []).find((c: Obj) => c.type === 'Ready');
      return {
        name,
        line: nameLine(text, name),
        internalIP: addrs.find((a) => a.type === 'InternalIP')?.address,
        podCIDR: o.spec?.podCIDR || undefined,
        podCIDRs: Array.isArray(o.spec?.podCIDRs) ? o.spec.podCIDRs : o.spec?.podCIDR ? [o.spec.podCIDR] : [],
        annotations,
        vtepMac,
        publicIP: annotations['flannel.alpha.coreos.com/public-ip'],
        calicoAddress: annotations['projectcalico.org/IPv4Address'],
        ready: ready ? ready.status === 'True' : undefined,
      };
    }),
  };
}

export interface K8sContainerStatus {
  name: string;
  restartCount: number;
  ready: boolean;
  waitingReason?: string;
  waitingMessage?: string;
  lastTerminatedReason?: string;
  lastExitCode?: number;
}

export interface K8sPod {
  name: string;
  namespace: string;
  line?: number;
  nodeName?: string;
  podIP?: string;
  hostIP?: string;
  phase?: string;
  labels: Record<string, string>;
  containers: K8sContainerStatus[];
}

export function parsePods(text: string): K8sParsed<K8sPod> {
  return mapItems(text, (o, meta) => {
    const statuses: Obj[] = [...(o.status?.initContainerStatuses ?? []), ...(o.status?.containerStatuses ?? [])];
    return {
      ...meta,
      nodeName: o.spec?.nodeName,
      podIP: o.status?.podIP,
      hostIP: o.status?.hostIP,
      phase: o.status?.phase,
      labels: { ...(o.metadata?.labels ?? {}) },
      containers: statuses.map((c) => ({
        name: String(c.name ?? ''),
        restartCount: Number(c.restartCount ?? 0),
        ready: c.ready === true,
        waitingReason: c.state?.waiting?.reason,
        waitingMessage: c.state?.waiting?.message,
        lastTerminatedReason: c.lastState?.terminated?.reason,
        lastExitCode: c.lastState?.terminated?.exitCode,
      })),
    };
  });
}

export interface K8sEvent {
  name: string;
  line?: number;
  type?: string;
  reason: string;
  message: string;
  involvedObject: { kind?: string; name?: string; namespace?: string };
  /** Node the event came from (source.host / reportingInstance). */
  host?: string;
  count: number;
}

export function parseEvents(text: string): K8sParsed<K8sEvent> {
  const { items, error } = k8sItems(text);
  return {
    error,
    items: items.map((o) => {
      const name = String(o.metadata?.name ?? '');
      return {
        name,
        line: nameLine(text, name),
        type: o.type,
        reason: String(o.reason ?? ''),
        message: String(o.message ?? o.note ?? ''),
        involvedObject: { ...(o.involvedObject ?? o.regarding ?? {}) },
        host: o.source?.host ?? o.reportingInstance ?? o.deprecatedSource?.host,
        count: Number(o.count ?? o.deprecatedCount ?? 1),
      };
    }),
  };
}

export interface K8sService {
  name: string;
  namespace: string;
  line?: number;
  clusterIP?: string;
  type?: string;
  ports: { name?: string; port: number; protocol: string }[];
  selector: Record<string, string>;
}

export function parseServices(text: string): K8sParsed<K8sService> {
  return mapItems(text, (o, meta) => ({
    ...meta,
    clusterIP: o.spec?.clusterIP,
    type: o.spec?.type,
    ports: (o.spec?.ports ?? []).map((p: Obj) => ({ name: p.name, port: Number(p.port), protocol: String(p.protocol ?? 'TCP') })),
    selector: { ...(o.spec?.selector ?? {}) },
  }));
}

export interface K8sEndpointSlice {
  name: string;
  namespace: string;
  line?: number;
  service?: string;
  endpoints: { addresses: string[]; ready: boolean; nodeName?: string }[];
}

export function parseEndpointSlices(text: string): K8sParsed<K8sEndpointSlice> {
  return mapItems(text, (o, meta) => ({
    ...meta,
    service: o.metadata?.labels?.['kubernetes.io/service-name'],
    endpoints: (o.endpoints ?? []).map((e: Obj) => ({
      addresses: Array.isArray(e.addresses) ? e.addresses : [],
      ready: e.conditions?.ready !== false,
      nodeName: e.nodeName,
    })),
  }));
}
