/**
 * Pods with a network namespace: the veth into cni0 (flannel, as the bridge CNI plugin makes
 * it: MAC 0a:58:<ip>, hairpin on) or a routed /32 cali* veth (calico: gateway 169.254.1.1 via
 * proxy-ARP), /etc/netns files (resolv.conf with the cluster search path, hosts), and the
 * servers some pods run (CoreDNS responder, echo server).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabNode, LabPod, LabProcess, LabState } from './model.js';
import type { DnsResponderConfig } from './dns-responder.js';
import { ECHO_PORT, net24, randomHex } from './addressing.js';
import { CALICO_MTU } from './calico.js';
import { FLANNEL_MTU } from './flannel.js';
import { helperScript, killProcess, processLogDir, spawnInNetns } from './processes.js';
import { ipBatch, nsSysctl, run } from './sh.js';
import { appendContainerLog, logFile } from './logs.js';

/** /etc/netns/<ns>: `ip netns exec` bind-mounts these over /etc inside the namespace. */
export function etcNetnsDir(netns: string): string {
  return join('/etc/netns', netns);
}

function podMac(ip: string): string {
  return ['0a', '58', ...ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0'))].join(':');
}

/** Creates the namespaces and links of `pods` (all on `node`). */
export async function createPodNetworks(state: LabState, node: LabNode, pods: LabPod[]): Promise<void> {
  const withNs = pods.filter((p) => p.netns && p.ip);
  if (withNs.length === 0) return;
  await ipBatch(withNs.map((p) => `netns add ${p.netns}`));
  const nodeLines: string[] = [];
  const sysctls: Record<string, number> = {};
  for (const p of withNs) {
    if (state.cni === 'flannel') {
      const host = `veth${randomHex(8)}`;
      nodeLines.push(`link add ${host} mtu ${FLANNEL_MTU} type veth peer name eth0 netns ${p.netns}`, `link set ${host} master cni0 up`, `link set ${host} type bridge_slave hairpin on`);
    } else {
      const host = `cali${randomHex(11)}`;
      nodeLines.push(
        `link add ${host} mtu ${CALICO_MTU} type veth peer name eth0 netns ${p.netns}`,
        `link set ${host} address ee:ee:ee:ee:ee:ee up`,
        `route add ${p.ip}/32 dev ${host} scope link`,
      );
      sysctls[`net.ipv4.conf.${host}.proxy_arp`] = 1;
      sysctls[`net.ipv4.neigh.${host}.proxy_delay`] = 0;
    }
  }
  await ipBatch(nodeLines, node.netns);
  if (Object.keys(sysctls).length > 0) await nsSysctl(node.netns, sysctls);
  await Promise.all(
    withNs.map(async (p) => {
      const lines =
        state.cni === 'flannel'
          ? [`link set eth0 address ${podMac(p.ip)} mtu ${FLANNEL_MTU} up`, `addr add ${p.ip}/24 dev eth0`, `route add default via ${net24(node.podCIDR)}.1 dev eth0`]
          : [`link set eth0 mtu ${CALICO_MTU} up`, `addr add ${p.ip}/32 dev eth0`, 'route add 169.254.1.1 dev eth0 scope link', 'route add default via 169.254.1.1 dev eth0'];
      await ipBatch(['link set lo up', ...lines], p.netns);
      await writePodEtc(state, p);
    }),
  );
}

/** resolv.conf and hosts as the kubelet writes them (ClusterFirst; CoreDNS itself uses the node's). */
async function writePodEtc(state: LabState, pod: LabPod): Promise<void> {
  const dir = etcNetnsDir(pod.netns!);
  await mkdir(dir, { recursive: true });
  const d = state.dns.clusterDomain;
  const resolv = pod.labels['k8s-app'] === 'kube-dns'
    ? `nameserver ${state.gatewayAddress}\n`
    : `search ${pod.namespace}.svc.${d} svc.${d} ${d}\nnameserver ${state.services.find((s) => s.name === 'kube-dns')!.clusterIP}\noptions ndots:5\n`;
  await writeFile(join(dir, 'resolv.conf'), resolv);
  await writeFile(join(dir, 'hosts'), `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n${pod.ip}\t${pod.name}\n`);
}

/** A node's /etc/resolv.conf: the lab gateway is its upstream resolver. */
export async function writeNodeEtc(state: LabState, node: LabNode): Promise<void> {
  const dir = etcNetnsDir(node.netns);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'resolv.conf'), `nameserver ${state.gatewayAddress}\n`);
  await writeFile(join(dir, 'hosts'), `127.0.0.1\tlocalhost\n${node.address}\t${node.name}\n`);
}

