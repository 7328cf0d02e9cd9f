/**
 * What controllers do in the lab when the API is asked to change something. Today: a rollout
 * restart (`kubectl rollout restart` PATCHes the pod template's restartedAt annotation) —
 * the workload's pods are replaced and the restarted component re-programs the data plane:
 * kube-proxy re-creates its rules (healing kube-proxy-crashloop), flannel re-adds its FDB,
 * neighbours and iptables chains (healing fdb-missing / forward-drop), calico-node re-programs
 * routes from the current IPPool, CoreDNS and echo restart their servers.
 */
import { rm } from 'node:fs/promises';
import type { LabFault, LabPod, LabState, LabWorkload } from './model.js';
import { applyFault } from './faults.js';
import { makePod, ownsPod } from './cluster.js';
import { recordEvent } from './events.js';
import { flannelIptables, syncVxlanPeers } from './flannel.js';
import { syncCalicoRoutes } from './calico.js';
import { stripRules } from './kube-proxy.js';
import { corednsLoopLog, logFile } from './logs.js';
import { crashLoop, podStarted } from './pod-status.js';
import { startPodServer, stopPodServers } from './pods.js';
import { waitForFiles } from './processes.js';
import { resyncKubeProxy } from './sync.js';
import { iptablesRestore, parallel } from './sh.js';
import { randomSuffix } from './addressing.js';
import { updateLabState } from './state.js';

/**
 * `kubectl rollout restart <kind>/<name> -n <namespace>` in the lab: replaces the workload's
 * pods (new names, restartCount 0, new start time, new template hash) and re-runs what the
 * restarted component does at start-up. Throws when the workload does not exist.
 */
export async function restartWorkload(stateFile: string, kind: 'DaemonSet' | 'Deployment', namespace: string, name: string): Promise<void> {
  await updateLabState(stateFile, async (state) => {
    const w = state.workloads.find((x) => x.kind === kind && x.namespace === namespace && x.name === name);
    if (!w) throw new Error(`lab: ${kind} ${namespace}/${name} not found`);
    const now = new Date();
    const old = state.pods.filter((p) => ownsPod(w, p) && p.phase !== 'Pending');
    const pendingOld = state.pods.filter((p) => ownsPod(w, p) && p.phase === 'Pending');
    w.generation += 1;
    w.templateAnnotations['kubectl.kubernetes.io/restartedAt'] = now.toISOString().replace(/\.\d+Z$/, 'Z');
    w.templateAnnotations['netdiag.lab/pod-template-hash'] = randomSuffix(w.kind === 'DaemonSet' ? 9 : 10);
    await componentRestarted(state, w);
    const fresh: LabPod[] = [];
    for (const pod of old) {
      await stopPodServers(state, pod);
      const node = state.nodes.find((n) => n.name === pod.node)!;
      const next = makePod(state, w, node, pod.ip, now.toISOString());
      // The lab keeps the sandbox (namespace and IP) of the replaced pod.
      next.netns = pod.netns;
      fresh.push(next);
      recordEvent(state, { type: 'Normal', reason: 'Killing', message: `Stopping container ${pod.containers[0].name}`, involvedObject: { kind: 'Pod', name: pod.name, namespace: pod.namespace }, source: { component: 'kubelet', host: pod.node } });
      recordEvent(state, {
        type: 'Normal',
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${pod.name}`,
        involvedObject: { kind: w.kind === 'DaemonSet' ? 'DaemonSet' : 'ReplicaSet', name: pod.owner!.split('/')[1], namespace: w.namespace },
        source: { component: w.kind === 'DaemonSet' ? 'daemonset-controller' : 'replicaset-controller' },
      });
      await Promise.all(pod.containers.flatMap((c) => [rm(logFile(state, pod, c.name), { force: true }), rm(logFile(state, pod, c.name, true), { force: true })]));
    }
    const gone = new Set([...old, ...pendingOld].map((p) => p.name));
    state.pods = state.pods.filter((p) => !gone.has(p.name));
    state.pods.push(...fresh);
    const ready: string[] = [];
    for (const pod of fresh) {
      recordEvent(state, {
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created pod: ${pod.name}`,
        involvedObject: { kind: w.kind === 'DaemonSet' ? 'DaemonSet' : 'ReplicaSet', name: pod.owner!.split('/')[1], namespace: w.namespace },
        source: { component: w.kind === 'DaemonSet' ? 'daemonset-controller' : 'replicaset-controller' },
      });
      await podStarted(state, pod, now);
      if (w.name === 'coredns' && state.faults.some((f) => f.name === 'coredns-down')) {
        // The forwarding loop is in the configuration: a restart crashes the same way.
        await crashLoop(state, pod, 1, corednsLoopLog(now), now);
        continue;
      }
      const file = await startPodServer(state, pod);
      if (file) ready.push(file);
    }
    if (w.kind === 'Deployment') {
      recordEvent(state, {
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: `Scaled up replica set ${w.name}-${w.templateAnnotations['netdiag.lab/pod-template-hash']} to ${w.replicas}`,
        involvedObject: { kind: 'Deployment', name: w.name, namespace: w.namespace },
        source: { component: 'deployment-controller' },
      });
    }
    await waitForFiles(ready, 10_000);
    await resyncKubeProxy(state);
  });
}

