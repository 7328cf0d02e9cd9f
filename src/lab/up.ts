/**
 * `netdiag lab up`: builds a lab from nothing — underlay and nodes, sshd, overlay (flannel or
 * calico), pods, Services and kube-proxy rules, the gateway's upstream DNS — then injects the
 * requested faults and starts the control plane. The state file is written first and kept
 * current, so a crash half-way still leaves `lab down` everything it needs; on failure the
 * lab tears itself down before the error is reported.
 */
import { mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import type { CniMode, LabFault, LabState, VxlanMode } from './model.js';
import * as A from './addressing.js';
import { planPods, planServices, planWorkloads } from './cluster.js';
import { setupFlannelNode } from './flannel.js';
import { setupCalicoNode } from './calico.js';
import { createPodNetworks, startGatewayServers, startPodServer, writeNodeEtc } from './pods.js';
import { podStarted } from './pod-status.js';
import { applyFault, checkFault } from './faults.js';
import { ensureBrNetfilter, ensurePrerequisites } from './prereqs.js';
import { waitForFiles } from './processes.js';
import { generateKeys, startSshds, waitForSshds, writeAccessFiles } from './ssh.js';
import { claimSlot } from './slots.js';
import { labDir, stateFileOf, writeLabState } from './state.js';
import { buildUnderlay } from './underlay.js';
import { resyncKubeProxy } from './sync.js';
import { parallel } from './sh.js';
import { labDown } from './down.js';
import { startControlPlane } from './control-plane.js';

/** What `lab up` was asked for. */
export interface LabUpOptions {
  name: string;
  nodes: number;
  cni: CniMode;
  vxlanMode: VxlanMode;
  faults: LabFault[];
  nodesOnly: boolean;
  /** Start the emulated API server and write the kubeconfig (default true). */
  controlPlane?: boolean;
  log?: (line: string) => void;
}

/** Result of a successful `lab up`. */
export interface LabUpResult {
  state: LabState;
  stateFile: string;
}

const NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Validates options into problems (all at once, with the option they concern). */
function validate(o: LabUpOptions): void {
  const problems: { path: string; message: string }[] = [];
  if (!NAME.test(o.name)) problems.push({ path: '--name', message: `"${o.name}" must be 1–32 lowercase letters, digits or '-'` });
  const max = o.nodesOnly ? A.MAX_NODES : Math.min(A.MAX_NODES, A.MAX_POD_NODES);
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > max) problems.push({ path: '--nodes', message: `must be a whole number from 1 to ${max}` });
  if (o.vxlanMode !== 'Always' && o.cni !== 'calico') problems.push({ path: '--vxlan-mode', message: 'only applies to --cni calico' });
  const shape = { cni: o.cni, nodesOnly: o.nodesOnly, nodes: Array.from({ length: Math.max(0, o.nodes) }, (_, i) => ({ name: `node-${i + 1}` })) } as Pick<LabState, 'cni' | 'nodes' | 'nodesOnly'>;
  for (const f of o.faults) {
    const p = checkFault(shape, f);
    if (p) problems.push({ path: '--fault', message: p });
  }
  if (problems.length) throw new InputError(problems);
}

/** The initial state of a lab in `slot` (nothing built yet). */
function initialState(o: LabUpOptions, slot: number): LabState {
  const prefix = A.labPrefix(slot);
  const dir = labDir(o.name);
  return {
    name: o.name,
    slot,
    prefix,
    dir,
    cni: o.cni,
    vxlanMode: o.cni === 'calico' ? o.vxlanMode : 'Always',
    nodesOnly: o.nodesOnly,
    nodes: Array.from({ length: o.nodes }, (_, k) => ({
      name: `node-${k + 1}`,
      netns: `${prefix}node-${k + 1}`,
      address: A.nodeAddress(slot, k + 1),
      podCIDR: o.nodesOnly ? '' : A.nodePodCIDR(k + 1),
      vtepMac: o.nodesOnly ? '' : A.randomMac(),
      hostKey: '',
    })),
    pods: [],
    services: [],
    faults: [],
    managementAddress: A.managementAddress(slot),
    api: { url: '', token: '', port: 0 },
    files: {
      kubeconfig: join(dir, 'kubeconfig'),
      inventory: join(dir, 'inventory.yaml'),
      knownHosts: join(dir, 'known_hosts'),
      sshKey: join(dir, 'id_ed25519'),
      logsDir: join(dir, 'logs'),
    },
    createdAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    events: [],
    processes: [],
    workloads: [],
    underlayNetns: `${prefix}underlay`,
    gatewayNetns: `${prefix}gateway`,
    gatewayAddress: A.gatewayAddress(slot),
    clusterCIDR: A.CLUSTER_CIDR,
    serviceCIDR: A.SERVICE_CIDR,
    dns: { clusterDomain: A.CLUSTER_DOMAIN, externalName: A.EXTERNAL_NAME, externalAddress: A.externalAddress(slot) },
    warnings: [],
    timings: {},
  };
}

