/**
 * The API server on a REAL lab (`netdiag lab up`, built by the data-plane code): what a user
 * does first — kubectl and client-node against the generated kubeconfig — and the one write the
 * lab honours: `kubectl rollout restart daemonset/kube-proxy` heals kube-proxy-crashloop through
 * the data plane's restartWorkload (ClusterIP DNS fails before, answers after).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/lab/model.js';
import { ensureBuilt, labPrerequisiteProblem, netdiag, usePrivateLabsRoot } from '../helpers/lab.js';
import { kubectl } from './lab-api-helpers.js';

const problem = await labPrerequisiteProblem();
const root = problem ? '' : usePrivateLabsRoot('apireal');

describe.skipIf(Boolean(problem))('lab API server on a real lab', () => {
  let state: LabState;
  let home: string;
  const k = (...args: string[]) => kubectl(state.files.kubeconfig, home, args);

  beforeAll(async () => {
    await ensureBuilt();
    home = await mkdtemp(join(tmpdir(), 'ndtapi-home-'));
    const up = await netdiag(['lab', 'up', '--name', 'apireal', '--nodes', '3', '--fault', 'kube-proxy-crashloop', '--json']);
    if (up.exitCode !== 0) throw new Error(`lab up failed: ${up.stderr}`);
    state = JSON.parse(readFileSync(JSON.parse(up.stdout).stateFile, 'utf8')) as LabState;
  });

  afterAll(async () => {
    await netdiag(['lab', 'down', '--all']);
    await rm(root, { recursive: true, force: true });
    if (home) await rm(home, { recursive: true, force: true });
  });

  const probeName = async (node: string) => {
    const r = await k('get', 'pods', '-l', 'app=netdiag-probe', '--field-selector', `spec.nodeName=${node}`, '-o', 'jsonpath={.items[0].metadata.name}');
    expect(r.exitCode, r.stderr).toBe(0);
    return r.stdout;
  };

  it('kubectl get nodes / pods -A -o wide show the lab', async () => {
    const nodes = await k('get', 'nodes', '-o', 'wide');
    expect(nodes.exitCode, nodes.stderr).toBe(0);
    for (const n of state.nodes) expect(nodes.stdout).toMatch(new RegExp(`${n.name}\\s+Ready.*${n.address.replace(/\./g, '\\.')}`));
    const pods = await k('get', 'pods', '-A', '-o', 'wide');
    expect(pods.stdout).toMatch(/kube-system\s+kube-proxy-\S+\s+0\/1\s+CrashLoopBackOff/);
    expect(pods.stdout).toMatch(/kube-system\s+coredns-\S+\s+1\/1\s+Running/);
  });

  it('kubectl exec ping across nodes through the real overlay; client-node Exec sees a non-zero exit', async () => {
    const from = await probeName('node-1');
    const target = state.pods.find((p) => p.labels.app === 'netdiag-probe' && p.node === 'node-2')!;
    const ping = await k('exec', from, '--', 'ping', '-c', '1', '-W', '2', target.ip);
    expect(ping.exitCode, ping.stderr).toBe(0);
    expect(ping.stdout).toContain('1 received');

    const kc = new k8s.KubeConfig();
    kc.loadFromFile(state.files.kubeconfig);
    let status: k8s.V1Status | undefined;
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    // 198.18.0.0/15 only: an address nothing in the lab answers.
    const ws = await new k8s.Exec(kc).exec('default', from, 'probe', ['ping', '-c', '1', '-W', '1', '198.19.250.250'], sink, sink, null, false, (s) => (status = s));
    await new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.on('close', () => resolve())));
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '1' }] } });
  });

  it('rollout restart daemonset/kube-proxy heals kube-proxy-crashloop (ClusterIP DNS works afterwards)', async () => {
    const from = await probeName('node-2');
    const dns = ['nslookup', '-timeout=2', '-retry=0', `kubernetes.default.svc.${state.dns.clusterDomain}`, '198.18.250.10'];
    const before = await k('exec', from, '--', ...dns);
    expect(before.exitCode).not.toBe(0);
    const logs = await k('logs', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '--previous', '--tail', '5');
    expect(logs.stdout.length).toBeGreaterThan(0);

    const restart = await k('rollout', 'restart', 'daemonset/kube-proxy', '-n', 'kube-system');
    expect(restart.exitCode, restart.stderr).toBe(0);
    expect(restart.stdout.trim()).toBe('daemonset.apps/kube-proxy restarted');
    const status = await k('rollout', 'status', 'daemonset/kube-proxy', '-n', 'kube-system', '--timeout', '60s');
    expect(status.exitCode, status.stderr).toBe(0);
    const pods = await k('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy', '-o', 'json');
    const items = JSON.parse(pods.stdout).items;
    expect(items).toHaveLength(3);
    for (const p of items) expect(p.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0, state: { running: {} } });
    const after = await k('exec', from, '--', ...dns);
    expect(after.exitCode, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain('Address: 198.18.250.1');
  });
});
