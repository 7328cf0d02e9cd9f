/**
 * The malformed corpus through the BUILT CLI (`node dist/cli/index.js validate …`): each file
 * must exit 3 and name file:line:col in stderr. Plus `validate` / `list` on the good fixtures.
 * `npm test` builds first; run alone, this file builds dist/ when it is missing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCorpus, repoRoot } from './plan-corpus-fixtures.js';

const cli = path.join(repoRoot, 'dist/cli/index.js');
const goodPlan = 'test/fixtures/plans/good/all-kinds.yaml';
const minimalPlan = 'test/fixtures/plans/good/minimal.yaml';
const goodInventory = 'test/fixtures/inventories/good/hosts.yaml';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function netdiag(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(() => {
  if (!existsSync(cli)) execFileSync('npx', ['tsc', '-p', repoRoot], { cwd: repoRoot, stdio: 'inherit' });
  expect(existsSync(cli), `${cli} missing: run npm run build`).toBe(true);
});

describe('netdiag validate on the malformed corpus', () => {
  for (const c of readCorpus()) {
    it(`${c.file} → exit 3 naming ${c.expects.map((e) => `${e.line}${e.col ? `:${e.col}` : ''}`).join(', ')}`, async () => {
      const args = c.kind === 'plan' ? ['validate', c.file, ...(c.inventory ? ['-i', c.inventory] : [])] : ['validate', minimalPlan, '-i', c.file];
      const r = await netdiag(...args);
      expect(r.code, r.stderr).toBe(3);
      const lines = r.stderr.split('\n');
      for (const e of c.expects) {
        const prefix = `${c.file}:${e.line}:${e.col ?? ''}`;
        expect(
          lines.some((l) => l.startsWith(prefix) && l.includes(e.text)),
          `no line starting ${prefix} containing ${JSON.stringify(e.text)} in:\n${r.stderr}`,
        ).toBe(true);
      }
    });
  }
});

describe('netdiag validate / list on good input', () => {
  it('validate prints ok with the step count and exits 0', async () => {
    const r = await netdiag('validate', goodPlan, '-i', goodInventory, '-e', 'vxlan_port=4789');
    expect(r).toMatchObject({ code: 0, stdout: 'ok: 11 steps (all-kinds), inventory: 8 hosts\n' });
  });

  it('validate reports a missing plan file as invalid input', async () => {
    const r = await netdiag('validate', 'test/fixtures/plans/nope.yaml');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('test/fixtures/plans/nope.yaml: plan file not found');
  });

  it('list shows steps in order with kind, tags, remediation and the hosts each touches', async () => {
    const r = await netdiag('list', '-p', goodPlan, '-i', goodInventory, '-t', 'fix,iptables', '-l', 'workers:!gpu-b');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^plan: all-kinds \(.*all-kinds\.yaml\): 3 of 11 steps selected$/);
    expect(lines[1]).toMatch(/^\s+3\s+kubectl-nodes\s+kubectl\s+kubectl nodes\s+TAGS: \[nodes, always\]$/);
    expect(lines[3]).toMatch(/^\s+6\s+iptables-nat\s+ssh\s+iptables NAT\s+TAGS: \[iptables, nat\]$/);
    expect(lines[4]).toBe('       hosts: nodes → (4) node-1, node-2, node-3, gpu-a');
    expect(lines[5]).toMatch(/^\s+10\s+restart-kube-proxy\s+k8s\s+Restart kube-proxy\s+\[remediation\] TAGS: \[fix, never\]$/);
    expect(r.stdout).toContain('hosts touched (4): node-1, node-2, node-3, gpu-a');
  });

  it('list --json gives the same selection as data', async () => {
    const r = await netdiag('list', '-p', goodPlan, '-i', goodInventory, '--skip-tags', 'dns', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { steps: Array<{ id: string; kind: string; hosts?: string[]; remediation: boolean }>; hosts: string[] };
    expect(out.steps.map((s) => s.id)).toEqual(['kubectl-nodes', 'kubectl-version', 'local-resolver', 'iptables-nat', 'vxlan-ping', 'capture-vxlan', 'probe-matrix', 'node-routes-once']);
    expect(out.steps.find((s) => s.id === 'node-routes-once')?.hosts).toEqual(['bastion']); // run_once: first host
    expect(out.steps.find((s) => s.id === 'kubectl-nodes')?.hosts).toBeUndefined();
    expect(out.hosts).toEqual(['bastion', 'cp-1', 'node-1', 'node-2', 'node-3', 'gpu-a', 'gpu-b']); // inventory order
  });

  it('list without an inventory shows patterns unresolved; a bad --limit exits 3', async () => {
    const r = await netdiag('list', '-p', goodPlan);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hosts: nodes (give -i to resolve)');
    const bad = await netdiag('list', '-p', goodPlan, '-i', goodInventory, '-l', 'gpu-z');
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--limit: host pattern "gpu-z": no group or host named "gpu-z"');
  });

  it('run without an inventory names the SSH steps and how to proceed, before creating anything', async () => {
    const out = path.join(os.tmpdir(), `ndt-noinv-${process.pid}`);
    const r = await netdiag('run', '-p', goodPlan, '-o', out, '--no-bundle');
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/all-kinds\.yaml:\d+:\d+: steps\[\d+\]\.hosts: step ".+" targets hosts "nodes" but no --inventory was given/);
    expect(r.stderr).toMatch(/--inventory: \d+ step\(s\) run on nodes over SSH.*give -i\/--inventory .* or leave them out with --tags\/--skip-tags/);
    expect(existsSync(out)).toBe(false);
  });
});
