/**
 * The `capture` step kind end to end (issue 4 §3): the BUILT CLI runs a plan against one lab,
 * tcpdump runs over SSH on every node while a `during` step pings pods across nodes, and the
 * run directory holds the pcaps, the per-node VXLAN analysis and the cluster-wide flow table.
 * After every run — clean, failed, timed out, interrupted with SIGINT — no tcpdump is left on
 * any lab node. One lab for the whole file; the faults come last because they stay injected.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/model.js';
import { summarizeCapture } from '../../src/analyze/pcap/index.js';
import type { FlowTable } from '../../src/analyze/pcap/index.js';
import { readManifest, runCli, runDirFrom, spawnCli } from '../helpers/cli.js';
import { ensureBuilt, labPrerequisiteProblem, netdiag, probeOn, usePrivateLabsRoot } from '../helpers/lab.js';

const problem = await labPrerequisiteProblem();
const labsRoot = problem ? '' : usePrivateLabsRoot('capture');
const LAB = 'capture';

let state: LabState;
let tmp = '';

/** Writes a plan file into the test's temp dir. */
async function plan(name: string, steps: string): Promise<string> {
  const file = path.join(tmp, `${name}.yaml`);
  await writeFile(file, `name: ${name}\nsteps:\n${steps}`);
  return file;
}

/** Pings from each node's probe pod to the probe pods on the nodes after it: every ordered pair sees tunnel packets. */
function pingAllPairs(): string {
  const cmds: string[] = [];
  for (let i = 0; i < state.nodes.length; i++) {
    for (let j = i + 1; j < state.nodes.length; j++) {
      const from = probeOn(state, state.nodes[i].name);
      const to = probeOn(state, state.nodes[j].name);
      cmds.push(`ip netns exec ${from.netns} ping -n -c 3 -i 0.2 -W 1 ${to.ip}`);
    }
  }
  // `; true`: with a fault some pings fail, and the traffic step's status is not under test.
  return `${cmds.join('; ')}; true`;
}

const captureOnAll = (during: string, extra = '') => `  - name: VXLAN capture
    id: vxlan_capture
    hosts: all
${extra}    capture:
      during: [${during}]
`;

/**
 * tcpdump processes on the lab's nodes. The nodes share this machine's PID space, so
 * `pgrep tcpdump` also finds other tests' captures: keep those whose network namespace is one
 * of this lab's nodes, plus anything still below the lab's sshd processes (a capture or the
 * transport's watchdog that escaped its namespace would show there).
 */
async function leftoverCaptures(): Promise<string[]> {
  const found: string[] = [];
  const nodeNetns = new Map(state.nodes.map((n) => [n.netns, n.name]));
  const pgrep = await execa('pgrep', ['-a', 'tcpdump'], { reject: false });
  for (const line of String(pgrep.stdout).split('\n').filter(Boolean)) {
    const pid = line.split(' ')[0];
    const ns = await execa('ip', ['netns', 'identify', pid], { reject: false });
    const node = nodeNetns.get(String(ns.stdout).trim());
    if (node) found.push(`${node}: ${line}`);
  }
  const children = new Map<number, number[]>();
  const comm = new Map<number, string>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ppid = Number(fields[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      comm.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim());
    } catch {
      // exited while we looked
    }
  }
  const below = (pid: number): number[] => (children.get(pid) ?? []).flatMap((c) => [c, ...below(c)]);
  for (const node of state.nodes) {
    for (const pid of below(node.sshdPid ?? -1)) {
      const cmd = comm.get(pid) ?? '';
      if (/tcpdump|netdiag-watchdog/.test(cmd)) found.push(`${node.name}: below sshd: ${pid} ${cmd.slice(0, 120)}`);
    }
  }
  return found;
}

/** Runs a plan against the lab with the built CLI. */
async function run(planFile: string, inventory = state.files.inventory) {
  const r = await runCli(['run', '-i', inventory, '-p', planFile, '-o', path.join(tmp, 'out'), '--no-bundle'], { timeoutMs: 90_000 });
  const dir = runDirFrom(r.stdout);
  return { ...r, dir, manifest: await readManifest(dir) };
}

