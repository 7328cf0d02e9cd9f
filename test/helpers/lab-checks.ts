/**
 * Data-plane checks shared by the lab fault tests: the connectivity matrix of CATALOG.md run
 * through the lab's real namespaces (ping, curl to ClusterIPs, dig through kube-dns).
 */
import { execa } from 'execa';
import type { LabState } from '../../src/lab/model.js';
import { dig, httpGet, inNetns, pingOk, probeOn } from './lab.js';

/** The echo pod on a node (echo runs on node-1 and node-2). */
export function echoOn(state: LabState, node: string) {
  const pod = state.pods.find((p) => p.labels.app === 'echo' && p.node === node && p.phase === 'Running');
  if (!pod) throw new Error(`no echo pod on ${node}`);
  return pod;
}

/** Every check a healthy lab passes, with a name per check so a failure says which. */
export async function healthyMatrix(state: LabState): Promise<Record<string, boolean>> {
  const last = state.nodes[state.nodes.length - 1].name;
  const p1 = probeOn(state, 'node-1');
  const pl = probeOn(state, last);
  const r: Record<string, boolean> = {};
  r['same-node pod→pod'] = await pingOk(p1.netns!, echoOn(state, 'node-1').ip);
  r['cross-node node-1→last'] = await pingOk(p1.netns!, pl.ip);
  r['cross-node last→node-2'] = await pingOk(pl.netns!, probeOn(state, 'node-2').ip);
  r['large DF ping cross-node'] = await pingOk(p1.netns!, pl.ip, { df: true, size: 1422 });
  r['node→own pod'] = (await inNetns(state.nodes[state.nodes.length - 1].netns, ['ping', '-c', '1', '-W', '1', pl.ip])).exitCode === 0;
  r['pod→ClusterIP (echo) from node-1'] = (await httpGet(p1.netns!, 'http://198.18.250.20/'))?.includes('hostname: echo-') ?? false;
  r['pod→ClusterIP (echo) from last'] = (await httpGet(pl.netns!, 'http://198.18.250.20/'))?.includes('hostname: echo-') ?? false;
  r['DNS kubernetes.default (search)'] = (await dig(pl.netns!, 'kubernetes.default', ['+search'])).answers.includes('198.18.250.1');
  r['DNS external name'] = (await dig(pl.netns!, state.dns.externalName)).answers.includes(state.dns.externalAddress);
  r['pod→outside (MASQUERADE)'] = (await httpGet(pl.netns!, `http://${state.dns.externalName}/`))?.includes(`client: ${state.nodes[state.nodes.length - 1].address}:`) ?? false;
  return r;
}

/** Names of the healthy checks that failed. */
export async function failedHealthyChecks(state: LabState): Promise<string[]> {
  const m = await healthyMatrix(state);
  return Object.entries(m)
    .filter(([, ok]) => !ok)
    .map(([k]) => k);
}

/**
 * Captures on a node's eth0 while `traffic` runs: returns tcpdump's packet lines. The capture
 * is bounded by count and time (timeout) so it always ends.
 */
export async function captureWhile(netns: string, filter: string, traffic: () => Promise<unknown>, seconds = 4): Promise<string[]> {
  const cap = execa('ip', ['netns', 'exec', netns, 'timeout', String(seconds), 'tcpdump', '-l', '-n', '-i', 'eth0', '-c', '20', filter], { reject: false });
  await new Promise((r) => setTimeout(r, 700));
  await traffic();
  const out = await cap;
  return String(out.stdout).split('\n').filter((l) => l.trim());
}
