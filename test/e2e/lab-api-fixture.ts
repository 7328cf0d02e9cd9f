/**
 * A synthetic lab for the API server's tests: a LabState describing 3 nodes, kube-system pods
 * (one kube-proxy crash-looping), CoreDNS, probe pods and a two-container pod, with REAL network
 * namespaces for the nodes and the probe/CoreDNS pods (so exec runs somewhere real), log files
 * and events. Independent of the data-plane code: only the API server is under test.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { LabEvent, LabPod, LabState, LabWorkload } from '../../src/lab/model.js';

const run = promisify(execFile);

/** `ip …` as root; throws with stderr on failure. */
export async function ip(...args: string[]): Promise<string> {
  return (await run('ip', args)).stdout;
}

/** A built fixture: the state file and what to remove afterwards. */
export interface LabApiFixture {
  dir: string;
  stateFile: string;
  state: LabState;
  namespaces: string[];
  /** The stub actions module (records calls, edits the state like a restart would). */
  stubActions: string;
  /** File the stub appends one JSON line per restartWorkload call to. */
  restartCalls: string;
  cleanup: () => Promise<void>;
}

const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString().replace(/\.\d+Z$/, 'Z');

function running(name: string, minutesAgo: number, extra: Partial<LabPod['containers'][number]> = {}) {
  return { name, restartCount: 0, ready: true, startedAt: at(minutesAgo), ...extra };
}

