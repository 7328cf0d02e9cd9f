/**
 * `netdiag run` end to end against real sshd servers on 127.0.0.1 (issue 2's acceptance):
 * artifacts and manifest, unreachable hosts, timeouts that really kill, streaming memory,
 * check mode, host-key refusal, --limit/--tags, SIGINT.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peakRss, readManifest, runCli, runDirFrom, spawnCli } from '../helpers/cli.js';
import { startSshd, writeInventory, type SshdServer } from '../helpers/sshd.js';

let tmp: string;
let servers: SshdServer[] = [];
let inventory: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ndt-run-'));
  const first = await startSshd();
  servers = [first, ...(await Promise.all([1, 2].map(() => startSshd({ userKeyFile: first.userKeyFile }))))];
  inventory = await writeInventory(
    path.join(tmp, 'hosts.yaml'),
    servers.map((server, i) => ({ name: `node-${i + 1}`, server })),
    { groups: { nodes: ['node-1', 'node-2', 'node-3'], workers: ['node-2', 'node-3'] } },
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function plan(name: string, body: string): Promise<string> {
  const file = path.join(tmp, `${name}.yaml`);
  await writeFile(file, `name: ${name}\n${body}`);
  return file;
}

const out = () => path.join(tmp, 'artifacts');
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

describe('netdiag run over SSH', () => {
  it('runs ssh and local steps on 3 hosts and records every file with its checksum', async () => {
    const p = await plan('three', `steps:
  - name: who am i
    hosts: nodes
    ssh: echo {{host.name}} from $(hostname) ; echo warn >&2
    save: "who-{{host.name}}.txt"
  - name: routes
    hosts: nodes
    ssh: ip route show table local | head -n 3
  - name: local note
    local: [echo, "local {{vars.greeting}}"]
    tags: [local]
vars: { greeting: hi }
`);
    const r = await runCli(['run', '-i', inventory, '-p', p, '-o', out()]);
    expect(r.stderr).toBe('');
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const dir = runDirFrom(r.stdout);
    expect(dir.startsWith(path.join(out(), 'three'))).toBe(true);
    const m = await readManifest(dir);
    expect(m.status).toBe('completed');
    expect(m.steps.map((s: any) => s.targets.length)).toEqual([3, 3, 1]);
    for (const i of [1, 2, 3]) {
      expect(await readFile(path.join(dir, `who-node-${i}.txt`), 'utf8')).toBe(`node-${i} from ${os.hostname()}\n`);
      expect(await readFile(path.join(dir, `who-node-${i}.stderr.txt`), 'utf8')).toBe('warn\n');
    }
    for (const s of m.steps) for (const t of s.targets) for (const f of t.files) {
      expect(await sha256(path.join(dir, f.path))).toBe(f.sha256);
    }
    expect(await readFile(path.join(dir, 'local-note/localhost.txt'), 'utf8')).toBe('local hi\n');
    expect(r.stdout).toMatch(/node-2\s+: ok=2 failed=0/);
  });

  it('marks a closed port unreachable (exit 4) and completes the other hosts', async () => {
    const inv = await writeInventory(path.join(tmp, 'dead-hosts.yaml'), [
      { name: 'up', server: servers[0] },
      { name: 'down', server: { ...servers[0], port: 1 } },
    ]);
    const p = await plan('dead', `steps:\n  - { name: a, hosts: all, ssh: echo a }\n  - { name: b, hosts: all, ssh: echo b }\n`);
    const r = await runCli(['run', '-i', inv, '-p', p, '-o', out()]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(4);
    const m = await readManifest(runDirFrom(r.stdout));
    const down = m.steps.map((s: any) => s.targets.find((t: any) => t.target === 'down'));
    expect(down[0].status).toBe('unreachable');
    expect(down[1]).toMatchObject({ status: 'skipped' });
    expect(m.steps.map((s: any) => s.targets.find((t: any) => t.target === 'up').status)).toEqual(['ok', 'ok']);
    expect(r.stdout).toMatch(/down\s+: ok=0 failed=0 timedout=0 unreachable=1/);
  });

  it('kills a command that outlives its timeout, leaving no remote process (exit 2)', async () => {
    const marker = `ndtmarker${process.pid}${Date.now()}`;
    const p = await plan('hang', `steps:\n  - name: hang\n    hosts: node-1\n    timeout: 1s\n    ssh: "sh -c 'sleep 300; echo ${marker}' & sleep 301 ; echo ${marker}"\n`);
    const r = await runCli(['run', '-i', inventory, '-p', p, '-o', out()]);
    expect(r.exitCode, r.stderr + r.stdout).toBe(2);
    const m = await readManifest(runDirFrom(r.stdout));
    expect(m.steps[0].targets[0].status).toBe('timedout');
    const left = await execa('pgrep', ['-f', marker], { reject: false });
    expect(left.stdout).toBe('');
  });

  it('streams a 200 MB output to disk with the runner under 150 MB RSS', async () => {
    const p = await plan('big', `steps:\n  - { name: big, hosts: node-1, ssh: "head -c 200000000 /dev/zero", save: big.bin, timeout: 2m }\n`);
    // --no-bundle: this measures collection; bundling has its own benchmark in bench/.
    const child = spawnCli(['run', '-i', inventory, '-p', p, '-o', out(), '--no-bundle']);
    let peak = 0;
    const sampler = setInterval(async () => (peak = Math.max(peak, (await peakRss(child.pid!)) ?? 0)), 100);
    const r = await child;
    clearInterval(sampler);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const dir = runDirFrom(String(r.stdout));
    const m = await readManifest(dir);
    expect(m.steps[0].targets[0].files[0]).toMatchObject({ path: 'big.bin', bytes: 200_000_000 });
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(150 * 1024 * 1024);
  });

  it('never runs a remediation step under --check and records would-run with the command', async () => {
    const flag = path.join(tmp, 'remediated');
    const p = await plan('remedy', `steps:\n  - name: fix it\n    hosts: node-1\n    remediation: true\n    ssh: touch ${flag}\n`);
    const r = await runCli(['run', '-i', inventory, '-p', p, '-o', out(), '--check']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(existsSync(flag)).toBe(false);
    const m = await readManifest(runDirFrom(r.stdout));
    expect(m.steps[0].targets[0]).toMatchObject({ status: 'would-run', command: `touch ${flag}` });
    const real = await runCli(['run', '-i', inventory, '-p', p, '-o', out()]);
    expect(real.exitCode).toBe(0);
    expect(existsSync(flag)).toBe(true);
  });

  it('refuses a changed host key under strict and accepts-new an unknown one', async () => {
    const wrongKnown = path.join(tmp, 'wrong_known_hosts');
    const other = servers[1].hostKeyLine.split(' ').slice(1).join(' ');
    await writeFile(wrongKnown, `[127.0.0.1]:${servers[0].port} ${other}\n`);
    const inv = await writeInventory(path.join(tmp, 'strict.yaml'), [{ name: 'n1', server: servers[0] }], { knownHostsFile: wrongKnown });
    const p = await plan('keys', `steps:\n  - { name: a, hosts: all, ssh: echo a }\n`);
    const r = await runCli(['run', '-i', inv, '-p', p, '-o', out(), '--ssh-host-keys', 'strict']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(4);
    const m = await readManifest(runDirFrom(r.stdout));
    expect(m.steps[0].targets[0].status).toBe('unreachable');
    expect(m.steps[0].targets[0].error).toMatch(/host key/i);

    const empty = path.join(tmp, 'empty_known_hosts');
    await writeFile(empty, '');
    const inv2 = await writeInventory(path.join(tmp, 'new.yaml'), [{ name: 'n1', server: servers[0] }], { knownHostsFile: empty });
    const ok = await runCli(['run', '-i', inv2, '-p', p, '-o', out()]);
    expect(ok.exitCode).toBe(0);
    expect(await readFile(empty, 'utf8')).toContain(servers[0].hostKeyLine.split(' ').slice(1).join(' '));
  });

  it("honours the inventory's StrictHostKeyChecking=yes unless --ssh-host-keys is given", async () => {
    const empty = path.join(tmp, 'strict_inventory_known_hosts');
    await writeFile(empty, '');
    const args = `-o UserKnownHostsFile=${empty} -o StrictHostKeyChecking=yes`;
    const inv = await writeInventory(path.join(tmp, 'inv-strict.yaml'), [{ name: 'n1', server: servers[0], vars: { ansible_ssh_common_args: args } }]);
    const p = await plan('strict-from-inventory', `steps:\n  - { name: a, hosts: all, ssh: echo a }\n`);
    const refused = await runCli(['run', '-i', inv, '-p', p, '-o', out()]);
    expect(refused.exitCode, refused.stderr + refused.stdout).toBe(4);
    expect(refused.stderr).not.toMatch(/StrictHostKeyChecking/);
    const m = await readManifest(runDirFrom(refused.stdout));
    expect(m.steps[0].targets[0].error).toMatch(/host key/i);
    expect(await readFile(empty, 'utf8')).toBe('');

    const forced = await runCli(['run', '-i', inv, '-p', p, '-o', out(), '--ssh-host-keys', 'accept-new']);
    expect(forced.exitCode, forced.stderr + forced.stdout).toBe(0);
    expect(await readFile(empty, 'utf8')).toContain(servers[0].hostKeyLine.split(' ').slice(1).join(' '));
  });

  it('selects exactly the step×host pairs that --limit and --tags ask for', async () => {
    const p = await plan('select', `steps:
  - { name: dns, hosts: nodes, ssh: echo dns, tags: [dns] }
  - { name: vxlan, hosts: nodes, ssh: echo vxlan, tags: [vxlan] }
  - { name: always, hosts: nodes, ssh: echo always, tags: [always] }
  - { name: other, hosts: nodes, ssh: echo other }
`);
    const r = await runCli(['run', '-i', inventory, '-p', p, '-o', out(), '--limit', 'workers:!node-3', '--tags', 'dns,vxlan']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const m = await readManifest(runDirFrom(r.stdout));
    const pairs = m.steps.flatMap((s: any) => s.targets.map((t: any) => `${s.id}@${t.target}`));
    expect(pairs).toEqual(['dns@node-2', 'vxlan@node-2', 'always@node-2']);
  });

  it('on SIGINT stops, kills running commands, keeps finished outputs and exits 130', async () => {
    // A sleep length no other test file uses, so pgrep below sees only this test's processes.
    const sleeper = `sleep 60.${process.pid}`;
    const p = await plan('interrupt', `steps:
  - { name: quick, hosts: nodes, ssh: "echo done-{{host.name}}" }
  - { name: slow, hosts: nodes, ssh: ${sleeper}, timeout: 2m }
  - { name: never, hosts: nodes, ssh: echo never }
`);
    const child = spawnCli(['run', '-i', inventory, '-p', p, '-o', out()]);
    let stdout = '';
    let sent = false;
    child.stdout!.on('data', (d) => {
      stdout += String(d);
      if (!sent && stdout.includes('TASK [slow]')) {
        sent = true;
        setTimeout(() => child.kill('SIGINT'), 500);
      }
    });
    const r = await child;
    expect(r.exitCode, r.stderr + r.stdout).toBe(130);
    const m = await readManifest(runDirFrom(String(r.stdout)));
    expect(m.status).toBe('interrupted');
    expect(m.steps.map((s: any) => s.id)).toEqual(['quick', 'slow']);
    expect(m.steps[1].targets.every((t: any) => t.status === 'interrupted')).toBe(true);
    expect(await readFile(path.join(m.runDir, 'quick/node-2.txt'), 'utf8')).toBe('done-node-2\n');
    expect((await execa('pgrep', ['-f', sleeper], { reject: false })).stdout).toBe('');
  });
});
