/**
 * The resource types the lab API serves: discovery metadata (verbs, shortNames, scope) and how
 * to build their objects from the state. Discovery, list/get, tables and RBAC all read this one
 * table, so a resource exists everywhere or nowhere.
 */
import { ipPoolCrdObject, ipPoolObject } from './objects/calico.js';
import { configMapObjects } from './objects/configmaps.js';
import { coreEventObject, eventsV1Object } from './objects/events.js';
import type { KObject, ViewContext } from './objects/meta.js';
import { namespaceNames, namespaceObject } from './objects/namespaces.js';
import { nodeLeaseObject, nodeObject } from './objects/nodes.js';
import { podObject } from './objects/pods.js';
import { endpointSliceObject, endpointsObject, serviceObject } from './objects/services.js';
import { labWorkloads, daemonSetObject, deploymentObject } from './objects/workloads.js';

/** One served resource type. */
export interface ResourceType {
  /** API group ('' for core). */
  group: string;
  version: string;
  /** Plural name as in URLs. */
  resource: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  /** Subresources served (`log`, `exec`), with their discovery verbs. */
  subresources?: Record<string, { kind: string; verbs: string[] }>;
  /** Served only when this returns true (Calico CRDs only in calico mode). */
  servedWhen?: (ctx: ViewContext) => boolean;
  /** Every object of the type (SelfSubjectAccessReview has none: create-only). */
  objects: (ctx: ViewContext) => KObject[];
}

const READ = ['get', 'list', 'watch'];
const calicoOnly = (ctx: ViewContext) => ctx.state.cni === 'calico';
const defined = <T>(xs: (T | undefined)[]): T[] => xs.filter((x): x is T => x !== undefined);

/** All resource types, in discovery order. */
export const RESOURCE_TYPES: ResourceType[] = [
  { group: '', version: 'v1', resource: 'namespaces', singularName: 'namespace', kind: 'Namespace', namespaced: false, verbs: READ, shortNames: ['ns'], objects: (c) => namespaceNames(c).map((n) => namespaceObject(c, n)) },
  { group: '', version: 'v1', resource: 'nodes', singularName: 'node', kind: 'Node', namespaced: false, verbs: READ, shortNames: ['no'], objects: (c) => c.state.nodes.map((n) => nodeObject(c, n)) },
  {
    group: '', version: 'v1', resource: 'pods', singularName: 'pod', kind: 'Pod', namespaced: true, verbs: READ, shortNames: ['po'], categories: ['all'],
    subresources: { log: { kind: 'Pod', verbs: ['get'] }, exec: { kind: 'PodExecOptions', verbs: ['create', 'get'] } },
    objects: (c) => c.state.pods.map((p) => podObject(c, p)),
  },
  { group: '', version: 'v1', resource: 'services', singularName: 'service', kind: 'Service', namespaced: true, verbs: READ, shortNames: ['svc'], categories: ['all'], objects: (c) => c.state.services.map((s) => serviceObject(c, s)) },
  { group: '', version: 'v1', resource: 'endpoints', singularName: 'endpoints', kind: 'Endpoints', namespaced: true, verbs: READ, shortNames: ['ep'], objects: (c) => defined(c.state.services.map((s) => endpointsObject(c, s))) },
  { group: '', version: 'v1', resource: 'configmaps', singularName: 'configmap', kind: 'ConfigMap', namespaced: true, verbs: READ, shortNames: ['cm'], objects: (c) => configMapObjects(c, namespaceNames(c)) },
  { group: '', version: 'v1', resource: 'events', singularName: 'event', kind: 'Event', namespaced: true, verbs: READ, shortNames: ['ev'], objects: (c) => (c.state.events ?? []).map((e) => coreEventObject(c, e)) },
  {
    group: 'apps', version: 'v1', resource: 'daemonsets', singularName: 'daemonset', kind: 'DaemonSet', namespaced: true, verbs: [...READ, 'patch', 'create', 'delete'], shortNames: ['ds'], categories: ['all'],
    objects: (c) => labWorkloads(c).filter((w) => w.kind === 'DaemonSet').map((w) => daemonSetObject(c, w)),
  },
  {
    group: 'apps', version: 'v1', resource: 'deployments', singularName: 'deployment', kind: 'Deployment', namespaced: true, verbs: [...READ, 'patch'], shortNames: ['deploy'], categories: ['all'],
    objects: (c) => labWorkloads(c).filter((w) => w.kind === 'Deployment').map((w) => deploymentObject(c, w)),
  },
  { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', singularName: 'endpointslice', kind: 'EndpointSlice', namespaced: true, verbs: READ, objects: (c) => defined(c.state.services.map((s) => endpointSliceObject(c, s))) },
  { group: 'events.k8s.io', version: 'v1', resource: 'events', singularName: 'event', kind: 'Event', namespaced: true, verbs: READ, shortNames: ['ev'], objects: (c) => (c.state.events ?? []).map((e) => eventsV1Object(c, e)) },
  { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', singularName: 'lease', kind: 'Lease', namespaced: true, verbs: READ, objects: (c) => c.state.nodes.map((n) => nodeLeaseObject(c, n)) },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'], objects: () => [] },
  {
    group: 'apiextensions.k8s.io', version: 'v1', resource: 'customresourcedefinitions', singularName: 'customresourcedefinition', kind: 'CustomResourceDefinition', namespaced: false, verbs: READ, shortNames: ['crd', 'crds'],
    objects: (c) => (calicoOnly(c) ? [ipPoolCrdObject(c)] : []),
  },
  { group: 'crd.projectcalico.org', version: 'v1', resource: 'ippools', singularName: 'ippool', kind: 'IPPool', namespaced: false, verbs: READ, servedWhen: calicoOnly, objects: (c) => [ipPoolObject(c)] },
];

/** The resource types served for the current state. */
export function servedTypes(ctx: ViewContext): ResourceType[] {
  return RESOURCE_TYPES.filter((t) => !t.servedWhen || t.servedWhen(ctx));
}

/** Finds a served type by group, version and plural. */
export function findType(ctx: ViewContext, group: string, version: string, resource: string): ResourceType | undefined {
  return servedTypes(ctx).find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** `apps/v1`, or `v1` for the core group. */
export function groupVersion(t: { group: string; version: string }): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
