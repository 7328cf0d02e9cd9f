/**
 * Capture step edge cases against real sshd servers on 127.0.0.1 (no lab needed): a node
 * without tcpdump fails with tcpdump's/the shell's own message, and a capture that reaches its
 * packet cap (`max_packets`, tcpdump `-c`) ends by itself with status ok while its traffic
 * step still runs. Traffic stays on loopback (UDP to 127.0.0.1 on a port nothing listens on).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCaptureSync } from '../../src/analyze/pcap/index.js';
import { readManifest, runCli, runDirFrom } from '../helpers/cli.js';
import { startSshd, writeInventory, type SshdServer } from '../helpers/sshd.js';

const PORT = 48472;
let tmp = '';
let servers: SshdServer[] = [];
let inventory = '';

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ndtcap-sshd-'));
  const plain = await startSshd();
  // A node whose SSH sessions find no tcpdump on the PATH (sshd's SetEnv overrides PATH).
  const bare = await startSshd({ userKeyFile: plain.userKeyFile, extraConfig: ['SetEnv PATH=/ndtcap-nothing-here'] });
  servers = [plain, bare];
  inventory = await writeInventory(path.join(tmp, 'hosts.yaml'), [
    { name: 'capped', server: plain, vars: { node_ip: '198.18.77.1' } },
    { name: 'bare', server: bare },
  ]);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('capture step over plain sshd', () => {
  it('fails clearly without tcpdump, stops by itself at max_packets, and keeps node_ip as the underlay address', async () => {
    const plan = path.join(tmp, 'plan.yaml');
    await writeFile(
      plan,
      `name: capture-edges
steps:
  - name: Loopback capture
    id: cap
    hosts: all
    capture:
      interface: lo
      filter: udp dst port ${PORT}
      max_packets: 2
      during: [send]
  - name: Send datagrams
    id: send
    local: [bash, -c, "for i in 1 2 3 4 5 6; do printf x > /dev/udp/127.0.0.1/${PORT}; sleep 0.2; done"]
`,
    );
    const r = await runCli(['run', '-i', inventory, '-p', plan, '-o', path.join(tmp, 'out'), '--no-bundle']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    const dir = runDirFrom(r.stdout);
    const manifest = await readManifest(dir);
    const targets = Object.fromEntries(manifest.steps.find((s: any) => s.id === 'cap').targets.map((t: any) => [t.target, t]));

    expect(targets.bare).toMatchObject({ status: 'failed', exitCode: 127 });
    expect(targets.bare.error).toMatch(/^tcpdump is not installed on this node .*tcpdump failed \(exit code 127\): .*tcpdump: not found/);
    expect(targets.bare.files.map((f: any) => f.path)).not.toContain('captures/bare.pcap');

    expect(targets.capped).toMatchObject({ status: 'ok', exitCode: 0 });
    const pcap = readCaptureSync(await readFile(path.join(dir, 'captures/capped.pcap')));
    expect(pcap.records).toHaveLength(2);
    expect(await readFile(path.join(dir, 'cap/capped.txt'), 'utf8')).toMatch(/^capped: 2 packets \(0 VXLAN\), \d+ bytes → captures\/capped\.pcap \(tcpdump ended\)\n$/);
    expect(manifest.steps.find((s: any) => s.id === 'send').targets[0].status).toBe('ok');

    const table = JSON.parse(await readFile(path.join(dir, 'vxlan-flow-table.json'), 'utf8'));
    const row = table.rows.find((x: any) => x.from === 'capped');
    expect(row).toMatchObject({ to: 'bare', fromIp: '198.18.77.1', toIp: '127.0.0.1', verdict: 'no-capture' });
  });
});
