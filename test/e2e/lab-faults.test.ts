/**
 * Every flannel lab fault shows its symptom through the real data plane, and the healthy lab
 * passes every check. One shared lab takes the faults that a restart heals (kube-proxy-crashloop,
 * fdb-missing, forward-drop: inject → symptom → heal → healthy again); the others get a lab of
 * their own, built with `--fault` as a user would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { LabState } from '../../src/lab/model.js';
import { labUp } from '../../src/lab/up.js';
import { labDown, labDownAll } from '../../src/lab/down.js';
import { injectFault, restartWorkload } from '../../src/lab/actions.js';
import { readLabState } from '../../src/lab/state.js';
import { logFile } from '../../src/lab/logs.js';
import { dig, ensureBuilt, httpGet, inNetns, labPrerequisiteProblem, pingOk, probeOn, sshNode, usePrivateLabsRoot } from '../helpers/lab.js';
import { captureWhile, echoOn, failedHealthyChecks } from '../helpers/lab-checks.js';

const problem = await labPrerequisiteProblem();
const root = problem ? '' : usePrivateLabsRoot('faults');

async function up(name: string, nodes: number, faults: { name: string; node?: string }[] = []) {
  return labUp({ name, nodes, cni: 'flannel', vxlanMode: 'Always', faults, nodesOnly: false, controlPlane: false });
}

describe.skipIf(Boolean(problem))('flannel lab faults', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });
  afterAll(async () => {
    await labDownAll();
    await rm(root, { recursive: true, force: true });
  });

  describe('shared lab: healthy, then faults a restart heals', () => {
    let file = '';
    let state: LabState;
    beforeAll(async () => {
      ({ stateFile: file, state } = await up('shared', 3));
    });
    afterAll(async () => {
      if (file) await labDown(file).catch(() => undefined);
    });

    it('passes every connectivity check when healthy', async () => {
      expect(await failedHealthyChecks(state)).toEqual([]);
    });

    it('shows realistic output for the real tools over SSH', async () => {
      const n2 = state.nodes[1];
      const link = await sshNode(state, 'node-2', 'hostname; ip -d link show flannel.1');
      expect(link.exitCode, link.stderr).toBe(0);
      expect(link.stdout).toMatch(/^node-2\n/);
      expect(link.stdout).toMatch(new RegExp(`flannel\\.1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450`));
      expect(link.stdout).toContain(`vxlan id 1 local ${n2.address} dev eth0`);
      expect(link.stdout).toMatch(/dstport 8472 nolearning/);
      const fdb = await sshNode(state, 'node-2', 'bridge fdb show dev flannel.1');
      const lines = fdb.stdout.trim().split('\n');
      expect(lines).toHaveLength(2);
      for (const peer of [state.nodes[0], state.nodes[2]]) expect(lines).toContain(`${peer.vtepMac} dst ${peer.address} self permanent`);
      const routes = await sshNode(state, 'node-2', 'ip route show dev flannel.1; ip neigh show dev flannel.1');
      expect(routes.stdout).toContain(`198.19.1.0/24 via 198.19.1.0 onlink`);
      expect(routes.stdout).toContain(`198.19.1.0 lladdr ${state.nodes[0].vtepMac} PERMANENT`);
      const nat = await sshNode(state, 'node-2', 'iptables-save -t nat');
      expect(nat.stdout).toContain(':KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]');
      expect(nat.stdout).toContain('-A KUBE-SERVICES -d 198.18.250.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU');
      expect(nat.stdout).toContain('-m statistic --mode random --probability 0.50000000000');
      expect(nat.stdout).toContain('-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
      expect(nat.stdout).toContain('-A FLANNEL-POSTRTG -s 198.19.0.0/16 ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully');
      expect((await sshNode(state, 'node-2', 'sysctl net.ipv4.ip_forward')).stdout.trim()).toBe('net.ipv4.ip_forward = 1');
      expect((await sshNode(state, 'node-2', 'cat /run/flannel/subnet.env')).stdout).toBe('FLANNEL_NETWORK=198.19.0.0/16\nFLANNEL_SUBNET=198.19.2.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true');
      // A capture over SSH while pods on node-1 talk to node-2's probe.
      const cap = sshNode(state, 'node-2', 'timeout 10 tcpdump -c 1 -ni eth0 udp port 8472');
      const pinger = (async () => {
        for (let i = 0; i < 20; i++) {
          await pingOk(probeOn(state, 'node-1').netns!, probeOn(state, 'node-2').ip);
          if (await Promise.race([cap.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))])) break;
        }
      })();
      const tcpdump = await cap;
      await pinger;
      expect(tcpdump.stdout).toMatch(new RegExp(`IP ${state.nodes[0].address.replace(/\./g, '\\.')}\\.\\d+ > ${n2.address.replace(/\./g, '\\.')}\\.8472: OTV, flags \\[I\\] \\(0x08\\), overlay 0, instance 1|VXLAN, flags \\[I\\] \\(0x08\\), vni 1`));
      expect(tcpdump.stderr).toContain('1 packet captured');
    });

    it('kube-proxy-crashloop: ClusterIP fails, pod IP works, rollout restart heals it', async () => {
      await injectFault(file, { name: 'kube-proxy-crashloop' });
      state = await readLabState(file);
      const p3 = probeOn(state, 'node-3');
      expect(await httpGet(p3.netns!, 'http://198.18.250.20/')).toBeUndefined();
      expect(await httpGet(p3.netns!, `http://${echoOn(state, 'node-2').ip}:8080/`)).toContain('hostname: echo-');
      const proxies = state.pods.filter((p) => p.labels['k8s-app'] === 'kube-proxy');
      for (const p of proxies) {
        expect(p.containers[0]).toMatchObject({ waitingReason: 'CrashLoopBackOff', ready: false });
        expect(p.containers[0].restartCount).toBeGreaterThan(0);
        expect(readFileSync(logFile(state, p, 'kube-proxy'), 'utf8')).toContain('nf_conntrack_max: permission denied');
        expect(existsSync(logFile(state, p, 'kube-proxy', true))).toBe(true);
      }
      expect(state.events.some((e) => e.reason === 'BackOff' && e.involvedObject.name === proxies[0].name)).toBe(true);
      expect((await inNetns(state.nodes[2].netns, ['iptables-save', '-t', 'nat'])).stdout).not.toContain('KUBE-SERVICES');

      await restartWorkload(file, 'DaemonSet', 'kube-system', 'kube-proxy');
      state = await readLabState(file);
      const fresh = state.pods.filter((p) => p.labels['k8s-app'] === 'kube-proxy');
      expect(fresh.map((p) => p.name).some((n) => proxies.some((o) => o.name === n))).toBe(false);
      for (const p of fresh) expect(p.containers[0]).toMatchObject({ restartCount: 0, ready: true });
      expect(fresh[0].containers[0].waitingReason).toBeUndefined();
      expect(state.faults).toEqual([]);
      expect(await httpGet(p3.netns!, 'http://198.18.250.20/')).toContain('hostname: echo-');
    });

    it('fdb-missing@node-3: only the node-3 ↔ node-1 pair fails; a flannel restart heals it', async () => {
      await injectFault(file, { name: 'fdb-missing', node: 'node-3' });
      state = await readLabState(file);
      const [p1, p2, p3] = ['node-1', 'node-2', 'node-3'].map((n) => probeOn(state, n));
      expect(await pingOk(p3.netns!, p1.ip)).toBe(false);
      expect(await pingOk(p3.netns!, p2.ip)).toBe(true);
      expect(await pingOk(p1.netns!, p2.ip)).toBe(true);
      const fdb = (await inNetns(state.nodes[2].netns, ['bridge', 'fdb', 'show', 'dev', 'flannel.1'])).stdout;
      expect(fdb).not.toContain(state.nodes[0].vtepMac);
      expect(fdb).toContain(state.nodes[1].vtepMac);
      await restartWorkload(file, 'DaemonSet', 'kube-flannel', 'kube-flannel-ds');
      state = await readLabState(file);
      expect(await pingOk(p3.netns!, p1.ip)).toBe(true);
    });

    it('forward-drop@node-2: pod traffic through node-2 fails, elsewhere works; a flannel restart restores the accepts', async () => {
      await injectFault(file, { name: 'forward-drop', node: 'node-2' });
      state = await readLabState(file);
      const [p1, p2, p3] = ['node-1', 'node-2', 'node-3'].map((n) => probeOn(state, n));
      expect(await pingOk(p1.netns!, p2.ip)).toBe(false);
      expect(await pingOk(p1.netns!, p3.ip)).toBe(true);
      const fwd = (await inNetns(state.nodes[1].netns, ['iptables', '-S', 'FORWARD'])).stdout;
      expect(fwd).toContain('-P FORWARD DROP');
      expect((await inNetns(state.nodes[1].netns, ['iptables', '-S', 'FLANNEL-FWD'])).stdout).not.toContain('ACCEPT');
      await restartWorkload(file, 'DaemonSet', 'kube-flannel', 'kube-flannel-ds');
      state = await readLabState(file);
      expect(await pingOk(p1.netns!, p2.ip)).toBe(true);
    });

    it('is fully healthy again after the restarts', async () => {
      expect(await failedHealthyChecks(state)).toEqual([]);
    });
  });

  describe('labs built with --fault', () => {
    it('vxlan-blocked: same-node OK, cross-node to node-3 fails; VXLAN leaves node-1, node-3 drops it', async () => {
      const { state, stateFile } = await up('vxblock', 3, [{ name: 'vxlan-blocked' }]);
      try {
        const [p1, p2, p3] = ['node-1', 'node-2', 'node-3'].map((n) => probeOn(state, n));
        expect(await pingOk(p1.netns!, echoOn(state, 'node-1').ip)).toBe(true);
        expect(await pingOk(p1.netns!, p2.ip)).toBe(true);
        const n3 = state.nodes[2].address;
        const sent = await captureWhile(state.nodes[0].netns, `udp port 8472 and host ${n3}`, async () => expect(await pingOk(p1.netns!, p3.ip)).toBe(false));
        expect(sent.filter((l) => l.includes(`> ${n3}.8472`)).length).toBeGreaterThan(0);
        expect(sent.filter((l) => l.includes(`IP ${n3}.`)).length).toBe(0);
        const input = (await inNetns(state.nodes[2].netns, ['iptables', '-L', 'INPUT', '-v', '-n', '-x'])).stdout;
        const drop = input.split('\n').find((l) => l.includes('DROP') && l.includes('dpt:8472'))!;
        expect(Number(drop.trim().split(/\s+/)[0])).toBeGreaterThan(0);
      } finally {
        await labDown(stateFile);
      }
    });

    it('mtu-mismatch@node-2: small DF pings pass, large DF pings to node-2 fail, other nodes fine', async () => {
      const { state, stateFile } = await up('mtu', 3, [{ name: 'mtu-mismatch', node: 'node-2' }]);
      try {
        const [p1, p2, p3] = ['node-1', 'node-2', 'node-3'].map((n) => probeOn(state, n));
        expect(await pingOk(p1.netns!, p2.ip, { df: true, size: 1200 })).toBe(true);
        expect(await pingOk(p1.netns!, p2.ip, { df: true, size: 1422 })).toBe(false);
        expect(await pingOk(p1.netns!, p3.ip, { df: true, size: 1422 })).toBe(true);
        const links = (await inNetns(state.nodes[1].netns, ['ip', '-o', 'link'])).stdout;
        expect(links).toMatch(/eth0@\S+ <[^>]+> mtu 1400/);
        expect(links).toMatch(/flannel\.1: <[^>]+> mtu 1450/);
      } finally {
        await labDown(stateFile);
      }
    });

    it('ip-forward-off@node-2: cross-node to node-2 pods fails, same-node on node-2 works', async () => {
      const { state, stateFile } = await up('ipfwd', 2, [{ name: 'ip-forward-off', node: 'node-2' }]);
      try {
        const [p1, p2] = ['node-1', 'node-2'].map((n) => probeOn(state, n));
        expect(await pingOk(p1.netns!, p2.ip)).toBe(false);
        expect(await pingOk(p2.netns!, echoOn(state, 'node-2').ip)).toBe(true);
        expect(await httpGet(p2.netns!, `http://${state.dns.externalName}/`)).toBeUndefined();
        expect((await inNetns(state.nodes[1].netns, ['sysctl', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('net.ipv4.ip_forward = 0');
      } finally {
        await labDown(stateFile);
      }
    });

    it('cni0-wrong-ip: the node cannot reach its own pods, they lose their gateway, new pods fail sandbox creation', async () => {
      const { state, stateFile } = await up('cni0', 2, [{ name: 'cni0-wrong-ip' }]);
      try {
        const p2 = probeOn(state, 'node-2');
        expect((await inNetns(state.nodes[1].netns, ['ping', '-c', '1', '-W', '1', p2.ip])).exitCode).not.toBe(0);
        // The kernel reports the failed ARP for the gateway after its probes time out (~3 s).
        const gw = await inNetns(p2.netns!, ['ping', '-n', '-c', '5', '-i', '0.5', '-w', '5', '198.19.2.1']);
        expect(gw.exitCode).not.toBe(0);
        expect(gw.stdout).toContain('Destination Host Unreachable');
        expect(await pingOk(probeOn(state, 'node-1').netns!, p2.ip)).toBe(false);
        expect((await inNetns(state.nodes[1].netns, ['ip', '-4', 'addr', 'show', 'cni0'])).stdout).toContain('inet 198.19.254.1/24');
        const pending = state.pods.find((p) => p.node === 'node-2' && p.phase === 'Pending')!;
        expect(pending.containers[0].waitingReason).toBe('ContainerCreating');
        const ev = state.events.find((e) => e.reason === 'FailedCreatePodSandBox')!;
        expect(ev.involvedObject.name).toBe(pending.name);
        expect(ev.message).toContain('failed to set bridge addr: "cni0" already has an IP address different from 198.19.2.1/24');
      } finally {
        await labDown(stateFile);
      }
    });

    it('coredns-down: lookups fail (no endpoints), pod IPs work, CoreDNS crash-loops on a forwarding loop', async () => {
      const { state, stateFile } = await up('dnsdown', 2, [{ name: 'coredns-down' }]);
      try {
        const p2 = probeOn(state, 'node-2');
        const coredns = state.pods.find((p) => p.labels['k8s-app'] === 'kube-dns')!;
        const answer = await dig(p2.netns!, 'kubernetes.default.svc.cluster.local');
        expect(answer.answers).toEqual([]);
        expect(await pingOk(p2.netns!, coredns.ip)).toBe(true);
        expect(await httpGet(p2.netns!, 'http://198.18.250.20/')).toContain('hostname: echo-');
        expect(coredns.containers[0].waitingReason).toBe('CrashLoopBackOff');
        expect(readFileSync(logFile(state, coredns, 'coredns'), 'utf8')).toMatch(/\[FATAL\] plugin\/loop: Loop \(127\.0\.0\.1:\d+ -> :53\) detected for zone "\."/);
        const filter = (await inNetns(state.nodes[1].netns, ['iptables-save', '-t', 'filter'])).stdout;
        expect(filter).toContain('"kube-system/kube-dns:dns has no endpoints"');
      } finally {
        await labDown(stateFile);
      }
    });

    it('upstream-dns-unreachable: cluster names resolve, the external name fails, CoreDNS logs i/o timeout', async () => {
      const { state, stateFile } = await up('upstream', 2, [{ name: 'upstream-dns-unreachable' }]);
      try {
        const p2 = probeOn(state, 'node-2');
        expect((await dig(p2.netns!, 'kube-dns.kube-system.svc.cluster.local')).answers).toEqual(['198.18.250.10']);
        const ext = await dig(p2.netns!, state.dns.externalName);
        expect(ext.answers).toEqual([]);
        expect(ext.status).toBe('SERVFAIL');
        const coredns = state.pods.find((p) => p.labels['k8s-app'] === 'kube-dns')!;
        expect(readFileSync(logFile(state, coredns, 'coredns'), 'utf8')).toMatch(new RegExp(`\\[ERROR\\] plugin/errors: 2 ${state.dns.externalName.replace(/\./g, '\\.')}\\. A: read udp ${coredns.ip.replace(/\./g, '\\.')}:\\d+->${state.gatewayAddress.replace(/\./g, '\\.')}:53: i/o timeout`));
      } finally {
        await labDown(stateFile);
      }
    });
  });
});