const targetsOf = (manifest: any, id: string): any[] => manifest.steps.find((s: any) => s.id === id)?.targets ?? [];
const flowTable = async (dir: string): Promise<FlowTable> => JSON.parse(await readFile(path.join(dir, 'vxlan-flow-table.json'), 'utf8'));
const row = (t: FlowTable, from: string, to: string) => t.rows.filter((r) => r.from === from && r.to === to);

describe.skipIf(Boolean(problem))('capture step against the lab', () => {
  beforeAll(async () => {
    await ensureBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ndtcap-'));
    const up = await netdiag(['lab', 'up', '--name', LAB]);
    expect(up.exitCode, `${up.stdout}\n${up.stderr}`).toBe(0);
    const status = await netdiag(['lab', 'status', '--name', LAB, '--json']);
    const parsed = JSON.parse(String(status.stdout));
    const lab = Array.isArray(parsed) ? parsed[0] : parsed; // one object with --name
    state = JSON.parse(await readFile(lab.stateFile, 'utf8'));
  });
  afterAll(async () => {
    if (labsRoot) await netdiag(['lab', 'down', '--name', LAB]);
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (labsRoot) await rm(labsRoot, { recursive: true, force: true });
  });

  it('captures VXLAN on every node while pods ping across nodes; every pair is ok both ways', async () => {
    const p = await plan('capture-healthy', `${captureOnAll('traffic')}  - name: Cross-node pings
    id: traffic
    local: ${JSON.stringify(pingAllPairs())}
`);
    const r = await run(p);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const targets = targetsOf(r.manifest, 'vxlan_capture');
    expect(targets.map((t) => [t.target, t.status]).sort()).toEqual(state.nodes.map((n) => [n.name, 'ok']));
    expect(targets[0].command).toBe(`tcpdump -i any --immediate-mode -U -n -s 128 -c 10000 -w - 'udp port 8472 or udp port 4789'`);
    for (const node of state.nodes) {
      const pcap = path.join(r.dir, 'captures', `${node.name}.pcap`);
      const summary = await summarizeCapture(pcap);
      // Each node is in two of the three pinged pairs: 2 × (3 requests + 3 replies).
      expect(summary).toMatchObject({ format: 'pcap', vxlanPackets: 12, truncated: false });
      const analysis = await readFile(path.join(r.dir, `vxlan-analysis-${node.name}.txt`), 'utf8');
      expect(analysis).toContain(`VXLAN analysis — ${node.name}`);
      expect(analysis).toMatch(/^\s+1\s+8472\s+12$/m); // VNI 1 on UDP 8472
      const files = targets.find((t) => t.target === node.name).files.map((f: any) => f.path);
      expect(files).toEqual(expect.arrayContaining([`captures/${node.name}.pcap`, `vxlan-analysis-${node.name}.txt`]));
    }
    const table = await flowTable(r.dir);
    expect(table.counts).toMatchObject({ ok: 6, lost: 0, 'not-sent': 0, 'no-capture': 0 });
    for (const rw of table.rows) expect([rw.port, rw.sent, rw.received]).toEqual([8472, 3, 3]);
    expect(await readFile(path.join(r.dir, 'vxlan-flow-table.txt'), 'utf8')).toMatch(/node-1\s+node-2\s+\S+\s+\S+\s+8472\s+3\s+3\s+ok/);
    const stepFiles = r.manifest.steps.find((s: any) => s.id === 'vxlan_capture').files.map((f: any) => f.path);
    expect(stepFiles).toEqual(['vxlan-flow-table.json', 'vxlan-flow-table.txt']);
    expect(await leftoverCaptures()).toEqual([]);
  });

  it('reports tcpdump\'s own message when it cannot capture, and still runs the traffic', async () => {
    const [n1, n2, n3] = state.nodes;
    const inventory = path.join(tmp, 'hosts-broken.yaml');
    await writeFile(
      inventory,
      `all:
  vars:
    ansible_user: root
    ansible_ssh_private_key_file: ${state.files.sshKey}
    ansible_ssh_common_args: -o UserKnownHostsFile=${state.files.knownHosts} -o StrictHostKeyChecking=yes
  hosts:
    ${n1.name}: { ansible_host: ${n1.address}, capture_if: ndtcap-nodev }
    ${n2.name}: { ansible_host: ${n2.address}, capture_if: any, ansible_become_user: nobody }
    ${n3.name}: { ansible_host: ${n3.address}, capture_if: any }
`,
    );
    const p = await plan('capture-broken', `  - name: VXLAN capture
    id: vxlan_capture
    hosts: all
    become: true
    capture:
      interface: "{{host.capture_if}}"
      during: [traffic]
  - name: Cross-node pings
    id: traffic
    local: ${JSON.stringify(pingAllPairs())}
`);
    const r = await run(p, inventory);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const byHost = Object.fromEntries(targetsOf(r.manifest, 'vxlan_capture').map((t) => [t.target, t]));
    expect(byHost[n1.name]).toMatchObject({ status: 'failed', command: expect.stringContaining('tcpdump -i ndtcap-nodev ') });
    expect(byHost[n1.name].error).toMatch(/^tcpdump failed \(exit code 1\): tcpdump: ndtcap-nodev: No such device exists/);
    expect(byHost[n2.name].status).toBe('failed');
    expect(byHost[n2.name].error).toMatch(/^tcpdump failed \(exit code 1\): tcpdump: any: You don't have permission .*\(socket: Operation not permitted\)/);
    expect(byHost[n3.name].status).toBe('ok');
    expect(targetsOf(r.manifest, 'traffic')[0].status).toBe('ok');
    const table = await flowTable(r.dir);
    expect(row(table, n1.name, n3.name)[0].verdict).toBe('no-capture');
    expect(row(table, n2.name, n3.name)[0].verdict).toBe('no-capture');
    expect(await leftoverCaptures()).toEqual([]);
  });

  it('a capture that times out is killed at once, while its traffic step still runs', async () => {
    // The traffic step outlives the capture's 2 s timeout and lists, from inside the window,
    // every process in the lab's node namespaces: sshd must be there, tcpdump must not.
    const list = state.nodes.map((n) => `for p in $(ip netns pids ${n.netns}); do echo "${n.name} $(cat /proc/$p/comm 2>/dev/null)"; done`).join('; ');
    const p = await plan('capture-timeout', `  - name: Passive capture
    id: passive
    hosts: all
    capture:
      duration: 1s
${captureOnAll('after_timeout', '    timeout: 2s\n')}  - name: Look after the timeout
    id: after_timeout
    local: ${JSON.stringify(`sleep 5; ${list}`)}
`);
    const r = await run(p);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(targetsOf(r.manifest, 'passive').map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
    const targets = targetsOf(r.manifest, 'vxlan_capture');
    expect(targets.map((t) => t.status)).toEqual(['timedout', 'timedout', 'timedout']);
    const seen = await readFile(path.join(r.dir, 'after_timeout', 'localhost.txt'), 'utf8');
    for (const n of state.nodes) expect(seen).toContain(`${n.name} sshd`);
    expect(seen).not.toContain('tcpdump');
    // What was captured before the timeout is kept and analysed.
    for (const n of state.nodes) expect(targets.find((t) => t.target === n.name).files.map((f: any) => f.path)).toContain(`captures/${n.name}.pcap`);
    expect(await leftoverCaptures()).toEqual([]);
  });

  it('SIGINT during the capture window leaves no tcpdump behind', async () => {
    const p = await plan('capture-sigint', `${captureOnAll('wait')}  - name: Long traffic
    id: wait
    local: sleep 60
`);
    const child = spawnCli(['run', '-i', state.files.inventory, '-p', p, '-o', path.join(tmp, 'out'), '--no-bundle']);
    // Wait until every node's tcpdump runs (bounded: a hang here fails the test with the reason).
    let running: string[] = [];
    for (let i = 0; i < 100 && running.length < state.nodes.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      running = (await leftoverCaptures()).filter((l) => !l.includes('below sshd'));
    }
    expect(running, 'tcpdump never started on every node').toHaveLength(state.nodes.length);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(130);
    expect(await leftoverCaptures()).toEqual([]);
    const manifest = await readManifest(runDirFrom(String(r.stdout)));
    expect(manifest.status).toBe('interrupted');
    expect(targetsOf(manifest, 'vxlan_capture').map((t) => t.status)).toEqual(['interrupted', 'interrupted', 'interrupted']);
    // The traffic step was stopped, not abandoned after the engine's grace period (an abort that
    // landed while the local transport was loading used to be lost: the run then took 60 s).
    for (const t of targetsOf(manifest, 'wait')) expect(t.error ?? '').not.toMatch(/did not stop within/);
  });

  it('a netdiag killed with SIGKILL leaves no tcpdump behind either (sshd closes the session)', async () => {
    // The traffic step waits for a file instead of sleeping, so the orphan it becomes when
    // netdiag dies ends as soon as the test creates that file.
    const stopFile = path.join(tmp, 'sigkill-stop');
    const p = await plan('capture-sigkill', `${captureOnAll('wait')}  - name: Wait for the test
    id: wait
    local: ${JSON.stringify(`while [ ! -e '${stopFile}' ]; do sleep 0.2; done`)}
`);
    const child = spawnCli(['run', '-i', state.files.inventory, '-p', p, '-o', path.join(tmp, 'out'), '--no-bundle']);
    try {
      let running: string[] = [];
      for (let i = 0; i < 100 && running.length < state.nodes.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        running = (await leftoverCaptures()).filter((l) => !l.includes('below sshd'));
      }
      expect(running, 'tcpdump never started on every node').toHaveLength(state.nodes.length);
      child.kill('SIGKILL');
      await child;
      // Nobody is left to clean up: the remote side must notice the dead connection itself.
      // Bounded wait for that asynchronous teardown (not a speed assertion).
      let left = await leftoverCaptures();
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        left = await leftoverCaptures();
      }
      expect(left).toEqual([]);
    } finally {
      await writeFile(stopFile, '');
    }
  });

  describe('faults toward node-2', () => {
    const healthyPlan = () =>
      plan('capture-fault', `${captureOnAll('traffic')}  - name: Cross-node pings
    id: traffic
    local: ${JSON.stringify(pingAllPairs())}
`);

    it('vxlan-blocked@node-2 (INPUT DROP on node-2): tunnel packets reach node-2\'s NIC, node-2 never answers', async () => {
      const inject = await netdiag(['lab', 'inject', 'vxlan-blocked@node-2', '--name', LAB]);
      expect(inject.exitCode, String(inject.stderr)).toBe(0);
      const r = await run(await healthyPlan());
      const table = await flowTable(r.dir);
      // tcpdump sees a packet before netfilter's INPUT chain drops it: "received" counts
      // arrival at node-2's interface, so a host firewall shows as "requests arrive, no reply".
      for (const from of ['node-1', 'node-3']) {
        expect(row(table, from, 'node-2')[0]).toMatchObject({ port: 8472, sent: 3, received: 3 });
        expect(row(table, from, 'node-2')[0].verdict).not.toBe('lost');
      }
      expect(row(table, 'node-2', 'node-1')[0]).toMatchObject({ verdict: 'not-sent', sent: 0 });
      expect(row(table, 'node-2', 'node-3')[0]).toMatchObject({ verdict: 'ok', sent: 3, received: 3 }); // node-2's own requests leave
      expect(await leftoverCaptures()).toEqual([]);
    });

    it('a drop on the path to node-2 (between the nodes): packets leave A and never arrive at node-2', async () => {
      // A "security group" on the lab's underlay bridge, inside the lab's own namespace.
      const port = 'n2';
      const rule = ['FORWARD', '-p', 'IPv4', '--ip-proto', 'udp', '--ip-dport', '8472', '-o', port, '-j', 'DROP'];
      const add = await execa('ip', ['netns', 'exec', state.underlayNetns, 'ebtables', '-A', ...rule], { reject: false });
      expect(add.exitCode, String(add.stderr)).toBe(0);
      try {
        const r = await run(await healthyPlan());
        const table = await flowTable(r.dir);
        for (const from of ['node-1', 'node-3']) {
          expect(row(table, from, 'node-2')[0]).toMatchObject({ verdict: 'lost', port: 8472, sent: 3, received: 0 });
          expect(row(table, from, 'node-2')[0].explanation).toMatch(new RegExp(`leave ${from}, never arrive at node-2`));
        }
        expect(row(table, 'node-1', 'node-3')[0].verdict).toBe('ok');
        expect(await readFile(path.join(r.dir, 'vxlan-flow-table.txt'), 'utf8')).toMatch(/node-1\s+node-2\s+\S+\s+\S+\s+8472\s+3\s+0\s+lost/);
        expect(await leftoverCaptures()).toEqual([]);
      } finally {
        await execa('ip', ['netns', 'exec', state.underlayNetns, 'ebtables', '-D', ...rule], { reject: false });
      }
    });
  });
});
