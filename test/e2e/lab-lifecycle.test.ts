/**
 * Lab lifecycle through the real CLI: up (with a fault) → status → down leaves no namespace,
 * interface, process or iptables rule behind; two labs at once; `down --all` after a crash;
 * refusal without root; the fault list.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import type { LabState } from '../../src/lab/model.js';
import { ensureBuilt, hostSnapshot, labPrerequisiteProblem, netdiag, pidAlive, pingOk, probeOn, sshNode, usePrivateLabsRoot } from '../helpers/lab.js';

const problem = await labPrerequisiteProblem();
const root = problem ? '' : usePrivateLabsRoot('life');

describe.skipIf(Boolean(problem))('lab lifecycle (CLI)', () => {
  beforeAll(async () => {
    await ensureBuilt();
  });
  afterAll(async () => {
    // Whatever a failing test left: this file's labs only (private root).
    await netdiag(['lab', 'down', '--all']);
    await rm(root, { recursive: true, force: true });
  });

  it('up --fault → status → down leaves nothing behind', async () => {
    const up = await netdiag(['lab', 'up', '--name', 'life1', '--nodes', '3', '--fault', 'vxlan-blocked', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const status = JSON.parse(up.stdout);
    const state = JSON.parse(readFileSync(status.stateFile, 'utf8')) as LabState;
    const prefix = state.prefix;
    expect(status.nodes.map((n: { name: string }) => n.name)).toEqual(['node-1', 'node-2', 'node-3']);
    expect(status.faults).toEqual([{ name: 'vxlan-blocked', node: 'node-3' }]);
    expect(existsSync(state.files.inventory)).toBe(true);
    expect(existsSync(state.files.kubeconfig)).toBe(true);

    const text = await netdiag(['lab', 'status', '--name', 'life1']);
    expect(text.exitCode).toBe(0);
    for (const s of ['node-1', 'node-3', state.files.inventory, state.files.kubeconfig, 'coredns-', 'kube-proxy-', 'vxlan-blocked@node-3']) expect(text.stdout).toContain(s);

    const during = await hostSnapshot(prefix);
    expect(during.netns.length).toBeGreaterThan(3);
    expect(during.links).toEqual([`${prefix}mgmt`]);
    // The lab never adds rules to the root namespace.
    expect(during.rootIptables).not.toMatch(new RegExp(`198\\.18\\.${state.slot}\\.|198\\.19\\.|KUBE-SVC|FLANNEL`));
    const pids = [...state.processes.map((p) => p.pid), ...(state.api.pid ? [state.api.pid] : [])];
    expect(pids.every(pidAlive)).toBe(true);

    const down = await netdiag(['lab', 'down', '--name', 'life1']);
    expect(down.exitCode, down.stderr).toBe(0);
    const after = await hostSnapshot(prefix);
    expect(after.netns).toEqual([]);
    expect(after.links).toEqual([]);
    expect(after.rootIptables).not.toMatch(/KUBE-SVC|FLANNEL/);
    expect(pids.filter(pidAlive)).toEqual([]);
    expect(existsSync(state.dir)).toBe(false);
    expect(existsSync(`/etc/netns/${prefix}node-1`)).toBe(false);
  });

  it('runs two labs at once, each reachable and isolated', async () => {
    const [a, b] = await Promise.all([
      netdiag(['lab', 'up', '--name', 'twin-a', '--nodes', '2', '--no-api', '--json']),
      netdiag(['lab', 'up', '--name', 'twin-b', '--nodes', '2', '--no-api', '--json']),
    ]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const sa = JSON.parse(readFileSync(JSON.parse(a.stdout).stateFile, 'utf8')) as LabState;
    const sb = JSON.parse(readFileSync(JSON.parse(b.stdout).stateFile, 'utf8')) as LabState;
    expect(sa.slot).not.toBe(sb.slot);
    for (const s of [sa, sb]) {
      const r = await sshNode(s, 'node-2', 'hostname');
      expect(r.stdout.trim()).toBe('node-2');
      expect(await pingOk(probeOn(s, 'node-1').netns!, probeOn(s, 'node-2').ip)).toBe(true);
    }
    // Same pod addresses in both labs, yet each lab's pods only see their own lab.
    expect(probeOn(sa, 'node-2').ip).toBe(probeOn(sb, 'node-2').ip);
    expect(await pingOk(probeOn(sa, 'node-1').netns!, sb.nodes[0].address)).toBe(false);
    const status = await netdiag(['lab', 'status', '--json']);
    expect(JSON.parse(status.stdout).map((s: { name: string }) => s.name).sort()).toEqual(['twin-a', 'twin-b']);
    expect((await netdiag(['lab', 'down', '--name', 'twin-a'])).exitCode).toBe(0);
    expect((await hostSnapshot(sa.prefix)).netns).toEqual([]);
    // Taking one down leaves the other working.
    expect(await pingOk(probeOn(sb, 'node-1').netns!, probeOn(sb, 'node-2').ip)).toBe(true);
    expect((await netdiag(['lab', 'down', '--name', 'twin-b'])).exitCode).toBe(0);
  });

  it('down --all removes a crashed lab that lost its state file', async () => {
    const up = await netdiag(['lab', 'up', '--name', 'crashy', '--nodes', '2', '--no-api', '--json']);
    expect(up.exitCode, up.stderr).toBe(0);
    const state = JSON.parse(readFileSync(JSON.parse(up.stdout).stateFile, 'utf8')) as LabState;
    // The crash: `lab up` died before its state file was complete.
    await rm(JSON.parse(up.stdout).stateFile);
    expect((await netdiag(['lab', 'status', '--json'])).stdout.trim()).toBe('[]');
    const pids = state.processes.map((p) => p.pid);
    expect(pids.every(pidAlive)).toBe(true);
    const all = await netdiag(['lab', 'down', '--all']);
    expect(all.exitCode, all.stderr).toBe(0);
    const after = await hostSnapshot(state.prefix);
    expect(after.netns).toEqual([]);
    expect(after.links).toEqual([]);
    expect(pids.filter(pidAlive)).toEqual([]);
  });

  it('lists faults with their symptoms and rejects unknown ones', async () => {
    const list = await netdiag(['lab', 'faults']);
    for (const f of ['vxlan-blocked', 'forward-drop', 'ip-forward-off', 'mtu-mismatch', 'cni0-wrong-ip', 'fdb-missing', 'kube-proxy-crashloop', 'coredns-down', 'calico-never', 'calico-crosssubnet']) {
      expect(list.stdout).toContain(f);
    }
    const bad = await netdiag(['lab', 'up', '--name', 'never', '--fault', 'no-such-fault']);
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toContain('unknown fault "no-such-fault"');
    const wrongCni = await netdiag(['lab', 'up', '--name', 'never', '--cni', 'flannel', '--fault', 'calico-never']);
    expect(wrongCni.exitCode).toBe(3);
    expect(wrongCni.stderr).toContain('needs --cni calico');
  });

  it('refuses to start without root', async () => {
    const nobody = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, new URL('../../dist/cli/index.js', import.meta.url).pathname, 'lab', 'up', '--name', 'nonroot', '--no-api'], {
      reject: false,
      env: { NETDIAG_LABS_ROOT: '/tmp/ndt-labs-nonroot' },
    });
    expect(nobody.exitCode).not.toBe(0);
    expect(nobody.stderr).toContain('needs root');
  });
});
