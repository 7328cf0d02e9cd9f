/**
 * The Kubernetes objects a lab holds (pure: no I/O). Pods get real-looking generated names,
 * owners, labels and images; the per-node pod IPs come from the node's podCIDR. Which pods have
 * a namespace (and so a data-plane presence) is decided by `hostNetwork`.
 */
import type { LabContainerStatus, LabNode, LabPod, LabService, LabState, LabWorkload } from './model.js';
import { ECHO_PORT, ECHO_SERVICE_IP, KUBE_DNS_SERVICE_IP, KUBERNETES_SERVICE_IP, net24, randomSuffix } from './addressing.js';

export const IMAGES = {
  probe: 'docker.io/nicolaka/netshoot:v0.13',
  coredns: 'registry.k8s.io/coredns/coredns:v1.11.1',
  echo: 'registry.k8s.io/e2e-test-images/agnhost:2.47',
  kubeProxy: 'registry.k8s.io/kube-proxy:v1.29.4',
  flannel: 'docker.io/flannel/flannel:v0.25.1',
  calico: 'docker.io/calico/node:v3.27.3',
} as const;

/** A running container as the kubelet reports it. */
export function runningContainer(name: string, image: string, startedAt: string): LabContainerStatus {
  return { name, image, restartCount: 0, ready: true, startedAt };
}

/** The workload (DaemonSet/Deployment) that owns a pod, by the pod's owner reference. */
export function workloadOf(state: LabState, pod: LabPod): LabWorkload | undefined {
  return state.workloads.find((w) => ownsPod(w, pod));
}

/** True when `w` owns `pod` (directly, or through its current ReplicaSet for Deployments). */
export function ownsPod(w: LabWorkload, pod: LabPod): boolean {
  if (pod.namespace !== w.namespace || !pod.owner) return false;
  return w.kind === 'DaemonSet' ? pod.owner === `DaemonSet/${w.name}` : pod.owner.startsWith(`ReplicaSet/${w.name}-`);
}

/** Generated pod name of a workload's new pod (`kube-proxy-x2x7q`, `coredns-5dd5756b68-x2x7q`). */
export function newPodName(w: LabWorkload): string {
  return w.kind === 'DaemonSet' ? `${w.name}-${randomSuffix()}` : `${w.name}-${w.templateAnnotations['netdiag.lab/pod-template-hash']}-${randomSuffix()}`;
}

/** Owner string of a workload's pods. */
export function podOwner(w: LabWorkload): string {
  return w.kind === 'DaemonSet' ? `DaemonSet/${w.name}` : `ReplicaSet/${w.name}-${w.templateAnnotations['netdiag.lab/pod-template-hash']}`;
}

/** Labels a new pod of `w` carries (the hash labels change with each template generation). */
export function podLabels(w: LabWorkload): Record<string, string> {
  const hash = w.templateAnnotations['netdiag.lab/pod-template-hash'];
  return w.kind === 'DaemonSet'
    ? { ...w.labels, 'controller-revision-hash': hash, 'pod-template-generation': String(w.generation) }
    : { ...w.labels, 'pod-template-hash': hash };
}

function workload(kind: LabWorkload['kind'], name: string, namespace: string, labels: Record<string, string>, image: string, replicas: number): LabWorkload {
  return { kind, name, namespace, labels, templateAnnotations: { 'netdiag.lab/pod-template-hash': randomSuffix(kind === 'DaemonSet' ? 9 : 10) }, replicas, generation: 1, image };
}