/** Builds the overlay, pods, Services and kube-proxy rules of a lab whose nodes exist. */
async function buildCluster(state: LabState): Promise<void> {
  await parallel(state.nodes, 8, (node) => (state.cni === 'flannel' ? setupFlannelNode(state, node) : setupCalicoNode(state, node)));
  state.workloads = planWorkloads(state);
  state.services = planServices(state);
  const now = new Date();
  state.pods = planPods(state, now.toISOString().replace(/\.\d+Z$/, 'Z'));
  await mkdir(state.files.logsDir, { recursive: true });
  await parallel(state.nodes, 8, (node) =>
    createPodNetworks(
      state,
      node,
      state.pods.filter((p) => p.node === node.name),
    ),
  );
  const ready = await startGatewayServers(state);
  for (const pod of state.pods) {
    await podStarted(state, pod, now);
    const file = await startPodServer(state, pod);
    if (file) ready.push(file);
  }
  await resyncKubeProxy(state);
  const missing = await waitForFiles(ready, 15_000);
  if (missing.length) throw new Error(`lab: servers did not start: ${missing.join(', ')} (see ${join(state.dir, 'proc')})`);
}

/** Builds a lab. Throws InputError for bad options, Error when the machine cannot host it. */
export async function labUp(o: LabUpOptions): Promise<LabUpResult> {
  const log = o.log ?? (() => undefined);
  validate(o);
  const problem = await ensurePrerequisites(log);
  if (problem) throw new Error(problem.message);
  if (existsSync(stateFileOf(labDir(o.name)))) {
    throw new InputError({ path: '--name', message: `a lab named "${o.name}" is already up (netdiag lab down --name ${o.name})` });
  }
  const t0 = Date.now();
  const mark = (phase: string, since: number) => (state.timings![phase] = Date.now() - since);
  const state = initialState(o, await claimSlot());
  const stateFile = stateFileOf(state.dir);
  await mkdir(state.dir, { recursive: true });
  await writeLabState(state);
  try {
    if (!o.nodesOnly && state.cni === 'flannel' && !(await ensureBrNetfilter())) {
      state.warnings.push('br_netfilter is not available: bridged same-node pod→ClusterIP traffic bypasses kube-proxy DNAT (CATALOG #4)');
    }
    let t = Date.now();
    await buildUnderlay(state);
    await Promise.all(state.nodes.map((n) => writeNodeEtc(state, n)));
    mark('underlay', t);
    t = Date.now();
    await generateKeys(state);
    await startSshds(state);
    await writeAccessFiles(state);
    await writeLabState(state);
    mark('ssh', t);
    if (!o.nodesOnly) {
      t = Date.now();
      await buildCluster(state);
      await writeLabState(state);
      mark('cluster', t);
      for (const f of o.faults) await applyFault(state, f);
    }
    const late = await waitForSshds(state);
    if (late.length) throw new Error(`lab: sshd did not come up on ${late.join(', ')} (see ${join(state.dir, 'proc')})`);
    mark('dataPlane', t0);
    await writeLabState(state);
    if (o.controlPlane !== false) {
      t = Date.now();
      const withApi = await startControlPlane(stateFile);
      withApi.timings = { ...state.timings, controlPlane: Date.now() - t, total: Date.now() - t0 };
      await writeLabState(withApi);
      return { state: withApi, stateFile };
    }
    state.timings!.total = Date.now() - t0;
    await writeLabState(state);
    return { state, stateFile };
  } catch (err) {
    log(`lab up failed, tearing down: ${err instanceof Error ? err.message : String(err)}`);
    await labDown(stateFile).catch(() => undefined);
    throw err;
  }
}
