/**
 * The evidence loader: a real lab run directory, plus small run directories written here to
 * exercise unreachable hosts, the size cap, paths escaping the run directory, the flow table
 * and a broken manifest.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AnalysisContext } from '../../src/analyze/context.js';
import { loadEvidence } from '../../src/analyze/load-evidence.js';
import { InputError } from '../../src/errors.js';
import { LAB_RUNS } from '../fixtures/evidence/evidence-set.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'ndtan-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function runDir(name: string, steps: unknown[], files: Record<string, string>, extra: Record<string, unknown> = {}): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(path.join(dir, f), text);
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify({ status: 'completed', steps, ...extra }));
  return dir;
}

describe('loadEvidence on a lab run', () => {
  it('reads every step × target, the inventory addresses and the matrix', async () => {
    const ev = await loadEvidence(path.join(LAB_RUNS, 'healthy'));
    expect(ev.nodes).toEqual(['node-1', 'node-2', 'node-3']);
    expect(ev.nodeAddresses!['node-2']).toMatch(/^198\.18\.\d+\.12$/);
    const nat = ev.outputs.get('iptables_nat')!.get('node-2')!;
    expect(nat.file).toBe('iptables-nat-node-2.txt');
    expect(nat.text).toContain('*nat');
    expect(ev.connectivity!.matrix.results.length).toBeGreaterThan(0);
    expect(new AnalysisContext(ev).cni()).toBe('flannel');
  });

  it('records what was not collected and why', async () => {
    const ev = await loadEvidence(path.join(LAB_RUNS, 'healthy'));
    // A flannel lab has no IPPool CRD: kubectl failed, and the loader says so.
    expect(ev.missing).toContainEqual(expect.objectContaining({ step: 'calico_ippools', target: 'localhost', kind: 'failed' }));
    expect(ev.missing).toContainEqual(expect.objectContaining({ step: 'dmesg', kind: 'not-in-plan' }));
  });

  it('infers calico from a calico lab', async () => {
    expect(new AnalysisContext(await loadEvidence(path.join(LAB_RUNS, 'calico-healthy'))).cni()).toBe('calico');
  });
});

describe('loadEvidence on written run directories', () => {
  it('turns an unreachable host into "no SSH access" and keeps the other hosts', async () => {
    const dir = runDir(
      'unreachable',
      [{ id: 'sysctls', targets: [
        { target: 'node-1', status: 'ok', files: [{ path: 'sysctls-node-1.txt' }] },
        { target: 'node-2', status: 'unreachable', error: 'connect ETIMEDOUT 198.18.9.12:22', files: [] },
      ] }],
      { 'sysctls-node-1.txt': 'net.ipv4.ip_forward = 1\n' },
    );
    const ev = await loadEvidence(dir);
    expect(ev.nodes).toEqual(['node-1', 'node-2']);
    expect(ev.missing).toContainEqual({ step: 'sysctls', target: 'node-2', kind: 'unreachable', reason: 'no SSH access to node-2 (connect ETIMEDOUT 198.18.9.12:22)' });
    expect(new AnalysisContext(ev).why('iptables_nat', 'node-2')).toBe('iptables_nat not collected (not in this run: absent from the plan, or excluded by --tags/--limit)');
    expect(new AnalysisContext(ev).why('sysctls', 'node-2')).toBe('no SSH access to node-2 (connect ETIMEDOUT 198.18.9.12:22)');
  });

  it('caps the bytes read and never reads outside the run directory', async () => {
    writeFileSync(path.join(tmp, 'secret.txt'), 'outside');
    const dir = runDir(
      'caps',
      [
        { id: 'dmesg', targets: [{ target: 'node-1', status: 'ok', files: [{ path: 'dmesg-node-1.txt' }] }] },
        { id: 'resolv_conf', targets: [{ target: 'node-1', status: 'ok', files: [{ path: '../secret.txt' }] }] },
      ],
      { 'dmesg-node-1.txt': 'x'.repeat(5000) },
    );
    const ev = await loadEvidence(dir, { maxBytes: 1024 });
    const dmesg = ev.outputs.get('dmesg')!.get('node-1')!;
    expect([dmesg.text.length, dmesg.truncated]).toEqual([1024, true]);
    expect(ev.outputs.get('resolv_conf')!.has('node-1')).toBe(false);
  });

  it('reads the pcap decoder flow table and the CNI from the manifest', async () => {
    const table = {
      hosts: ['node-1', 'node-2'],
      rows: [
        { from: 'node-1', to: 'node-2', fromIp: '198.18.9.11', toIp: '198.18.9.12', port: 8472, sent: 30, received: 0, verdict: 'lost', explanation: 'x' },
        { from: 'node-2', to: 'node-1', fromIp: '198.18.9.12', toIp: '198.18.9.11', port: null, sent: null, received: 4, verdict: 'no-capture', explanation: 'y' },
        { from: 'bogus' },
      ],
      counts: {},
    };
    const dir = runDir('flows', [{ id: 'vxlan_capture', targets: [{ target: 'localhost', status: 'ok', files: [{ path: 'captures/summary.txt' }, { path: 'vxlan-flow-table.json' }] }] }], { 'vxlan-flow-table.json': JSON.stringify(table) }, { options: { cni: 'calico' } });
    const ev = await loadEvidence(dir);
    expect(ev.cni).toBe('calico');
    expect(ev.flows!.table.rows.map((r) => [r.from, r.to, r.verdict, r.sent])).toEqual([['node-1', 'node-2', 'lost', 30], ['node-2', 'node-1', 'no-capture', null]]);
    expect(ev.flows!.table.counts).toMatchObject({ lost: 1, 'no-capture': 1, ok: 0 });
  });

  it('rejects a run directory without a readable run.json as an InputError', async () => {
    const dir = path.join(tmp, 'broken');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'run.json'), '{"steps": [');
    await expect(loadEvidence(dir)).rejects.toThrow(InputError);
    await expect(loadEvidence(dir)).rejects.toThrow(/run\.json: cannot read the run manifest/);
  });
});
