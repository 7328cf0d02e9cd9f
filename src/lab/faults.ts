/**
 * Named faults: each breaks the running lab the way the real failure breaks a cluster, so the
 * symptoms (and the evidence netdiag collects) are the real ones. Node-scoped faults default
 * to the LAST node (a fault away from node-1, where CoreDNS runs, is the harder case);
 * cluster-scoped ones may be narrowed with `@node` where that makes sense.
 */
import { InputError } from '../errors.js';
import type { CniMode, LabFault, LabNode, LabState } from './model.js';
import { kubeProxyCrashLog, corednsLoopLog } from './logs.js';
import { crashLoop } from './pod-status.js';
import { recordEvent } from './events.js';
import { dropVxlanPeer } from './flannel.js';
import { syncCalicoRoutes } from './calico.js';
import { removeKubeProxyRules } from './kube-proxy.js';
import { resyncKubeProxy } from './sync.js';
import { stopPodServers } from './pods.js';
import { makePod } from './cluster.js';
import { underlayPortOf } from './underlay.js';
import { ipBatch, iptablesRestore, nsSysctl, parallel } from './sh.js';
import { randomHex } from './addressing.js';

/** One fault the lab can inject. */
export interface FaultSpec {
  name: string;
  /** What a user of a real cluster sees (printed by `netdiag lab faults`). */
  symptom: string;
  /** `node`: one node (default: the last); `cluster`: everything (or `@node` to narrow, when allowed). */
  scope: 'node' | 'cluster';
  /** Cluster faults that accept `@node`. */
  narrowable?: boolean;
  /** Only meaningful with this CNI. */
  cni?: CniMode;
  /** Needs at least this many nodes. */
  minNodes?: number;
  apply(state: LabState, node: LabNode | undefined): Promise<void>;
}

/** The "wrong" cni0 address of cni0-wrong-ip: outside every node's podCIDR. */
export const WRONG_CNI0_ADDRESS = '198.19.254.1/24';
/** Underlay MTU on the node hit by mtu-mismatch (flannel.1 stays at 1450). */
export const MISMATCHED_UNDERLAY_MTU = 1400;

function nodesFor(state: LabState, node: LabNode | undefined): LabNode[] {
  return node ? [node] : state.nodes;
}

function podsOn(state: LabState, label: [string, string], nodes: LabNode[]) {
  const names = new Set(nodes.map((n) => n.name));
  return state.pods.filter((p) => p.labels[label[0]] === label[1] && names.has(p.node));
}

/** The peer whose entries fdb-missing removes on `node`: node-1, or node-2 on node-1. */
export function fdbMissingPeer(state: LabState, node: LabNode): LabNode {
  return state.nodes.find((n) => n.name !== node.name)!;
}

