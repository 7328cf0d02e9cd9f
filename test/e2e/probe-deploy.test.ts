/**
 * The probe step deploying its own probe pods, and `k8s: apply/delete`, against a real lab
 * through the built CLI: the DaemonSet lands on every node (the control plane is tainted),
 * the matrix runs across nodes, and the DaemonSet, its pods and their network namespaces are
 * gone after the run — after a clean run, with vxlan-blocked@node-2, and after SIGINT.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectivityMatrix } from '../../src/analyze/types.js';
import type { LabState } from '../../src/lab/model.js';
import { readManifest, runCli, runDirFrom, spawnCli } from '../helpers/cli.js';
import { ensureBuilt, labPrerequisiteProblem, netdiag, usePrivateLabsRoot } from '../helpers/lab.js';

const LAB = `ndtpd${process.pid % 10000}`;
const SELECTOR = 'app=netdiag-probe-deployed';

const probePlan = (tests: string, extra = '') => `name: probe-deploy
steps:
  - name: matrix
    id: matrix
    timeout: 180s
    probe: { selector: ${SELECTOR}, deploy: { name: ndtpd-probe }, tests: [${tests}], per_test_timeout: 3s }
${extra}`;

const problem = await labPrerequisiteProblem();
const labsRoot = problem ? '' : usePrivateLabsRoot('probedeploy');

describe.skipIf(Boolean(problem))('probe step deploys (and removes) its probe DaemonSet; k8s apply/delete', () => {
  let state: LabState;
  let tmp: string;

  beforeAll(async () => {
    await ensureBuilt();
    tmp = await mkdtemp(path.join(tmpdir(), 'ndtpd-'));
    const up = await netdiag(['lab', 'up', '--name', LAB, '--nodes', '3', '--json']);
    if (up.exitCode !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    state = JSON.parse(readFileSync(JSON.parse(up.stdout).stateFile, 'utf8')) as LabState;
  }, 120_000);

  afterAll(async () => {
    // `lab down` removes every namespace with the lab's prefix, deployed pods included.
    await netdiag(['lab', 'down', '--all']);
    if (labsRoot) await rm(labsRoot, { recursive: true, force: true });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }, 120_000);

  const kubectl = async (args: string[]) => {
    const r = await execa('kubectl', ['--kubeconfig', state.files.kubeconfig, ...args], { reject: false });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  /** Names of DaemonSets and pods matching a label in all namespaces. */
  const leftovers = async (selector: string) => {
    const r = await kubectl(['get', 'ds,pods', '-A', '-l', selector, '-o', 'name']);
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean);
  };
  /** Pod network namespaces of the lab whose pod name starts with `podPrefix`. */
  const podNetns = async (podPrefix: string) => {
    const r = await execa('ip', ['netns', 'list']);
    return String(r.stdout).split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(`${state.prefix}pod-${podPrefix}`));
  };
  const writePlan = async (name: string, text: string) => {
    const file = path.join(tmp, `${name}.yaml`);
    await writeFile(file, text);
    return file;
  };
  const run = (plan: string) => runCli(['run', '-p', plan, '--kubeconfig', state.files.kubeconfig, '-o', path.join(tmp, 'out'), '--no-bundle'], { timeoutMs: 240_000 });
  const stepOutput = async (runDir: string) => {
    const files = (await readManifest(runDir)).steps.flatMap((st: any) => st.targets.flatMap((t: any) => (t.files ?? []).map((f: any) => f.path)));
    return (await Promise.all(files.map((f: string) => readFile(path.join(runDir, f), 'utf8').catch(() => '')))).join('\n');
  };
  const matrixOf = async (runDir: string) => JSON.parse(await readFile(path.join(runDir, 'connectivity-matrix.json'), 'utf8')) as ConnectivityMatrix;

  it('deploys one probe pod per node (control plane included), runs the matrix, removes everything', async () => {
    expect(await leftovers(SELECTOR)).toEqual([]);
    const r = await run(await writePlan('healthy', probePlan('pod-pod, pod-pod-large, pod-clusterip, dns-internal')));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const dir = runDirFrom(r.stdout);
    const m = await matrixOf(dir);
    expect(m.pods.map((p) => p.node).sort()).toEqual(state.nodes.map((n) => n.name).sort());
    expect(m.pods.every((p) => p.name.startsWith('ndtpd-probe-'))).toBe(true);
    const cross = m.results.filter((x) => x.test === 'pod-pod' && x.sameNode === false);
    expect(cross.length).toBe(6);
    expect(m.results.filter((x) => x.test === 'pod-clusterip').length).toBeGreaterThan(0);
    expect(m.results.filter((x) => !x.ok), JSON.stringify(m.results.filter((x) => !x.ok))).toEqual([]);
    expect(JSON.stringify(await readManifest(dir)) + r.stdout + (await stepOutput(dir))).toContain('deploying DaemonSet netdiag/ndtpd-probe');
    expect(await leftovers(SELECTOR)).toEqual([]);
    expect(await podNetns('ndtpd-probe-')).toEqual([]);
  }, 240_000);

  it('SIGINT during the run: exit 130 and the deployed DaemonSet and pods are removed', async () => {
    const plan = await writePlan('sigint', probePlan('pod-pod', `  - name: wait\n    id: wait\n    local: sleep 60\n`));
    const child = spawnCli(['run', '-p', plan, '--kubeconfig', state.files.kubeconfig, '-o', path.join(tmp, 'out'), '--no-bundle']);
    let seen: string[] = [];
    for (let i = 0; i < 150 && seen.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      seen = (await leftovers(SELECTOR)).filter((n) => n.startsWith('daemonset'));
    }
    expect(seen, 'the probe DaemonSet never appeared').toEqual(['daemonset.apps/ndtpd-probe']);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode, String(r.stdout) + String(r.stderr)).toBe(130);
    expect(await leftovers(SELECTOR)).toEqual([]);
    expect(await podNetns('ndtpd-probe-')).toEqual([]);
    expect((await readManifest(runDirFrom(String(r.stdout)))).status).toBe('interrupted');
  }, 120_000);

  it('k8s apply creates a DaemonSet that is removed at the end of the run; k8s delete removes one', async () => {
    const ds = (name: string) => ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name, namespace: 'ndtpd' },
      spec: {
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'nicolaka/netshoot:v0.13', command: ['sleep', 'infinity'] }] } },
      },
    });
    // `check` runs while the applied DaemonSet exists; without tolerations it skips the tainted control plane.
    const plan = await writePlan('apply', `name: apply
steps:
  - { name: apply, id: apply, k8s: { apply: ${JSON.stringify(ds('ndtpd-applied'))} } }
  - { name: check, id: check, k8s: { list: pods, namespace: ndtpd, labelSelector: app=ndtpd-applied, output: json }, save: applied-pods.json }
  - { name: apply2, id: apply2, k8s: { apply: ${JSON.stringify(ds('ndtpd-deleted'))} } }
  - { name: delete, id: delete, k8s: { delete: daemonset/ndtpd-deleted, namespace: ndtpd } }
  - { name: gone, id: gone, k8s: { list: daemonsets, namespace: ndtpd, output: json }, save: after-delete.json }
`);
    const r = await run(plan);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const dir = runDirFrom(r.stdout);
    const pods = JSON.parse(await readFile(path.join(dir, 'applied-pods.json'), 'utf8'));
    expect(pods.items.map((p: any) => p.spec.nodeName).sort()).toEqual(['node-2', 'node-3']);
    expect(pods.items.every((p: any) => p.status.phase === 'Running' && p.status.podIP)).toBe(true);
    const after = JSON.parse(await readFile(path.join(dir, 'after-delete.json'), 'utf8'));
    expect(after.items.map((d: any) => d.metadata.name)).toEqual(['ndtpd-applied']);
    expect(await leftovers('app in (ndtpd-applied,ndtpd-deleted)')).toEqual([]);
    expect(await podNetns('ndtpd-')).toEqual([]);
    // Deleting what does not exist is a clear 404, as a step failure.
    const missing = await run(await writePlan('delete-missing', `name: del\nsteps:\n  - { name: delete, id: delete, k8s: { delete: daemonset/ndtpd-nothing, namespace: ndtpd } }\n`));
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stdout + missing.stderr).toContain('daemonsets.apps "ndtpd-nothing" not found');
  }, 120_000);

  it('with vxlan-blocked@node-2 the deployed pods show the cross-node failures to node-2', async () => {
    // Last test: the fault stays until afterAll tears the lab down.
    const inject = await netdiag(['lab', 'inject', '--name', LAB, 'vxlan-blocked@node-2']);
    expect(inject.exitCode, inject.stderr).toBe(0);
    {
      const r = await run(await writePlan('fault', probePlan('pod-pod, pod-pod-small')));
      expect(r.exitCode, r.stdout + r.stderr).toBe(0);
      const m = await matrixOf(runDirFrom(r.stdout));
      const node = new Map(m.pods.map((p) => [p.name, p.node]));
      expect(m.pods.map((p) => p.node).sort()).toEqual(['node-1', 'node-2', 'node-3']);
      const pairs = m.results.filter((x) => x.test === 'pod-pod' || x.test === 'pod-pod-small');
      expect(pairs.length).toBe(12);
      for (const x of pairs) {
        const touchesNode2 = node.get(x.from) === 'node-2' || node.get(x.to) === 'node-2';
        expect(x.ok, JSON.stringify(x)).toBe(!touchesNode2);
      }
      expect(await leftovers(SELECTOR)).toEqual([]);
      expect(await podNetns('ndtpd-probe-')).toEqual([]);
    }
  }, 300_000);
});