/** Builds the fixture; `tag` keeps parallel runs apart (namespaces are `ndtapi<tag>-…`). */
export async function createLabApiFixture(tag: string): Promise<LabApiFixture> {
  const dir = await mkdtemp(join(tmpdir(), `ndtapi-${tag}-`));
  const logsDir = join(dir, 'logs');
  await mkdir(logsDir);
  const prefix = `ndtapi${tag}-`;
  const namespaces: string[] = [];
  const nodes = [1, 2, 3].map((i) => ({
    name: `node-${i}`,
    netns: `${prefix}node-${i}`,
    address: `198.18.222.${10 + i}`,
    podCIDR: `198.19.${i}.0/24`,
    vtepMac: `5e:a1:0b:00:00:0${i}`,
    hostKey: `198.18.222.${10 + i} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTestsOnly${i}`,
  }));
  const cleanup = async () => {
    for (const ns of namespaces) await ip('netns', 'del', ns).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) {
      await ip('netns', 'add', n.netns);
      namespaces.push(n.netns);
      await ip('-n', n.netns, 'link', 'set', 'lo', 'up');
      // No dummy module on every kernel: a veth pair whose peer stays in the node stands in for the underlay.
      await ip('-n', n.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'underlay0');
      await ip('-n', n.netns, 'link', 'set', 'underlay0', 'up');
      await ip('-n', n.netns, 'addr', 'add', `${n.address}/24`, 'dev', 'eth0');
      await ip('-n', n.netns, 'link', 'set', 'eth0', 'up');
    }
    const pods: LabPod[] = [];
    const podNetns = async (pod: LabPod, index: number) => {
      const ns = `${prefix}${pod.name}`;
      await ip('netns', 'add', ns);
      namespaces.push(ns);
      pod.netns = ns;
      const node = nodes.find((n) => n.name === pod.node)!;
      const hostSide = `ndta${tag}v${index}`.slice(0, 15);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', hostSide, 'netns', node.netns);
      await ip('-n', ns, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', node.netns, 'link', 'set', hostSide, 'up');
    };
    nodes.forEach((n, i) => {
      pods.push({
        name: `kube-proxy-${['x7k2p', 'm4qzt', 'b9wfd'][i]}`, namespace: 'kube-system', node: n.name, hostNetwork: true, ip: n.address,
        labels: { 'k8s-app': 'kube-proxy', 'controller-revision-hash': '7c9f8d6b5', 'pod-template-generation': '1' }, owner: 'DaemonSet/kube-proxy', phase: 'Running',
        containers: [
          i === 1
            ? { name: 'kube-proxy', restartCount: 4, ready: false, waitingReason: 'CrashLoopBackOff', waitingMessage: 'back-off 1m20s restarting failed container=kube-proxy pod=kube-proxy-m4qzt_kube-system(0f0e)', startedAt: at(3), lastTerminated: { reason: 'Error', exitCode: 1, startedAt: at(3), finishedAt: at(2) } }
            : running('kube-proxy', 30),
        ],
        createdAt: at(30),
      });
      pods.push({
        name: `kube-flannel-ds-${['q2w8r', 'h6n3v', 'z5c1m'][i]}`, namespace: 'kube-flannel', node: n.name, hostNetwork: true, ip: n.address,
        labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' }, owner: 'DaemonSet/kube-flannel-ds', phase: 'Running',
        containers: [running('kube-flannel', 30)], createdAt: at(30),
      });
      pods.push({
        name: `netdiag-probe-${['a1b2c', 'd3e4f', 'g5h6j'][i]}`, namespace: 'default', node: n.name, hostNetwork: false, ip: `198.19.${i + 1}.2`,
        labels: { app: 'netdiag-probe' }, owner: 'DaemonSet/netdiag-probe', phase: 'Running', containers: [running('probe', 20, { image: 'docker.io/nicolaka/netshoot:v0.13' })], createdAt: at(20),
      });
    });
    pods.push({
      name: 'coredns-5d78c9869d-x2x7q', namespace: 'kube-system', node: 'node-1', hostNetwork: false, ip: '198.19.1.3',
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' }, owner: 'Deployment/coredns', phase: 'Running', containers: [running('coredns', 29)], createdAt: at(29),
    });
    pods.push({
      name: 'web-0', namespace: 'default', node: 'node-3', hostNetwork: false, ip: '198.19.3.9', labels: { app: 'web', tier: 'frontend' },
      phase: 'Pending', containers: [running('app', 1, { ready: false }), running('sidecar', 1, { ready: false })], createdAt: at(1),
    });
    let index = 0;
    for (const p of pods) if (!p.hostNetwork && p.phase === 'Running') await podNetns(p, index++);

    const workloads: LabWorkload[] = [
      { kind: 'DaemonSet', name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, templateAnnotations: {}, replicas: 3, generation: 1, image: 'registry.k8s.io/kube-proxy:v1.32.4' },
      { kind: 'DaemonSet', name: 'kube-flannel-ds', namespace: 'kube-flannel', labels: { app: 'flannel', 'k8s-app': 'flannel' }, templateAnnotations: {}, replicas: 3, generation: 1, image: 'docker.io/flannel/flannel:v0.26.4' },
      { kind: 'DaemonSet', name: 'netdiag-probe', namespace: 'default', labels: { app: 'netdiag-probe' }, templateAnnotations: {}, replicas: 3, generation: 1, image: 'docker.io/nicolaka/netshoot:v0.13' },
      { kind: 'Deployment', name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, templateAnnotations: {}, replicas: 1, generation: 1, image: 'registry.k8s.io/coredns/coredns:v1.11.3' },
    ];
    const events: LabEvent[] = [
      { name: 'kube-proxy-m4qzt.17e1a2b3c4d5e6f7', namespace: 'kube-system', type: 'Warning', reason: 'BackOff', message: 'Back-off restarting failed container kube-proxy in pod kube-proxy-m4qzt_kube-system(0f0e)', involvedObject: { kind: 'Pod', name: 'kube-proxy-m4qzt', namespace: 'kube-system' }, source: { component: 'kubelet', host: 'node-2' }, count: 7, firstTimestamp: at(3), lastTimestamp: at(1) },
      { name: 'web-0.17e1a2b3c4d5e700', namespace: 'default', type: 'Warning', reason: 'FailedCreatePodSandBox', message: 'Failed to create pod sandbox: plugin type="flannel" failed (add): failed to set bridge addr: "cni0" already has an IP address different from 198.19.3.1/24', involvedObject: { kind: 'Pod', name: 'web-0', namespace: 'default' }, source: { component: 'kubelet', host: 'node-3' }, count: 3, firstTimestamp: at(1), lastTimestamp: at(0) },
    ];
    const logLines = (n: number, what: string) => Array.from({ length: n }, (_, i) => `I1203 07:0${i % 10}:00.000000       1 ${what} line ${i + 1}`).join('\n') + '\n';
    await writeFile(join(logsDir, 'kube-system_kube-proxy-m4qzt_kube-proxy.log'), logLines(20, 'server.go:484] current'));
    await writeFile(join(logsDir, 'kube-system_kube-proxy-m4qzt_kube-proxy.previous.log'), 'E1203 07:01:00.000000       1 run.go:74] "command failed" err="failed to set sysctl: open /proc/sys/net/netfilter/nf_conntrack_max: permission denied"\n');
    await writeFile(join(logsDir, 'kube-system_coredns-5d78c9869d-x2x7q_coredns.log'), '.:53\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9\n');

    const state: LabState = {
      name: `apitest${tag}`, slot: 222, prefix, dir, cni: 'flannel', vxlanMode: 'Always', nodesOnly: false, nodes, pods,
      services: [
        { name: 'kubernetes', namespace: 'default', clusterIP: '198.18.250.1', ports: [{ name: 'https', port: 443, targetPort: 6443, protocol: 'TCP' }], selector: {} },
        { name: 'kube-dns', namespace: 'kube-system', clusterIP: '198.18.250.10', ports: [{ name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153, targetPort: 9153, protocol: 'TCP' }], selector: { 'k8s-app': 'kube-dns' } },
        { name: 'echo', namespace: 'default', clusterIP: '198.18.250.20', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], selector: { app: 'netdiag-probe' } },
      ],
      faults: [{ name: 'kube-proxy-crashloop', node: 'node-2' }],
      managementAddress: '198.18.222.1',
      api: { url: '', token: '', port: 0 },
      files: { kubeconfig: join(dir, 'kubeconfig'), inventory: join(dir, 'inventory.yaml'), knownHosts: join(dir, 'known_hosts'), sshKey: join(dir, 'id_ed25519'), logsDir },
      createdAt: at(31),
      events, processes: [], workloads,
      underlayNetns: `${prefix}underlay`, gatewayAddress: '198.18.222.254', clusterCIDR: '198.19.0.0/16', serviceCIDR: '198.18.250.0/24',
      dns: { clusterDomain: 'cluster.local', externalName: 'upstream.example.test', externalAddress: '198.18.222.253' },
      warnings: [],
    };
    const stateFile = join(dir, 'state.json');
    await writeFile(stateFile, JSON.stringify(state, null, 2));
    const restartCalls = join(dir, 'restart-calls.jsonl');
    const stubActions = join(dir, 'stub-actions.mjs');
    await writeFile(stubActions, STUB_ACTIONS.replace('__CALLS__', JSON.stringify(restartCalls)));
    return { dir, stateFile, state, namespaces, stubActions, restartCalls, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * Stands in for src/lab/actions.ts on the synthetic lab (the real one re-programs a real lab's
 * data plane): records the call and does to the state what a restart does — new generation,
 * restartedAt, healthy containers with restartCount 0.
 */
const STUB_ACTIONS = `
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
export async function restartWorkload(stateFile, kind, namespace, name) {
  appendFileSync(__CALLS__, JSON.stringify({ kind, namespace, name }) + '\\n');
  const s = JSON.parse(readFileSync(stateFile, 'utf8'));
  const w = s.workloads.find((x) => x.kind === kind && x.namespace === namespace && x.name === name);
  if (!w) throw new Error(kind + ' ' + namespace + '/' + name + ' not found');
  w.generation += 1;
  w.templateAnnotations['kubectl.kubernetes.io/restartedAt'] ??= new Date().toISOString();
  for (const p of s.pods) {
    if (p.namespace !== namespace || p.owner !== kind + '/' + name) continue;
    p.containers = p.containers.map((c) => ({ name: c.name, restartCount: 0, ready: true, startedAt: new Date().toISOString().replace(/\\.\\d+Z$/, 'Z') }));
  }
  s.faults = s.faults.filter((f) => !(name === 'kube-proxy' && f.name === 'kube-proxy-crashloop'));
  writeFileSync(stateFile + '.tmp', JSON.stringify(s, null, 2));
  renameSync(stateFile + '.tmp', stateFile);
}
`;
