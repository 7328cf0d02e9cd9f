/**
 * Cluster-level pieces of the `k8s:` step kind against a real Calico lab: a CRD list through the
 * built CLI compared with kubectl, the RBAC preflight (SelfSubjectAccessReview) with the lab's
 * deny knob, node discovery (`hosts: k8s:nodes…` → inventory hosts), and an API server that is
 * killed mid-life: the API steps fail with one clear message while the SSH steps still run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflightKube, preflightRun } from '../../src/engine/preflight.js';
import { resolveClusterHosts } from '../../src/inventory/cluster-nodes.js';
import { loadInventory } from '../../src/inventory/load.js';
import type { LabState } from '../../src/lab/model.js';
import { parsePlan } from '../../src/plan/load.js';
import { KubeSession } from '../../src/transport/kube-session.js';
import { readManifest, runCli, runDirFrom } from '../helpers/cli.js';
import { ensureBuilt, labPrerequisiteProblem, netdiag, pidAlive, usePrivateLabsRoot, upLab } from '../helpers/lab.js';
import { kubectl } from './lab-api-helpers.js';

const PREFLIGHT_PLAN = `name: preflight
vars: { ns: kube-system }
steps:
  - { name: pods, id: pods, k8s: { list: pods, allNamespaces: true } }
  - { name: pools, id: pools, k8s: { list: ippools.crd.projectcalico.org } }
  - { name: exec, id: exec, k8s: { exec: [ip, addr], labelSelector: app=netdiag-probe } }
  - { name: logs, id: logs, k8s: { logs: true, namespace: "{{vars.ns}}", labelSelector: k8s-app=calico-node } }
  - { name: restart, id: restart, remediation: true, k8s: { rolloutRestart: daemonset/calico-node, namespace: kube-system } }
  - { name: matrix, id: matrix, probe: { namespace: default } }
  - { name: shell, id: shell, hosts: all, ssh: hostname }
`;

const problem = await labPrerequisiteProblem();
const labsRoot = problem ? '' : usePrivateLabsRoot('k8scluster');

describe.skipIf(Boolean(problem))('k8s steps: CRDs, RBAC preflight, node discovery, API server down (Calico lab)', () => {
  let state: LabState;
  let tmp: string;

  beforeAll(async () => {
    await ensureBuilt();
    tmp = await mkdtemp(path.join(tmpdir(), 'ndtk8sc-'));
    state = await upLab('ndtk8sc', ['--nodes', '3', '--cni', 'calico']);
  });

  afterAll(async () => {
    await netdiag(['lab', 'down', '--all']);
    if (labsRoot) await rm(labsRoot, { recursive: true, force: true });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  async function openSession(): Promise<KubeSession> {
    const s = await KubeSession.open({ kubeconfig: state.files.kubeconfig });
    if ('error' in s) throw new Error(s.error);
    return s;
  }

  it('lists a Calico CRD (ippools.crd.projectcalico.org) like kubectl does', async () => {
    const plan = path.join(tmp, 'crd.yaml');
    await writeFile(plan, `name: crd\nsteps:\n  - name: pools\n    id: pools\n    k8s: { list: ippools.crd.projectcalico.org, output: json }\n    save: ippools.json\n`);
    const r = await runCli(['run', '-p', plan, '--kubeconfig', state.files.kubeconfig, '-o', path.join(tmp, 'out'), '--no-bundle']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const dir = runDirFrom(r.stdout);
    const ours = JSON.parse(await readFile(path.join(dir, 'ippools.json'), 'utf8'));
    const k = await kubectl(state.files.kubeconfig, tmp, ['get', 'ippools.crd.projectcalico.org', '-o', 'json']);
    expect(k.exitCode, k.stderr).toBe(0);
    expect(ours.items).toEqual(JSON.parse(k.stdout).items);
    expect(ours.items.length).toBeGreaterThan(0);
    expect(ours.items[0]).toMatchObject({ apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', spec: { vxlanMode: 'Always' } });
    expect((await readManifest(dir)).steps[0].targets[0].command).toBe('kubectl get ippools.crd.projectcalico.org -o json');
  });

  it('RBAC preflight: SelfSubjectAccessReview denies exactly the steps the deny knob forbids', async () => {
    const plan = parsePlan(path.join(tmp, 'preflight.yaml'), PREFLIGHT_PLAN);
    const policy = path.join(state.dir, 'api-policy.json');
    await writeFile(policy, JSON.stringify({ deny: ['create:pods/exec', 'patch:daemonsets.apps', '*:ippools.crd.projectcalico.org'] }));
    try {
      const session = await openSession();
      const render = (_s: unknown, t: string) => t.replace('{{vars.ns}}', 'kube-system');
      const r = await preflightKube(plan.steps, session, { renderText: render });
      expect(Object.fromEntries(r.denied)).toEqual({
        pools: 'no permission: cannot list ippools.crd.projectcalico.org cluster-wide',
        exec: 'no permission: cannot create pods/exec in namespace default',
        restart: 'no permission: cannot patch daemonsets.apps in namespace kube-system',
        matrix: 'no permission: cannot create pods/exec in namespace default',
      });
      expect(r.notes).toEqual([]);

      // The run's entry point: plan vars rendered; under --check remediation steps are not asked about.
      const run = await preflightRun(plan.steps, { session: async () => session }, { vars: plan.vars, check: true });
      expect([...run.denied.keys()]).toEqual(['pools', 'exec', 'matrix']);
      expect(run.notes).toEqual([]);

      // Without a renderer the templated namespace is a note, not a guess.
      const unrendered = await preflightKube(plan.steps.filter((s) => s.id === 'logs'), session);
      expect(unrendered.denied.size).toBe(0);
      expect(unrendered.notes).toEqual(['logs: "list pods in namespace {{vars.ns}}" not checked (templated value)', 'logs: "get pods/log in namespace {{vars.ns}}" not checked (templated value)']);

      // Through the CLI: denied steps are skipped with the reason before anything runs, the rest runs.
      const planFile = path.join(tmp, 'preflight-cli.yaml');
      await writeFile(planFile, PREFLIGHT_PLAN);
      const cli = await runCli(['run', '-p', planFile, '-i', state.files.inventory, '--kubeconfig', state.files.kubeconfig, '--check', '-o', path.join(tmp, 'out'), '--no-bundle']);
      expect(cli.stderr).toContain('netdiag: step exec will be skipped: no permission: cannot create pods/exec in namespace default');
      const m = await readManifest(runDirFrom(cli.stdout));
      const status = Object.fromEntries(m.steps.map((st: any) => [st.id, `${st.targets[0].status}${st.targets[0].reason?.startsWith('no permission') ? ' (denied)' : ''}`]));
      expect(status).toEqual({ pods: 'ok', pools: 'skipped (denied)', exec: 'skipped (denied)', logs: 'ok', restart: 'would-run', matrix: 'skipped (denied)', shell: 'ok' });
      expect(cli.exitCode, cli.stdout + cli.stderr).toBe(0);
    } finally {
      await rm(policy, { force: true });
    }
    // Policy gone: nothing is denied.
    expect((await preflightKube(plan.steps, await openSession())).denied.size).toBe(0);
  });

  it('node discovery: k8s:nodes and a label selector map to inventory hosts by name or InternalIP', async () => {
    const session = await openSession();
    const labInventory = await loadInventory(state.files.inventory);
    const all = await resolveClusterHosts('k8s:nodes', labInventory, session);
    expect(all).toEqual({ hosts: ['node-1', 'node-2', 'node-3'].map((n) => labInventory.hosts.get(n)), unmatched: [] });
    const cp = await resolveClusterHosts('k8s:nodes?labelSelector=node-role.kubernetes.io/control-plane', labInventory, session);
    expect(cp.hosts.map((h) => h.name)).toEqual(['node-1']);
    const workers = await resolveClusterHosts('k8s:nodes?labelSelector=!node-role.kubernetes.io/control-plane', labInventory, session);
    expect(workers.hosts.map((h) => h.name)).toEqual(['node-2', 'node-3']);

    // An inventory that names hosts differently: matched by ansible_host = InternalIP; node-3 missing.
    const [n1, n2, n3] = state.nodes;
    const inv = path.join(tmp, 'renamed.yaml');
    await writeFile(inv, `all:\n  hosts:\n    ${n1.name}:\n      ansible_host: ${n1.address}\n    worker-a.lab.example:\n      ansible_host: ${n2.address}\n`);
    const renamed = await resolveClusterHosts('k8s:nodes', await loadInventory(inv), session);
    expect(renamed.hosts.map((h) => [h.name, h.address])).toEqual([[n1.name, n1.address], ['worker-a.lab.example', n2.address]]);
    expect(renamed.unmatched).toEqual([`${n3.name} (${n3.address})`]);
  });

  it('API server killed: API steps fail with one clear message, SSH steps still run (exit 2)', async () => {
    const pid = state.api.pid!;
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 40 && pidAlive(pid); i++) await new Promise((res) => setTimeout(res, 100));
    expect(pidAlive(pid)).toBe(false);
    const plan = path.join(tmp, 'down.yaml');
    await writeFile(
      plan,
      `name: down
steps:
  - { name: pods, id: pods, k8s: { list: pods } }
  - { name: hostname, id: hostname, hosts: nodes, ssh: hostname }
  - { name: events, id: events, k8s: { events: true } }
`,
    );
    const r = await runCli(['run', '-p', plan, '-i', state.files.inventory, '--kubeconfig', state.files.kubeconfig, '-o', path.join(tmp, 'out'), '--no-bundle']);
    expect(r.exitCode, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const m = await readManifest(runDirFrom(r.stdout));
    const byId = (id: string) => m.steps.find((s: any) => s.id === id).targets;
    const why = `cannot reach the API server ${state.api.url}: connect ECONNREFUSED 127.0.0.1:${state.api.port}`;
    expect(byId('pods')[0]).toMatchObject({ status: 'failed', error: why });
    expect(byId('events')[0]).toMatchObject({ status: 'failed', error: why });
    expect(byId('hostname').map((t: any) => t.status)).toEqual(['ok', 'ok', 'ok']);
  });
});