export const FAULTS: FaultSpec[] = [
  {
    name: 'vxlan-blocked',
    symptom: 'same-node pod traffic OK, cross-node to/from the node fails; VXLAN (UDP 8472/4789) leaves the peers but the node drops it (INPUT DROP)',
    scope: 'node',
    minNodes: 2,
    async apply(_state, node) {
      await iptablesRestore(node!.netns, '*filter\n-I INPUT 1 -p udp -m udp --dport 8472 -j DROP\n-I INPUT 1 -p udp -m udp --dport 4789 -j DROP\nCOMMIT\n', { noflush: true });
    },
  },
  {
    name: 'forward-drop',
    symptom: 'FORWARD policy DROP and no pod-CIDR ACCEPT on the node: pod traffic the node forwards (cross-node, egress; bridged too, as br_netfilter sends it through FORWARD) fails',
    scope: 'node',
    async apply(state, node) {
      const chain = state.cni === 'flannel' ? 'FLANNEL-FWD' : 'cali-FORWARD';
      await iptablesRestore(node!.netns, `*filter\n:FORWARD DROP [0:0]\n-F ${chain}\nCOMMIT\n`, { noflush: true });
    },
  },
  {
    name: 'ip-forward-off',
    symptom: 'net.ipv4.ip_forward=0 on the node: cross-node and pod→outside traffic of its pods fail, same-node (bridged) traffic works',
    scope: 'node',
    async apply(_state, node) {
      await nsSysctl(node!.netns, { 'net.ipv4.ip_forward': 0 });
    },
  },
  {
    name: 'mtu-mismatch',
    symptom: `the node's underlay carries only ${MISMATCHED_UNDERLAY_MTU} bytes while its tunnel MTU stays 1450: small and DF pings below ${MISMATCHED_UNDERLAY_MTU - 78} bytes pass, large DF pings and big transfers across nodes fail`,
    scope: 'node',
    minNodes: 2,
    async apply(state, node) {
      await ipBatch([`link set eth0 mtu ${MISMATCHED_UNDERLAY_MTU}`], node!.netns);
      await ipBatch([`link set ${underlayPortOf(node!)} mtu ${MISMATCHED_UNDERLAY_MTU}`], state.underlayNetns);
    },
  },
  {
    name: 'cni0-wrong-ip',
    symptom: `cni0 holds ${WRONG_CNI0_ADDRESS} (not the node podCIDR): the node cannot reach its own pods, its pods lose their gateway ("Destination Host Unreachable"), new pods stay ContainerCreating with FailedCreatePodSandBox "cni0 already has an IP address different from …"`,
    scope: 'node',
    cni: 'flannel',
    async apply(state, node) {
      const n = node!;
      const right = `${n.podCIDR.replace(/\.0\/24$/, '.1')}/24`;
      await ipBatch([`addr del ${right} dev cni0`, `addr add ${WRONG_CNI0_ADDRESS} dev cni0`], n.netns);
      // A pod scheduled after the change cannot get a sandbox: the bridge plugin refuses.
      const w = state.workloads.find((x) => x.name === 'echo')!;
      const now = new Date();
      const pod = makePod(state, w, n, '', now.toISOString());
      pod.netns = undefined;
      pod.phase = 'Pending';
      pod.containers[0] = { ...pod.containers[0], ready: false, waitingReason: 'ContainerCreating' };
      state.pods.push(pod);
      recordEvent(state, {
        type: 'Warning',
        reason: 'FailedCreatePodSandBox',
        message: `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "${randomHex(64)}": plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "cni0" already has an IP address different from ${right}`,
        involvedObject: { kind: 'Pod', name: pod.name, namespace: pod.namespace },
        source: { component: 'kubelet', host: n.name },
        count: 12,
      });
    },
  },
  {
    name: 'fdb-missing',
    symptom: 'the node lacks the VXLAN FDB and neighbour entry for one peer (node-1, or node-2 on node-1): pods on that pair of nodes cannot talk, every other pair works',
    scope: 'node',
    minNodes: 2,
    async apply(state, node) {
      const dev = state.cni === 'flannel' ? 'flannel.1' : 'vxlan.calico';
      await dropVxlanPeer(node!, fdbMissingPeer(state, node!), dev);
    },
  },
  {
    name: 'kube-proxy-crashloop',
    symptom: 'kube-proxy CrashLoopBackOff ("nf_conntrack_max: permission denied") and its KUBE-SERVICES rules gone: every ClusterIP fails from the node(s), pod IPs work; `kubectl rollout restart ds/kube-proxy` heals it',
    scope: 'cluster',
    narrowable: true,
    async apply(state, node) {
      const now = new Date();
      for (const pod of podsOn(state, ['k8s-app', 'kube-proxy'], nodesFor(state, node))) {
        const n = state.nodes.find((x) => x.name === pod.node)!;
        await removeKubeProxyRules(n);
        await crashLoop(state, pod, 6, kubeProxyCrashLog(n, now), now);
      }
    },
  },
  {
    name: 'coredns-down',
    symptom: 'CoreDNS CrashLoopBackOff with "plugin/loop: Loop … detected" (forwarding loop): kube-dns has no endpoints, every lookup fails (REJECT) while pod IPs work',
    scope: 'cluster',
    async apply(state) {
      const now = new Date();
      for (const pod of podsOn(state, ['k8s-app', 'kube-dns'], state.nodes)) {
        await stopPodServers(state, pod);
        await crashLoop(state, pod, 5, corednsLoopLog(now), now);
      }
      await resyncKubeProxy(state);
    },
  },
  {
    name: 'upstream-dns-unreachable',
    symptom: 'the upstream resolver drops queries: cluster names resolve, the external name times out (SERVFAIL) and CoreDNS logs "plugin/errors … i/o timeout"',
    scope: 'cluster',
    async apply(state) {
      await iptablesRestore(state.gatewayNetns!, '*filter\n-I INPUT 1 -p udp -m udp --dport 53 -j DROP\n-I INPUT 1 -p tcp -m tcp --dport 53 -j DROP\nCOMMIT\n', { noflush: true });
    },
  },
  {
    name: 'calico-never',
    symptom: 'IPPool ipipMode/vxlanMode Never without BGP: nodes have only their local pod routes, cross-node pod traffic fails, no VXLAN leaves any node',
    scope: 'cluster',
    cni: 'calico',
    minNodes: 2,
    async apply(state) {
      state.vxlanMode = 'Never';
      await parallel(state.nodes, 8, (n) => syncCalicoRoutes(state, n));
    },
  },
  {
    name: 'calico-crosssubnet',
    symptom: 'IPPool vxlanMode CrossSubnet with all nodes in one subnet on an underlay that drops pod-sourced packets (cloud source/destination check): pod routes go straight out eth0, same-node OK, cross-node times out',
    scope: 'cluster',
    cni: 'calico',
    minNodes: 2,
    async apply(state) {
      state.vxlanMode = 'CrossSubnet';
      await parallel(state.nodes, 8, (n) => syncCalicoRoutes(state, n));
      // The underlay bridge sends bridged IPv4 through its own iptables (br_netfilter), where
      // the "cloud" refuses any frame whose IP source or destination is not a node address.
      await nsSysctl(state.underlayNetns, { 'net.bridge.bridge-nf-call-iptables': 1 });
      await iptablesRestore(
        state.underlayNetns,
        `*filter\n-A FORWARD -s ${state.clusterCIDR} -m comment --comment "cloud src/dst check" -j DROP\n-A FORWARD -d ${state.clusterCIDR} -m comment --comment "cloud src/dst check" -j DROP\nCOMMIT\n`,
        { noflush: true },
      );
    },
  },
];

