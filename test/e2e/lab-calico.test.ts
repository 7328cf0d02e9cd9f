/**
 * Calico mode of the lab: VXLAN (vxlan.calico, VNI 4096, UDP 4789) with routed /32 pods, and
 * the IPPool vxlanMode deciding the remote routes — Always (tunnel), CrossSubnet (straight out
 * eth0: fine on a plain L2, broken where the underlay enforces a source/destination check),
 * Never (no remote routes). One lab walks through the modes the way an operator would: break,
 * patch the IPPool, roll calico-node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import type { LabState } from '../../src/lab/model.js';
import { labUp } from '../../src/lab/up.js';
import { labDown, labDownAll } from '../../src/lab/down.js';
import { injectFault, restartWorkload } from '../../src/lab/actions.js';
import { readLabState, updateLabState } from '../../src/lab/state.js';
import { ensureBuilt, inNetns, labPrerequisiteProblem, pingOk, probeOn, sshNode, usePrivateLabsRoot } from '../helpers/lab.js';
import { captureWhile, echoOn, failedHealthyChecks } from '../helpers/lab-checks.js';

const problem = await labPrerequisiteProblem();
const root = problem ? '' : usePrivateLabsRoot('calico');

describe.skipIf(Boolean(problem))('calico lab', () => {
  let file = '';
  let state: LabState;
  const routesOn = async (node: string) => (await inNetns(state.nodes.find((n) => n.name === node)!.netns, ['ip', '-4', 'route'])).stdout;
  /** What `kubectl patch ippool … vxlanMode` + `rollout restart ds/calico-node` do. */
  const setMode = async (mode: 'Always' | 'CrossSubnet' | 'Never') => {
    await updateLabState(file, (s) => {
      s.vxlanMode = mode;
    });
    await restartWorkload(file, 'DaemonSet', 'kube-system', 'calico-node');
    state = await readLabState(file);
  };

  beforeAll(async () => {
    await ensureBuilt();
    ({ stateFile: file, state } = await labUp({ name: 'calico', nodes: 3, cni: 'calico', vxlanMode: 'Always', faults: [], nodesOnly: false, controlPlane: false }));
  });
  afterAll(async () => {
    if (file) await labDown(file).catch(() => undefined);
    await labDownAll();
    await rm(root, { recursive: true, force: true });
  });

  it('vxlanMode Always: healthy, remote blocks via vxlan.calico, pods as /32 routes', async () => {
    expect(await failedHealthyChecks(state)).toEqual([]);
    const link = await sshNode(state, 'node-1', 'ip -d link show vxlan.calico');
    expect(link.stdout).toContain(`vxlan id 4096 local ${state.nodes[0].address} dev eth0`);
    expect(link.stdout).toContain('dstport 4789');
    const routes = await routesOn('node-1');
    expect(routes).toContain('198.19.2.0/24 via 198.19.2.0 dev vxlan.calico proto 80 onlink');
    expect(routes).toMatch(new RegExp(`${probeOn(state, 'node-1').ip.replace(/\./g, '\\.')} dev cali[0-9a-f]{11} scope link`));
    expect(routes).toContain('blackhole 198.19.1.0/24 proto 80');
    const p1 = probeOn(state, 'node-1');
    const sent = await captureWhile(state.nodes[0].netns, 'udp port 4789', () => pingOk(p1.netns!, probeOn(state, 'node-3').ip));
    expect(sent.some((l) => l.includes(`> ${state.nodes[2].address}.4789`))).toBe(true);
  });

  it('calico-never: no remote routes, cross-node fails, same-node works, nothing is encapsulated', async () => {
    await injectFault(file, { name: 'calico-never' });
    state = await readLabState(file);
    expect(state.vxlanMode).toBe('Never');
    const routes = await routesOn('node-1');
    expect(routes).not.toContain('198.19.2.0/24');
    expect(routes).not.toContain('198.19.3.0/24');
    const p1 = probeOn(state, 'node-1');
    expect(await pingOk(p1.netns!, echoOn(state, 'node-1').ip)).toBe(true);
    const sent = await captureWhile(state.nodes[0].netns, 'udp port 4789', async () => expect(await pingOk(p1.netns!, probeOn(state, 'node-2').ip)).toBe(false), 3);
    expect(sent).toEqual([]);
  });

  it('patching the IPPool to Always and rolling calico-node heals it', async () => {
    await setMode('Always');
    expect(state.faults).toEqual([]);
    expect(await pingOk(probeOn(state, 'node-1').netns!, probeOn(state, 'node-2').ip)).toBe(true);
  });

  it('vxlanMode CrossSubnet on a plain L2 underlay: routes out eth0, cross-node works', async () => {
    await setMode('CrossSubnet');
    const routes = await routesOn('node-1');
    expect(routes).toContain(`198.19.3.0/24 via ${state.nodes[2].address} dev eth0 proto 80 onlink`);
    expect(await pingOk(probeOn(state, 'node-1').netns!, probeOn(state, 'node-3').ip)).toBe(true);
  });

  it('calico-crosssubnet: with the underlay source/destination check, same-node OK, cross-node times out', async () => {
    await injectFault(file, { name: 'calico-crosssubnet' });
    state = await readLabState(file);
    const p1 = probeOn(state, 'node-1');
    expect(await pingOk(p1.netns!, echoOn(state, 'node-1').ip)).toBe(true);
    expect(await pingOk(p1.netns!, probeOn(state, 'node-3').ip)).toBe(false);
    // Pod-sourced packets do leave node-1 on eth0, unencapsulated — the underlay drops them.
    const sent = await captureWhile(state.nodes[0].netns, `icmp and host ${probeOn(state, 'node-3').ip}`, () => pingOk(p1.netns!, probeOn(state, 'node-3').ip));
    expect(sent.some((l) => l.includes(`${p1.ip} > ${probeOn(state, 'node-3').ip}: ICMP echo request`))).toBe(true);
    // The documented fix: vxlanMode Always (encapsulated packets carry node addresses).
    await setMode('Always');
    expect(await pingOk(p1.netns!, probeOn(state, 'node-3').ip)).toBe(true);
  });
});