/** The lab's workloads for its CNI. */
export function planWorkloads(state: LabState): LabWorkload[] {
  const n = state.nodes.length;
  const list = [
    workload('DaemonSet', 'kube-proxy', 'kube-system', { 'k8s-app': 'kube-proxy' }, IMAGES.kubeProxy, n),
    state.cni === 'flannel'
      ? workload('DaemonSet', 'kube-flannel-ds', 'kube-flannel', { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' }, IMAGES.flannel, n)
      : workload('DaemonSet', 'calico-node', 'kube-system', { 'k8s-app': 'calico-node' }, IMAGES.calico, n),
    workload('Deployment', 'coredns', 'kube-system', { 'k8s-app': 'kube-dns' }, IMAGES.coredns, 1),
    workload('DaemonSet', 'netdiag-probe', 'default', { app: 'netdiag-probe' }, IMAGES.probe, n),
    workload('Deployment', 'echo', 'default', { app: 'echo' }, IMAGES.echo, Math.min(2, n)),
  ];
  return list;
}

/** Container name of a workload's (single) container. */
export function containerName(w: LabWorkload): string {
  return ({ 'kube-flannel-ds': 'kube-flannel', 'netdiag-probe': 'probe' } as Record<string, string>)[w.name] ?? w.name;
}

/** Nodes a workload's pods run on: every node for DaemonSets, the first `replicas` for Deployments. */
export function placement(state: LabState, w: LabWorkload): LabNode[] {
  return w.kind === 'DaemonSet' ? state.nodes : state.nodes.slice(0, w.replicas);
}

/** Builds a pod record (IP chosen by the caller; host-network pods use the node address). */
export function makePod(state: LabState, w: LabWorkload, node: LabNode, ip: string | undefined, now: string): LabPod {
  const hostNetwork = ['kube-proxy', 'kube-flannel-ds', 'calico-node'].includes(w.name);
  const name = newPodName(w);
  return {
    name,
    namespace: w.namespace,
    node: node.name,
    netns: hostNetwork ? undefined : `${state.prefix}pod-${name}`,
    hostNetwork,
    ip: hostNetwork ? node.address : (ip ?? ''),
    labels: podLabels(w),
    owner: podOwner(w),
    phase: 'Running',
    containers: [runningContainer(containerName(w), w.image, now)],
    createdAt: now,
  };
}

/** Next free pod address on a node (.2 upward; .0 is the VTEP, .1 is cni0). */
export function nextPodIP(state: LabState, node: LabNode): string {
  const used = new Set(state.pods.filter((p) => p.node === node.name && !p.hostNetwork).map((p) => p.ip));
  for (let i = 2; i < 255; i++) {
    const ip = `${net24(node.podCIDR)}.${i}`;
    if (!used.has(ip)) return ip;
  }
  throw new Error(`lab: node ${node.name} has no free pod address`);
}

/** All pods of a fresh lab, in creation order. */
export function planPods(state: LabState, now: string): LabPod[] {
  const pods: LabPod[] = [];
  const view = { ...state, pods };
  for (const w of state.workloads) {
    for (const node of placement(state, w)) {
      const pod = makePod(state, w, node, undefined, now);
      if (!pod.hostNetwork) pod.ip = nextPodIP(view, node);
      pods.push(pod);
    }
  }
  return pods;
}

/** The Services of a lab. */
export function planServices(state: LabState): LabService[] {
  return [
    { name: 'kubernetes', namespace: 'default', clusterIP: KUBERNETES_SERVICE_IP, ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }], selector: {}, endpointIPs: [state.managementAddress] },
    {
      name: 'kube-dns',
      namespace: 'kube-system',
      clusterIP: KUBE_DNS_SERVICE_IP,
      ports: [
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
        { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' },
      ],
      selector: { 'k8s-app': 'kube-dns' },
    },
    { name: 'echo', namespace: 'default', clusterIP: ECHO_SERVICE_IP, ports: [{ name: 'http', port: 80, targetPort: ECHO_PORT, protocol: 'TCP' }], selector: { app: 'echo' } },
  ];
}

/** True when a pod's containers are running normally (kube-proxy healthy, CoreDNS serving …). */
export function podHealthy(pod: LabPod): boolean {
  return pod.phase === 'Running' && pod.containers.every((c) => c.ready && !c.waitingReason);
}
