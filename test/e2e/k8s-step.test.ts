/**
 * The `k8s:` step kind end to end: the BUILT CLI (`netdiag run --kubeconfig …`) against a real
 * lab (flannel, kube-proxy-crashloop) — reads compared with what kubectl returns for the same
 * query, logs, events, exec exit codes and timeouts, rollout restart as a remediation that
 * really heals, 401/403 as step failures (exit 2), and an API server that is down while the
 * SSH steps of the same plan still run. Calico CRDs, the RBAC preflight and node discovery
 * live in k8s-step-cluster.test.ts.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/model.js';
import { readManifest, runCli, runDirFrom, spawnCli } from '../helpers/cli.js';
import { dig, ensureBuilt, labPrerequisiteProblem, netdiag, probeOn, usePrivateLabsRoot, upLab } from '../helpers/lab.js';
import { kubectl } from './lab-api-helpers.js';

const problem = await labPrerequisiteProblem();
const labsRoot = problem ? '' : usePrivateLabsRoot('k8sstep');

describe.skipIf(Boolean(problem))('k8s step kind against the lab', () => {
  let state: LabState;
  let tmp: string;
  let planNo = 0;
  const k = (...args: string[]) => kubectl(state.files.kubeconfig, tmp, args);

  beforeAll(async () => {
    await ensureBuilt();
    tmp = await mkdtemp(path.join(tmpdir(), 'ndtk8s-'));
    state = await upLab('ndtk8s', ['--nodes', '3', '--fault', 'kube-proxy-crashloop']);
  });

  afterAll(async () => {
    await netdiag(['lab', 'down', '--all']);
    if (labsRoot) await rm(labsRoot, { recursive: true, force: true });
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** Writes a plan, runs the built CLI on it, returns the exit code, manifest and run dir. */
  async function run(steps: string, opts: { kubeconfig?: string; inventory?: boolean; check?: boolean; whenStepStarts?: [string, () => Promise<void>] } = {}) {
    const file = path.join(tmp, `plan-${++planNo}.yaml`);
    await writeFile(file, `name: k8sstep${planNo}\nsteps:\n${steps}`);
    const args = ['run', '-p', file, '--kubeconfig', opts.kubeconfig ?? state.files.kubeconfig, '-o', path.join(tmp, 'out'), '--no-bundle'];
    if (opts.inventory) args.push('-i', state.files.inventory);
    if (opts.check) args.push('--check');
    let r: { exitCode: number; stdout: string; stderr: string };
    if (opts.whenStepStarts) {
      // Something must change while the run is under way (after the preflight): act when the step starts.
      const [stepName, act] = opts.whenStepStarts;
      const child = spawnCli(args);
      let out = '';
      let acted: Promise<void> | undefined;
      child.stdout!.on('data', (d) => {
        out += String(d);
        if (!acted && out.includes(`TASK [${stepName}]`)) acted = act();
      });
      const done = await child;
      await acted;
      r = { exitCode: done.exitCode ?? -1, stdout: String(done.stdout), stderr: String(done.stderr) };
    } else r = await runCli(args);
    const dir = runDirFrom(r.stdout);
    const manifest = await readManifest(dir);
    const target = (id: string) => manifest.steps.find((s: any) => s.id === id)?.targets[0];
    const text = (rel: string) => readFile(path.join(dir, rel), 'utf8');
    return { ...r, dir, manifest, target, text };
  }

  /** What kubectl says for the same query (-o json), parsed. */
  async function kubectlJson(...args: string[]) {
    const r = await k(...args, '-o', 'json');
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }
  /** The fields of an object that do not move while the lab runs (status does: crash loops). */
  const stable = (o: any) => ({ apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata, spec: o.spec });

  it('list pods: labelSelector (yaml), fieldSelector across all namespaces (json) — the same objects kubectl returns', async () => {
    const r = await run(`  - name: probe pods
    id: probes
    k8s: { list: pods, labelSelector: app=netdiag-probe }
    save: probes.yaml
  - name: node-2 pods everywhere
    id: node2
    k8s: { list: pods, allNamespaces: true, fieldSelector: spec.nodeName=node-2, output: json }
    save: node2-pods.json
`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const { parse } = await import('yaml');
    const probes = parse(await r.text('probes.yaml'));
    const kProbes = await kubectlJson('get', 'pods', '-l', 'app=netdiag-probe');
    expect(probes.items.map(stable)).toEqual(kProbes.items.map(stable));
    expect(probes.items).toHaveLength(3);
    // Raw API timestamps, not the client library's Date rewrite (…T08:15:13.000Z).
    expect(probes.items[0].metadata.creationTimestamp).toMatch(/T\d\d:\d\d:\d\dZ$/);

    const node2 = JSON.parse(await r.text('node2-pods.json'));
    const kNode2 = await kubectlJson('get', 'pods', '-A', '--field-selector', 'spec.nodeName=node-2');
    expect(node2.items.map(stable)).toEqual(kNode2.items.map(stable));
    expect(new Set(node2.items.map((p: any) => p.metadata.namespace))).toEqual(new Set(['default', 'kube-flannel', 'kube-system']));
    expect(r.target('node2')).toMatchObject({ status: 'ok', exitCode: 0, command: 'kubectl get pods -A --field-selector=spec.nodeName=node-2 -o json' });
  });

  it('get one object (short name ds) equals kubectl get ds kube-proxy', async () => {
    const r = await run(`  - name: kube-proxy ds
    id: ds
    k8s: { get: ds, name: kube-proxy, namespace: kube-system, output: json }
    save: ds.json
`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const ds = JSON.parse(await r.text('ds.json'));
    expect(stable(ds)).toEqual(stable(await kubectlJson('get', 'ds', 'kube-proxy', '-n', 'kube-system')));
    expect(ds).toMatchObject({ kind: 'DaemonSet', apiVersion: 'apps/v1', metadata: { name: 'kube-proxy' } });
  });

  it('logs for a selector: one header per container, tailLines / previous / limitBytes as kubectl', async () => {
    const r = await run(`  - name: kube-proxy previous logs
    id: kp
    k8s: { logs: true, namespace: kube-system, labelSelector: k8s-app=kube-proxy, tailLines: 2, previous: true }
    save: kp.txt
  - name: coredns logs capped
    id: dns
    k8s: { logs: true, namespace: kube-system, labelSelector: k8s-app=kube-dns, limitBytes: 40 }
    save: dns.txt
  - name: probe has no previous instance
    id: noprev
    k8s: { logs: true, labelSelector: app=netdiag-probe, previous: true }
    save: noprev.txt
`);
    const kpPods = state.pods.filter((p) => p.labels['k8s-app'] === 'kube-proxy').map((p) => p.name).sort();
    const kp = await r.text('kp.txt');
    const sections = kp.split(/^==> /m).filter(Boolean);
    expect(sections.map((s) => s.split(' <==')[0])).toEqual(kpPods.map((p) => `kube-system/${p} [kube-proxy] (previous)`));
    for (const [i, pod] of kpPods.entries()) {
      const want = await k('logs', '-n', 'kube-system', pod, '--previous', '--tail=2');
      expect(want.stdout.length).toBeGreaterThan(0);
      expect(sections[i]).toBe(`kube-system/${pod} [kube-proxy] (previous) <==\n${want.stdout}\n\n`);
    }
    const dnsPod = state.pods.find((p) => p.labels['k8s-app'] === 'kube-dns')!.name;
    const capped = await k('logs', '-n', 'kube-system', dnsPod, '--limit-bytes=40');
    expect(capped.stdout.length).toBeLessThanOrEqual(40);
    expect(await r.text('dns.txt')).toBe(`==> kube-system/${dnsPod} [coredns] <==\n${capped.stdout}\n`);
    expect(r.target('kp')).toMatchObject({ status: 'ok', command: 'kubectl logs -l k8s-app=kube-proxy -n kube-system --all-containers --tail=2 --previous' });
    // No container had a previous instance: a failed step that says why, in the file too.
    expect(r.target('noprev')).toMatchObject({ status: 'failed', error: expect.stringMatching(/no logs could be read from 3 pod\(s\): .*previous terminated container/) });
    expect(await r.text('noprev.txt')).toMatch(/^\(cannot read logs of default\/netdiag-probe-\S+ \[probe\]: HTTP 400: /m);
    expect(r.exitCode).toBe(2);
  });

  it('events: a namespace, and one object (kubectl get events --field-selector involvedObject…)', async () => {
    const pod = state.pods.find((p) => p.labels['k8s-app'] === 'kube-proxy')!.name;
    const r = await run(`  - name: kube-system events
    id: all
    k8s: { events: true, namespace: kube-system, output: json }
    save: events.json
  - name: one pod's events
    id: one
    k8s: { events: pod/${pod}, namespace: kube-system, output: json }
    save: pod-events.json
`);
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    const all = JSON.parse(await r.text('events.json'));
    const kAll = await kubectlJson('get', 'events', '-n', 'kube-system');
    expect(all.items.map((e: any) => e.metadata.name).sort()).toEqual(kAll.items.map((e: any) => e.metadata.name).sort());
    expect(all.items[0]).toMatchObject({ apiVersion: 'v1', kind: 'Event' });
    const one = JSON.parse(await r.text('pod-events.json'));
    const kOne = await kubectlJson('get', 'events', '-n', 'kube-system', '--field-selector', `involvedObject.kind=Pod,involvedObject.name=${pod}`);
    expect(one.items.length).toBeGreaterThan(0);
    expect(one.items.map((e: any) => e.metadata.name).sort()).toEqual(kOne.items.map((e: any) => e.metadata.name).sort());
    for (const e of one.items) expect(e.involvedObject).toMatchObject({ kind: 'Pod', name: pod });
    expect(one.items.map((e: any) => e.reason)).toContain('BackOff');
  });

  it('exec: a non-zero exit is recorded with stdout/stderr files; a timeout really ends the process in the pod', async () => {
    // A sleep of a duration no one else uses: its command line identifies it in `ps`.
    const seconds = String(600_000 + (process.pid % 100_000));
    const r = await run(`  - name: exits 3
    id: three
    k8s: { exec: [sh, -c, "echo out; echo err >&2; exit 3"], labelSelector: app=netdiag-probe }
    save: exec.txt
  - name: hangs
    id: hang
    timeout: 2s
    k8s: { exec: [sh, -c, "echo started; sleep ${seconds}"], labelSelector: app=netdiag-probe }
    save: hang.txt
  - name: after the timeout
    id: after
    k8s: { exec: [echo, still works], labelSelector: app=netdiag-probe }
    save: after.txt
`);
    expect(r.exitCode).toBe(2);
    expect(r.target('three')).toMatchObject({ status: 'failed', exitCode: 3, error: expect.stringMatching(/^exit code 3 in default\/netdiag-probe-/) });
    expect(r.target('three').files.map((f: any) => f.path)).toEqual(['exec.txt', 'exec.stderr.txt']);
    expect(await r.text('exec.txt')).toBe('out\n');
    expect(await r.text('exec.stderr.txt')).toBe('err\n');
    expect(r.target('hang')).toMatchObject({ status: 'timedout', error: expect.stringContaining('timed out') });
    // It really ran (its first output reached the file) before the timeout ended it.
    expect(await r.text('hang.txt')).toBe('started\n');
    expect(r.target('after')).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(await r.text('after.txt')).toBe('still works\n');
    // The API server kills the command when the websocket closes; give it a moment to reap.
    let left = '';
    for (let i = 0; i < 20; i++) {
      left = String((await execa('ps', ['-eo', 'pid,args'], { reject: false })).stdout).split('\n').filter((l) => l.includes(`sleep ${seconds}`)).join('\n');
      if (!left) break;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(left).toBe('');
  });

  it('401 (bad token) and 403 (denied) are clear step failures with exit 2, not crashes', async () => {
    const badKc = path.join(tmp, 'bad-token.kubeconfig');
    await writeFile(badKc, readFileSync(state.files.kubeconfig, 'utf8').replace(/token: .*/, 'token: not-the-lab-token'));
    const steps = `  - name: pods
    id: pods
    k8s: { list: pods, allNamespaces: true }
  - name: exec
    id: exec
    k8s: { exec: [echo, hi], pod: ${probeOn(state, 'node-1').name} }
`;
    const bad = await run(steps, { kubeconfig: badKc });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(bad.target('pods')).toMatchObject({ status: 'failed', error: expect.stringMatching(/^unauthorized \(401\): the API server rejected the kubeconfig's credentials/) });
    expect(bad.target('exec')).toMatchObject({ status: 'failed', error: expect.stringMatching(/401/) });

    // Permissions withdrawn after the RBAC preflight passed: the 403 arrives at run time.
    const policy = path.join(state.dir, 'api-policy.json');
    try {
      const denied = await run(`  - { name: wait, id: wait, local: sleep 3 }\n${steps}`, {
        whenStepStarts: ['wait', () => writeFile(policy, JSON.stringify({ deny: ['list:pods', 'create:pods/exec'] }))],
      });
      expect(denied.exitCode).toBe(2);
      expect(denied.stderr).not.toMatch(/\n\s+at /);
      expect(denied.target('pods')).toMatchObject({
        status: 'failed',
        error: 'forbidden (403): pods is forbidden: User "netdiag-lab-admin" cannot list resource "pods" in API group "" at the cluster scope (GET /api/v1/pods)',
      });
      expect(denied.target('exec')).toMatchObject({ status: 'failed', error: expect.stringContaining('may not create resource "pods/exec" in the namespace "default" (exec upgrade answered HTTP 403)') });
    } finally {
      await rm(policy, { force: true });
    }
  });

  it('API server down: API steps fail at once with one clear message, SSH steps in the plan still run', async () => {
    // A port nothing listens on (the lab's own port + nothing): connection refused.
    const downKc = path.join(tmp, 'down.kubeconfig');
    await writeFile(downKc, readFileSync(state.files.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, 'server: https://127.0.0.1:9'));
    const r = await run(
      `  - name: pods
    id: pods
    k8s: { list: pods }
  - name: hostname
    id: hostname
    hosts: nodes
    ssh: hostname
  - name: logs
    id: logs
    k8s: { logs: true, labelSelector: app=netdiag-probe }
  - name: exec
    id: exec
    k8s: { exec: [echo, hi], labelSelector: app=netdiag-probe }
`,
      { kubeconfig: downKc, inventory: true },
    );
    expect(r.exitCode).toBe(2);
    const why = 'cannot reach the API server https://127.0.0.1:9: connect ECONNREFUSED 127.0.0.1:9';
    for (const id of ['pods', 'logs', 'exec']) expect(r.target(id)).toMatchObject({ status: 'failed', error: why });
    const ssh = r.manifest.steps.find((s: any) => s.id === 'hostname').targets;
    expect(ssh.map((t: any) => [t.target, t.status]).sort()).toEqual([['node-1', 'ok'], ['node-2', 'ok'], ['node-3', 'ok']]);
  });

  it('rolloutRestart is a remediation: would-run under --check; a real run heals kube-proxy-crashloop (ClusterIP DNS works)', async () => {
    const steps = `  - name: restart kube-proxy
    id: restart
    remediation: true
    k8s: { rolloutRestart: daemonset/kube-proxy, namespace: kube-system }
`;
    const dnsIP = state.services.find((s) => s.name === 'kube-dns')!.clusterIP;
    const from = probeOn(state, 'node-2').netns!;
    const name = `kubernetes.default.svc.${state.dns.clusterDomain}`;
    const lookup = () => dig(from, name, [`@${dnsIP}`]);
    expect((await lookup()).status).not.toBe('NOERROR');

    const check = await run(steps, { check: true });
    expect(check.exitCode, check.stdout).toBe(0);
    expect(check.target('restart')).toMatchObject({ status: 'would-run', command: 'kubectl rollout restart daemonset/kube-proxy -n kube-system' });
    expect((await k('get', 'ds', 'kube-proxy', '-n', 'kube-system', '-o', 'jsonpath={.spec.template.metadata.annotations}')).stdout).not.toContain('restartedAt');
    expect((await lookup()).status).not.toBe('NOERROR');

    const real = await run(steps);
    expect(real.exitCode, real.stdout + real.stderr).toBe(0);
    expect(real.target('restart')).toMatchObject({ status: 'ok', exitCode: 0 });
    const ds = await kubectlJson('get', 'ds', 'kube-proxy', '-n', 'kube-system');
    expect(ds.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    const rollout = await k('rollout', 'status', 'daemonset/kube-proxy', '-n', 'kube-system', '--timeout', '60s');
    expect(rollout.exitCode, rollout.stderr).toBe(0);
    let answer = await lookup();
    for (let i = 0; i < 20 && answer.status !== 'NOERROR'; i++) {
      await new Promise((res) => setTimeout(res, 500));
      answer = await lookup();
    }
    expect(answer.status, answer.raw).toBe('NOERROR');
    expect(answer.answers.length).toBeGreaterThan(0);
  });
});
