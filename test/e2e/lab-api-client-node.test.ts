/**
 * The lab API server through @kubernetes/client-node 1.4 (what netdiag's k8s steps use): list
 * with selectors, logs, Exec with the exit code from the status frame, SelfSubjectAccessReview,
 * patches that restart workloads, Watch, and CustomObjectsApi on Calico IPPools.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, labApiRunnable, startLabApiForTests, type KubectlResult, type LabApiTestContext } from './lab-api-helpers.js';

const runnable = await labApiRunnable();
const tag = `${String(process.pid % 10000).padStart(4, '0')}c`;

describe.skipIf(!runnable)('lab API server: @kubernetes/client-node 1.4', () => {
  let t: LabApiTestContext;
  let fx: LabApiTestContext['fx'];
  let kubeconfig: string;
  let home: string;
  const k = (...args: string[]): Promise<KubectlResult> => kubectl(kubeconfig, home, args);

  beforeAll(async () => {
    t = await startLabApiForTests(tag);
    ({ fx, kubeconfig, home } = t);
  });

  afterAll(async () => {
    await t?.stop();
  });

  let kc: k8s.KubeConfig;
  beforeAll(() => {
    kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
  });

  it('CoreV1Api listNamespacedPod with a labelSelector, listNode', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: 'kube-system', labelSelector: 'k8s-app=kube-dns' });
    expect(pods.items.map((p) => p.metadata?.name)).toEqual(['coredns-5d78c9869d-x2x7q']);
    expect(pods.items[0].status?.podIP).toBe('198.19.1.3');
    const nodes = await core.listNode();
    expect(nodes.items.map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address)).toEqual(['198.18.222.11', '198.18.222.12', '198.18.222.13']);
  });

  it('readNamespacedPodLog with tailLines and previous', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const log = await core.readNamespacedPodLog({ name: 'coredns-5d78c9869d-x2x7q', namespace: 'kube-system', tailLines: 2 });
    expect(log).toBe('CoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9\n');
    const limited = await core.readNamespacedPodLog({ name: 'kube-proxy-m4qzt', namespace: 'kube-system', limitBytes: 5 });
    expect(limited).toBe('I1203');
    await expect(core.readNamespacedPodLog({ name: 'coredns-5d78c9869d-x2x7q', namespace: 'kube-system', previous: true })).rejects.toMatchObject({ code: 400 });
  });

  it('Exec: streams and a non-zero exit observed in the status frame', async () => {
    const collect = () => {
      const chunks: Buffer[] = [];
      const stream = new Writable({ write: (c, _e, cb) => (chunks.push(Buffer.from(c)), cb()) });
      return { stream, text: () => Buffer.concat(chunks).toString() };
    };
    const out = collect();
    const err = collect();
    let status: k8s.V1Status | undefined;
    const ws = await new k8s.Exec(kc).exec('default', 'netdiag-probe-d3e4f', 'probe', ['sh', '-c', 'echo hi; echo oops >&2; exit 7'], out.stream, err.stream, null, false, (s) => (status = s));
    // exec() resolves when the socket opens: wait for the close that follows the status frame.
    await new Promise<void>((resolve) => (ws.readyState === ws.CLOSED ? resolve() : ws.on('close', () => resolve())));
    expect(out.text()).toBe('hi\n');
    expect(err.text()).toBe('oops\n');
    expect(status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
  });

  it('AuthorizationV1Api createSelfSubjectAccessReview', async () => {
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const r = await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb: 'get', resource: 'pods', subresource: 'log', namespace: 'kube-system' } } } });
    expect(r.status?.allowed).toBe(true);
  });

  it('AppsV1Api patches (JSON patch by default, merge patch via setHeaderOptions) restart the workload', async () => {
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const calls = async () => (await readFile(fx.restartCalls, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
    const at = new Date().toISOString();
    // The template has no annotations yet: like a real server, `add` below a missing parent fails.
    const bad = apps.patchNamespacedDaemonSet({
      name: 'kube-proxy', namespace: 'kube-system',
      body: [{ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: at }],
    });
    await expect(bad).rejects.toMatchObject({ code: 422 });
    const ds = await apps.patchNamespacedDaemonSet({
      name: 'kube-proxy', namespace: 'kube-system',
      body: [{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubectl.kubernetes.io/restartedAt': at } }],
    });
    expect(ds.metadata?.generation).toBe(2);
    expect(ds.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(at);
    const dep = await apps.patchNamespacedDaemonSet(
      { name: 'netdiag-probe', namespace: 'default', body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    expect(dep.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(at);
    expect((await calls()).map((l) => JSON.parse(l))).toEqual([
      { kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' },
      { kind: 'DaemonSet', namespace: 'default', name: 'netdiag-probe' },
    ]);
  });

  it('Watch streams a MODIFIED event when the state file changes', async () => {
    const events: { type: string; obj: k8s.V1Pod }[] = [];
    const seen = new Promise<void>((resolve) => {
      void new k8s.Watch(kc).watch('/api/v1/namespaces/kube-system/pods', {}, (type, obj: k8s.V1Pod) => {
        events.push({ type, obj });
        if (type === 'MODIFIED' && obj.metadata?.name === 'kube-proxy-b9wfd') resolve();
      }, () => undefined).then((ctl) => (abort = ctl));
    });
    let abort: AbortController | undefined;
    // Wait for the initial ADDED events before changing anything.
    while (!events.some((e) => e.type === 'ADDED')) await new Promise((r) => setTimeout(r, 50));
    const state = JSON.parse(await readFile(fx.stateFile, 'utf8'));
    const pod = state.pods.find((p: any) => p.name === 'kube-proxy-b9wfd');
    pod.containers[0] = { ...pod.containers[0], ready: false, restartCount: 1, waitingReason: 'CrashLoopBackOff' };
    await writeFile(`${fx.stateFile}.tmp`, JSON.stringify(state));
    await rename(`${fx.stateFile}.tmp`, fx.stateFile);
    await seen;
    abort?.abort();
    const modified = events.find((e) => e.type === 'MODIFIED')!;
    expect(modified.obj.status?.containerStatuses?.[0].state?.waiting?.reason).toBe('CrashLoopBackOff');
    expect(events.filter((e) => e.type === 'ADDED').map((e) => e.obj.metadata?.name)).toContain('coredns-5d78c9869d-x2x7q');
  });

  it('after switching the state to calico: CustomObjectsApi lists ippools, kubectl sees them, nodes carry Calico annotations', async () => {
    const state = JSON.parse(await readFile(fx.stateFile, 'utf8'));
    state.cni = 'calico';
    state.vxlanMode = 'CrossSubnet';
    await writeFile(`${fx.stateFile}.tmp`, JSON.stringify(state));
    await rename(`${fx.stateFile}.tmp`, fx.stateFile);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const pools = (await custom.listClusterCustomObject({ group: 'crd.projectcalico.org', version: 'v1', plural: 'ippools' })) as any;
    expect(pools.items).toEqual([expect.objectContaining({ kind: 'IPPool', spec: expect.objectContaining({ cidr: '198.19.0.0/16', vxlanMode: 'CrossSubnet', ipipMode: 'Never', natOutgoing: true }) })]);
    const r = await k('get', 'ippools.crd.projectcalico.org', '-o', 'jsonpath={.items[0].spec.vxlanMode}');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('CrossSubnet');
    const node = JSON.parse((await k('get', 'node', 'node-3', '-o', 'json')).stdout);
    expect(node.metadata.annotations).toMatchObject({ 'projectcalico.org/IPv4Address': '198.18.222.13/24', 'projectcalico.org/IPv4VXLANTunnelAddr': '198.19.3.0' });
    const cfg = await k('get', 'cm', 'calico-config', '-n', 'kube-system', '-o', 'jsonpath={.data.calico_backend}');
    expect(cfg.stdout).toBe('vxlan');
  });
});