/** The spec of a fault, by name. */
export function faultSpec(name: string): FaultSpec | undefined {
  return FAULTS.find((f) => f.name === name);
}

/** Parses `NAME[@node]` (from --fault); unknown names are input errors. */
export function parseFault(text: string, optionPath = '--fault'): LabFault {
  const [name, node, extra] = text.split('@');
  if (!faultSpec(name) || extra !== undefined) {
    throw new InputError({ path: optionPath, message: `unknown fault "${text}" (known: ${FAULTS.map((f) => f.name).join(', ')}; add @node-N for one node)` });
  }
  return node ? { name, node } : { name };
}

/** Checks a fault against a lab (CNI, node count, node name) before anything is touched. */
export function checkFault(state: Pick<LabState, 'cni' | 'nodes' | 'nodesOnly'>, fault: LabFault): string | undefined {
  const spec = faultSpec(fault.name)!;
  if (state.nodesOnly) return `fault ${fault.name} needs pods and an overlay (drop --nodes-only)`;
  if (spec.cni && spec.cni !== state.cni) return `fault ${fault.name} needs --cni ${spec.cni}`;
  if (spec.minNodes && state.nodes.length < spec.minNodes) return `fault ${fault.name} needs at least ${spec.minNodes} nodes`;
  if (fault.node) {
    if (spec.scope === 'cluster' && !spec.narrowable) return `fault ${fault.name} is cluster-wide and takes no @node`;
    if (!state.nodes.some((n) => n.name === fault.node)) return `fault ${fault.name}@${fault.node}: no such node (nodes: node-1 … node-${state.nodes.length})`;
  }
  return undefined;
}

/** Injects a fault into a running lab's data plane and state (the caller writes the state). */
export async function applyFault(state: LabState, fault: LabFault): Promise<LabFault> {
  const problem = checkFault(state, fault);
  if (problem) throw new InputError({ path: '--fault', message: problem });
  const spec = faultSpec(fault.name)!;
  const nodeName = fault.node ?? (spec.scope === 'node' ? state.nodes[state.nodes.length - 1].name : undefined);
  const node = nodeName ? state.nodes.find((n) => n.name === nodeName) : undefined;
  await spec.apply(state, node);
  const applied: LabFault = nodeName ? { name: fault.name, node: nodeName } : { name: fault.name };
  state.faults.push(applied);
  return applied;
}