/** The data-plane side of a component's restart; clears the faults the restart heals. */
async function componentRestarted(state: LabState, w: LabWorkload): Promise<void> {
  const clear = (...names: string[]) => {
    state.faults = state.faults.filter((f) => !names.includes(f.name));
  };
  if (w.name === 'kube-proxy') {
    // The conntrack sysctl that made it crash is fixed by the time someone restarts it (the
    // documented remedy); resyncKubeProxy() after the new pods exist re-creates the rules.
    clear('kube-proxy-crashloop');
  } else if (w.name === 'kube-flannel-ds') {
    await parallel(state.nodes, 8, async (node) => {
      await syncVxlanPeers(state, node, 'flannel.1');
      await stripRules(node.netns, (l) => l.includes('FLANNEL-'));
      await iptablesRestore(node.netns, flannelIptables(state, node), { noflush: true });
    });
    clear('fdb-missing', 'forward-drop');
  } else if (w.name === 'calico-node') {
    await parallel(state.nodes, 8, async (node) => {
      await syncVxlanPeers(state, node, 'vxlan.calico', false);
      await syncCalicoRoutes(state, node);
    });
    clear('fdb-missing');
    if (state.vxlanMode !== 'Never') clear('calico-never');
    if (state.vxlanMode !== 'CrossSubnet') clear('calico-crosssubnet');
  }
}

/** Injects a fault into a running lab (`netdiag lab inject`, tests): same effect as `lab up --fault`. */
export async function injectFault(stateFile: string, fault: LabFault): Promise<LabFault> {
  let applied: LabFault | undefined;
  await updateLabState(stateFile, async (state) => {
    applied = await applyFault(state, fault);
  });
  return applied!;
}

/*
 * Workloads created through the lab API (the probe step's own DaemonSet, `k8s: apply`): the
 * DaemonSet controller's and kubelet's part — one real pod per chosen node (netns, veth into
 * cni0 or routed cali* veth, /etc/netns files), all recorded in state.json; deletion removes
 * exactly those again.
 */
import { createPodNetworks as createPodNetworksForApi, deletePodNetwork as deletePodNetworkForApi } from './pods.js';
import { nextPodIP as nextPodIPForApi } from './cluster.js';

/** A DaemonSet to create: what the API server validated from the POSTed object. */
export interface NewDaemonSet {
  namespace: string;
  name: string;
  /** Selector labels (= the pod template's labels). */
  labels: Record<string, string>;
  image: string;
  container: string;
  hostNetwork: boolean;
  /** Nodes the pods go on (the API decided from taints and tolerations). */
  nodes: string[];
  /** The POSTed pod template spec, served back on GET. */
  podSpec: Record<string, unknown>;
}

/** Creates a DaemonSet and its Running pods. Throws when it already exists. */
export async function createDaemonSet(stateFile: string, spec: NewDaemonSet): Promise<void> {
  await updateLabState(stateFile, async (state) => {
    if (state.workloads.some((w) => w.kind === 'DaemonSet' && w.namespace === spec.namespace && w.name === spec.name)) {
      throw new Error(`lab: DaemonSet ${spec.namespace}/${spec.name} already exists`);
    }
    const w: LabWorkload = {
      kind: 'DaemonSet', name: spec.name, namespace: spec.namespace, labels: spec.labels,
      templateAnnotations: { 'netdiag.lab/pod-template-hash': randomSuffix(9) }, replicas: spec.nodes.length, generation: 1, image: spec.image, podSpec: spec.podSpec,
    };
    const now = new Date();
    const made: LabPod[] = [];
    try {
      for (const node of state.nodes.filter((n) => spec.nodes.includes(n.name))) {
        const pod = makePod(state, w, node, undefined, now.toISOString());
        pod.containers[0].name = spec.container;
        if (spec.hostNetwork) Object.assign(pod, { hostNetwork: true, netns: undefined, ip: node.address });
        else pod.ip = nextPodIPForApi({ ...state, pods: [...state.pods, ...made] }, node);
        made.push(pod);
        await createPodNetworksForApi(state, node, [pod]);
      }
    } catch (err) {
      // The state is not written on a throw: nothing may stay behind in the data plane either.
      await Promise.all(made.map((p) => deletePodNetworkForApi(p)));
      throw err;
    }
    state.workloads.push(w);
    for (const pod of made) {
      state.pods.push(pod);
      recordEvent(state, { type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: ${pod.name}`, involvedObject: { kind: 'DaemonSet', name: w.name, namespace: w.namespace }, source: { component: 'daemonset-controller' } });
      await podStarted(state, pod, now);
    }
  });
}

/**
 * Deletes a DaemonSet created through the API, with its pods' namespaces, veths, /etc/netns
 * files, logs and state records. Returns false when there is no such DaemonSet; throws for the
 * lab's own workloads (their data-plane programming cannot be undone by deleting pods).
 */
export async function deleteDaemonSet(stateFile: string, namespace: string, name: string): Promise<boolean> {
  let found = false;
  await updateLabState(stateFile, async (state) => {
    const w = state.workloads.find((x) => x.kind === 'DaemonSet' && x.namespace === namespace && x.name === name);
    if (!w) return;
    if (!w.podSpec) throw new Error(`lab: DaemonSet ${namespace}/${name} is part of the lab and cannot be deleted`);
    found = true;
    const pods = state.pods.filter((p) => ownsPod(w, p));
    for (const pod of pods) {
      await stopPodServers(state, pod);
      await deletePodNetworkForApi(pod);
      await Promise.all(pod.containers.flatMap((c) => [rm(logFile(state, pod, c.name), { force: true }), rm(logFile(state, pod, c.name, true), { force: true })]));
      recordEvent(state, { type: 'Normal', reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.name}`, involvedObject: { kind: 'DaemonSet', name, namespace }, source: { component: 'daemonset-controller' } });
    }
    const gone = new Set(pods.map((p) => p.name));
    state.pods = state.pods.filter((p) => !gone.has(p.name));
    state.workloads = state.workloads.filter((x) => x !== w);
  });
  return found;
}
