/**
 * Pod objects with the status fields netdiag and kubectl read: podIP/hostIP, conditions,
 * containerStatuses with restartCount, CrashLoopBackOff waiting state and lastState.terminated.
 */
import type { LabContainerStatus, LabPod, LabWorkload } from '../../model.js';
import { shortHash } from '../ids.js';
import { defaultImage, objectMeta, ownerRef, type KObject, type OwnerReference, type ViewContext } from './meta.js';

/** Splits `DaemonSet/kube-proxy` into kind and name. */
export function parseOwner(owner: string | undefined): { kind: string; name: string } | undefined {
  if (!owner) return undefined;
  const slash = owner.indexOf('/');
  return slash > 0 ? { kind: owner.slice(0, slash), name: owner.slice(slash + 1) } : undefined;
}

/** The workload (DaemonSet/Deployment) that owns a pod, if the state knows it. */
export function workloadOf(ctx: ViewContext, pod: LabPod): LabWorkload | undefined {
  const owner = parseOwner(pod.owner);
  if (!owner) return undefined;
  return (ctx.state.workloads ?? []).find(
    (w) => w.namespace === pod.namespace && (w.kind === owner.kind ? w.name === owner.name : owner.kind === 'ReplicaSet' && owner.name.startsWith(`${w.name}-`)),
  );
}

/** Deployment pods are owned by a ReplicaSet `<deploy>-<hash>`, as in a real cluster. */
function ownerReferences(pod: LabPod): OwnerReference[] {
  const owner = parseOwner(pod.owner);
  if (!owner) return [];
  if (owner.kind === 'DaemonSet') return [ownerRef('apps/v1', 'DaemonSet', pod.namespace, owner.name)];
  if (owner.kind === 'ReplicaSet') return [ownerRef('apps/v1', 'ReplicaSet', pod.namespace, owner.name)];
  if (owner.kind === 'Deployment') return [ownerRef('apps/v1', 'ReplicaSet', pod.namespace, replicaSetName(pod.name, owner.name))];
  return [ownerRef('v1', owner.kind, pod.namespace, owner.name)];
}

/** `coredns-5d78c9869d-x2x7q` → `coredns-5d78c9869d`; otherwise a stable invented hash. */
export function replicaSetName(podName: string, deployment: string): string {
  const m = new RegExp(`^(${deployment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]+)-[a-z0-9]+$`).exec(podName);
  return m ? m[1] : `${deployment}-${shortHash(deployment)}`;
}

/** The tolerations controllers add: DaemonSets tolerate node problems, others wait 300 s. */
function tolerations(pod: LabPod): object[] {
  const owner = parseOwner(pod.owner);
  if (owner?.kind === 'DaemonSet') {
    const base = [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
    ];
    if (pod.hostNetwork) base.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
    // System DaemonSets (kube-proxy, flannel, calico-node) tolerate every taint.
    return pod.namespace === 'kube-system' || pod.namespace === 'kube-flannel' ? [{ operator: 'Exists' }, ...base] : base;
  }
  return [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ];
}

function imageOf(ctx: ViewContext, pod: LabPod, c: LabContainerStatus): string {
  return c.image ?? workloadOf(ctx, pod)?.image ?? defaultImage(c.name);
}

function containerStatus(ctx: ViewContext, pod: LabPod, c: LabContainerStatus): object {
  const image = imageOf(ctx, pod, c);
  const containerID = (restart: number) => `containerd://${shortHash(`${pod.namespace}/${pod.name}/${c.name}/${restart}`, 64).toLowerCase()}`;
  const state = c.waitingReason
    ? { waiting: { reason: c.waitingReason, ...(c.waitingMessage ? { message: c.waitingMessage } : {}) } }
    : pod.phase === 'Pending'
      ? { waiting: { reason: 'ContainerCreating' } }
      : { running: { startedAt: c.startedAt } };
  const lastState = c.lastTerminated
    ? { terminated: { ...c.lastTerminated, containerID: containerID(Math.max(0, c.restartCount - 1)) } }
    : {};
  return {
    name: c.name,
    image,
    imageID: `${image.replace(/:[^:/]+$/, '')}@sha256:${shortHash(image, 64).toLowerCase()}`,
    ...(pod.phase === 'Pending' ? {} : { containerID: containerID(c.restartCount) }),
    ready: c.ready,
    started: !c.waitingReason && pod.phase !== 'Pending',
    restartCount: c.restartCount,
    state,
    lastState,
  };
}

function conditions(pod: LabPod): object[] {
  const allReady = pod.containers.every((c) => c.ready) && pod.phase === 'Running';
  const unready = pod.containers.filter((c) => !c.ready).map((c) => c.name);
  const notReady = allReady ? {} : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const at = pod.createdAt;
  const cond = (type: string, ok: boolean, extra: object = {}) => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, ...extra });
  return [
    cond('PodReadyToStartContainers', pod.phase !== 'Pending'),
    cond('Initialized', true),
    cond('Ready', allReady, notReady),
    cond('ContainersReady', allReady, notReady),
    cond('PodScheduled', true),
  ];
}

/** Builds one Pod object. */
export function podObject(ctx: ViewContext, pod: LabPod): KObject {
  const node = ctx.state.nodes.find((n) => n.name === pod.node);
  const hostIP = node?.address ?? '';
  const podIP = pod.hostNetwork ? hostIP || pod.ip : pod.ip;
  const owner = parseOwner(pod.owner);
  const ports = pod.labels['k8s-app'] === 'kube-dns'
    ? [
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
        { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
      ]
    : undefined;
  const spec: Record<string, unknown> = {
    containers: pod.containers.map((c) => ({
      name: c.name,
      image: imageOf(ctx, pod, c),
      imagePullPolicy: 'IfNotPresent',
      ...(ports ? { ports } : {}),
      resources: {},
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    })),
    dnsPolicy: pod.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    enableServiceLinks: true,
    nodeName: pod.node,
    preemptionPolicy: 'PreemptLowerPriority',
    priority: pod.namespace === 'kube-system' ? 2000001000 : 0,
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: {},
    serviceAccount: owner?.name ?? 'default',
    serviceAccountName: owner?.name ?? 'default',
    terminationGracePeriodSeconds: 30,
    tolerations: tolerations(pod),
  };
  if (pod.hostNetwork) spec.hostNetwork = true;
  const hasIP = podIP !== '' && pod.phase !== 'Pending';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: objectMeta(ctx, 'Pod', pod.name, pod.namespace, {
      creationTimestamp: pod.createdAt,
      labels: pod.labels,
      ownerReferences: ownerReferences(pod),
      ...(owner && owner.kind !== 'Pod' ? { generateName: `${pod.name.replace(/[a-z0-9]+$/, '')}` } : {}),
    }),
    spec,
    status: {
      phase: pod.phase,
      conditions: conditions(pod),
      hostIP,
      hostIPs: hostIP ? [{ ip: hostIP }] : [],
      ...(hasIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: pod.createdAt,
      qosClass: 'BestEffort',
      containerStatuses: pod.containers.map((c) => containerStatus(ctx, pod, c)),
    },
  };
}
