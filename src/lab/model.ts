/**
 * The lab's state file (`<labDir>/state.json`): written by `lab up`, read by `lab status/down`,
 * by the emulated API server and by tests. It is the single description of what the lab made,
 * so `lab down` can remove exactly that (and `lab down --all` finds leftovers by prefix).
 *
 * Addresses: only 198.18.0.0/15. Lab slot s (1..199) owns underlay 198.18.s.0/24 in the root
 * namespace (management address 198.18.s.1); everything else (pod CIDRs in 198.19.0.0/16,
 * service IPs, the "external" upstream) lives only inside the lab's namespaces.
 */

export type CniMode = 'flannel' | 'calico';
export type VxlanMode = 'Always' | 'CrossSubnet' | 'Never';

export interface LabNode {
  name: string; // node-1 …
  netns: string; // <prefix>node-1
  /** Underlay (eth0) address = InternalIP = where sshd listens. */
  address: string;
  podCIDR: string;
  /** MAC of flannel.1 / vxlan.calico (the VtepMAC in the node annotation). */
  vtepMac: string;
  /** Host key public line as in known_hosts. */
  hostKey: string;
  sshdPid?: number;
}

export interface LabContainerStatus {
  name: string;
  restartCount: number;
  ready: boolean;
  /** e.g. CrashLoopBackOff (waiting) — absent when running. */
  waitingReason?: string;
  /** Message of the waiting state, e.g. `back-off 40s restarting failed container=…`. */
  waitingMessage?: string;
  startedAt: string;
  /** Container image, e.g. `registry.k8s.io/kube-proxy:v1.29.4`. */
  image?: string;
  /** Last termination (kubectl describe's "Last State"), set for restarted containers. */
  lastTerminated?: { reason: string; exitCode: number; startedAt: string; finishedAt: string };
}

export interface LabPod {
  name: string;
  namespace: string;
  node: string;
  /** Pod network namespace (absent for host-network pods such as kube-proxy/flannel). */
  netns?: string;
  hostNetwork: boolean;
  ip: string;
  labels: Record<string, string>;
  /** Owner, e.g. `DaemonSet/kube-proxy`. */
  owner?: string;
  phase: 'Running' | 'Pending' | 'Failed' | 'Succeeded';
  containers: LabContainerStatus[];
  createdAt: string;
}

export interface LabService {
  name: string;
  namespace: string;
  clusterIP: string;
  ports: { name: string; port: number; targetPort: number; protocol: 'TCP' | 'UDP' }[];
  selector: Record<string, string>;
  /** Endpoint IPs of a selector-less Service (default/kubernetes → the lab's API address). */
  endpointIPs?: string[];
}

export interface LabFault {
  name: string;
  /** Node it applies to (absent = lab-wide or the fault's default node). */
  node?: string;
}

/**
 * A Kubernetes Event the lab emits (served by the API as core/v1 Events), e.g. the
 * FailedCreatePodSandBox of cni0-wrong-ip or the BackOff of a crash-looping kube-proxy.
 */
export interface LabEvent {
  /** Unique within the lab (metadata.name: `<object>.<hex>`). */
  name: string;
  namespace: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  involvedObject: { kind: string; name: string; namespace: string };
  /** Reporting component, e.g. `kubelet`, `daemonset-controller`. */
  source: { component: string; host?: string };
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

/** A process the lab started (sshd, DNS responders, echo server): `lab down` kills exactly these. */
export interface LabProcess {
  pid: number;
  /** What it is, e.g. `sshd node-1`, `coredns coredns-5d78c9869d-x2x7q`, `upstream-dns`. */
  role: string;
  netns: string;
  /** Pod the process serves (CoreDNS, echo), so a restart finds it. */
  pod?: string;
  /** /proc/<pid>/stat start time: a recycled pid is never mistaken for ours. */
  startTime?: string;
}

/** A workload controller (what `kubectl get ds/deploy` shows and rollout restart patches). */
export interface LabWorkload {
  kind: 'DaemonSet' | 'Deployment';
  name: string;
  namespace: string;
  labels: Record<string, string>;
  /** Pod template annotations (kubectl.kubernetes.io/restartedAt lands here). */
  templateAnnotations: Record<string, string>;
  replicas: number;
  /** Incremented on every template change (rollout restart). */
  generation: number;
  image: string;
  /**
   * Pod template spec as POSTed through the lab API (tolerations, command, …); absent for the
   * lab's own workloads. Its presence also marks a workload the API may delete.
   */
  podSpec?: Record<string, unknown>;
}

export interface LabState {
  name: string;
  slot: number;
  /** Prefix of every namespace/interface the lab creates, e.g. `ndl7-`. */
  prefix: string;
  dir: string;
  cni: CniMode;
  vxlanMode: VxlanMode;
  /** Nodes only, no pods/overlay (bench sweeps). */
  nodesOnly: boolean;
  nodes: LabNode[];
  pods: LabPod[];
  services: LabService[];
  faults: LabFault[];
  managementAddress: string;
  api: { url: string; token: string; pid?: number; port: number };
  files: {
    kubeconfig: string;
    inventory: string;
    knownHosts: string;
    sshKey: string;
    /** Per-pod log files the API server serves (`<dir>/logs/<ns>_<pod>_<container>.log`). */
    logsDir: string;
  };
  createdAt: string;
  /** Kubernetes Events (added by the data-plane work; the API serves them). */
  events: LabEvent[];
  /** Every process the lab started, by pid. */
  processes: LabProcess[];
  /** DaemonSets and Deployments (kube-proxy, kube-flannel-ds / calico-node, coredns, …). */
  workloads: LabWorkload[];
  /** Underlay bridge namespace and the "outside world" gateway/upstream DNS namespace. */
  underlayNetns: string;
  gatewayNetns?: string;
  /** Address of the lab gateway (nodes' default route, upstream DNS for the external name). */
  gatewayAddress: string;
  /** Cluster-wide pod network (flannel Network / Calico IPPool cidr), e.g. 198.19.0.0/16. */
  clusterCIDR: string;
  /** Service CIDR (ClusterIPs only exist inside the lab), e.g. 198.18.250.0/24. */
  serviceCIDR: string;
  /** DNS names the lab answers: cluster domain and the one "external" name served upstream. */
  dns: { clusterDomain: string; externalName: string; externalAddress: string };
  /** Things that make this lab differ from a real cluster on this machine (e.g. no br_netfilter). */
  warnings: string[];
  /** How long `lab up` took, by phase (milliseconds). */
  timings?: Record<string, number>;
}