/** Removes a pod's namespace (its veth pair goes with it) and /etc/netns files. */
export async function deletePodNetwork(pod: LabPod): Promise<void> {
  if (!pod.netns) return;
  await run('ip', ['netns', 'del', pod.netns]).catch(() => undefined);
  await rm(etcNetnsDir(pod.netns), { recursive: true, force: true });
}

/** The CoreDNS responder config: every Service name, forward to the node's upstream. */
export function corednsConfig(state: LabState, pod: LabPod): DnsResponderConfig {
  const records: Record<string, string> = {};
  for (const s of state.services) records[`${s.name}.${s.namespace}.svc.${state.dns.clusterDomain}`] = s.clusterIP;
  return {
    listen: pod.ip,
    port: 53,
    records,
    authoritativeZones: [state.dns.clusterDomain],
    forward: state.gatewayAddress,
    logFile: logFile(state, pod, 'coredns'),
    readyFile: join(state.dir, 'run', `${pod.name}.ready`),
  };
}

/** Starts the server a pod runs, if any; returns the ready file to wait for. */
export async function startPodServer(state: LabState, pod: LabPod): Promise<string | undefined> {
  const runDir = join(state.dir, 'run');
  await mkdir(runDir, { recursive: true });
  const logDir = await processLogDir(state.dir);
  let proc: LabProcess | undefined;
  let ready: string | undefined;
  if (pod.labels['k8s-app'] === 'kube-dns' && pod.netns) {
    const config = corednsConfig(state, pod);
    const file = join(runDir, `${pod.name}.json`);
    await writeFile(file, JSON.stringify(config, null, 2));
    await rm(config.readyFile!, { force: true });
    ready = config.readyFile;
    proc = await spawnInNetns({ netns: pod.netns, argv: [process.execPath, await helperScript('dns-responder.js'), file], role: `coredns ${pod.name}`, logFile: join(logDir, `${pod.name}.log`) });
  } else if (pod.labels.app === 'echo' && pod.netns) {
    ready = join(runDir, `${pod.name}.ready`);
    await rm(ready, { force: true });
    proc = await spawnInNetns({
      netns: pod.netns,
      argv: [process.execPath, await helperScript('echo-server.js'), pod.ip, String(ECHO_PORT), pod.name, ready],
      role: `echo ${pod.name}`,
      logFile: join(logDir, `${pod.name}.log`),
    });
    const t = new Date();
    const stamp = `${String(t.getUTCMonth() + 1).padStart(2, '0')}${String(t.getUTCDate()).padStart(2, '0')} ${t.toISOString().slice(11, 23)}000`;
    await appendContainerLog(state, pod, 'echo', `I${stamp}       1 log.go:245] Started HTTP server on port ${ECHO_PORT}\n`);
  }
  if (proc) state.processes.push({ ...proc, pod: pod.name });
  return ready;
}

/** Stops the servers of a pod and forgets them. */
export async function stopPodServers(state: LabState, pod: LabPod): Promise<void> {
  const mine = state.processes.filter((p) => p.pod === pod.name);
  await Promise.all(mine.map((p) => killProcess(p)));
  state.processes = state.processes.filter((p) => p.pod !== pod.name);
}

/** The gateway's upstream DNS server (answers the external name) and its web server. */
export async function startGatewayServers(state: LabState): Promise<string[]> {
  const runDir = join(state.dir, 'run');
  await mkdir(runDir, { recursive: true });
  const logDir = await processLogDir(state.dir);
  const config: DnsResponderConfig = {
    listen: state.gatewayAddress,
    port: 53,
    records: { [state.dns.externalName]: state.dns.externalAddress },
    authoritativeZones: [state.dns.externalName.split('.').slice(-2).join('.')],
    readyFile: join(runDir, 'upstream-dns.ready'),
  };
  const file = join(runDir, 'upstream-dns.json');
  await writeFile(file, JSON.stringify(config, null, 2));
  const gw = state.gatewayNetns!;
  const dns = await spawnInNetns({ netns: gw, argv: [process.execPath, await helperScript('dns-responder.js'), file], role: 'upstream-dns', logFile: join(logDir, 'upstream-dns.log') });
  const webReady = join(runDir, 'external-web.ready');
  const web = await spawnInNetns({
    netns: gw,
    argv: [process.execPath, await helperScript('echo-server.js'), state.dns.externalAddress, '80', state.dns.externalName, webReady],
    role: 'external-web',
    logFile: join(logDir, 'external-web.log'),
  });
  state.processes.push(dns, web);
  return [config.readyFile!, webReady];
}
