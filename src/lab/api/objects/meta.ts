/**
 * Shared shapes and helpers for the Kubernetes objects the lab API derives from LabState.
 * Objects are rebuilt from the state file whenever it changes, so every helper is a pure
 * function of (state, context).
 */
import type { LabState } from '../../model.js';
import { uidFor } from '../ids.js';

/** Kubernetes version the lab claims to be (kubectl 1.32 is what the machines have). */
export const KUBE_VERSION = 'v1.32.4';

/** `metadata.ownerReferences[]`. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** `metadata` of every object the lab serves. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  generateName?: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

/** Any object served: apiVersion/kind/metadata plus whatever the kind carries. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** What every builder gets: the state plus values computed once per reload. */
export interface ViewContext {
  state: LabState;
  /** One resourceVersion for the whole state generation (bumps on every reload). */
  resourceVersion: string;
  /** PEM of the API server's CA when it serves HTTPS (kube-root-ca.crt carries it). */
  caPem?: string;
}

/** Builds `metadata` with a deterministic uid. */
export function objectMeta(
  ctx: ViewContext,
  kind: string,
  name: string,
  namespace: string | undefined,
  extra: Partial<Omit<ObjectMeta, 'name' | 'namespace' | 'uid' | 'resourceVersion'>> = {},
): ObjectMeta {
  const meta: ObjectMeta = {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: uidFor(kind, namespace, name),
    resourceVersion: ctx.resourceVersion,
    creationTimestamp: extra.creationTimestamp ?? ctx.state.createdAt,
  };
  if (extra.generateName) meta.generateName = extra.generateName;
  if (extra.generation !== undefined) meta.generation = extra.generation;
  if (extra.labels && Object.keys(extra.labels).length) meta.labels = extra.labels;
  if (extra.annotations && Object.keys(extra.annotations).length) meta.annotations = extra.annotations;
  if (extra.ownerReferences?.length) meta.ownerReferences = extra.ownerReferences;
  return meta;
}

/** An owner reference to a controller object. */
export function ownerRef(apiVersion: string, kind: string, namespace: string | undefined, name: string): OwnerReference {
  return { apiVersion, kind, name, uid: uidFor(kind, namespace, name), controller: true, blockOwnerDeletion: true };
}

/** Default images for the lab's well-known containers (used when the state has none). */
export function defaultImage(containerName: string): string {
  const known: Record<string, string> = {
    'kube-proxy': `registry.k8s.io/kube-proxy:${KUBE_VERSION}`,
    'kube-flannel': 'docker.io/flannel/flannel:v0.26.4',
    'calico-node': 'docker.io/calico/node:v3.29.1',
    coredns: 'registry.k8s.io/coredns/coredns:v1.11.3',
    probe: 'docker.io/nicolaka/netshoot:v0.13',
    echo: 'registry.k8s.io/e2e-test-images/agnhost:2.52',
  };
  return known[containerName] ?? 'docker.io/library/busybox:1.36';
}
