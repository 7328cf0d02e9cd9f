/**
 * The lab's emulated Kubernetes API server against the REAL kubectl binary: kubeconfig, TLS and
 * plain HTTP, 401/404, discovery, list/get with selectors, tables, logs, services, configmaps
 * and events — on a synthetic lab (real namespaces, log files, events) from lab-api-fixture.ts.
 * Needs root, kubectl, ip and openssl.
 */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, labApiRunnable, rawRequest, startLabApiForTests, type KubectlResult, type LabApiTestContext } from './lab-api-helpers.js';

const runnable = await labApiRunnable();
const tag = `${String(process.pid % 10000).padStart(4, '0')}r`;

describe.skipIf(!runnable)('lab API server: kubectl reads', () => {
  let t: LabApiTestContext;
  let fx: LabApiTestContext['fx'];
  let server: LabApiTestContext['server'];
  let kubeconfig: string;
  let ca: string;
  let home: string;
  const k = (...args: string[]): Promise<KubectlResult> => kubectl(kubeconfig, home, args);

  beforeAll(async () => {
    t = await startLabApiForTests(tag);
    ({ fx, server, kubeconfig, ca, home } = t);
  });

  afterAll(async () => {
    await t?.stop();
  });

  it('writes a kubeconfig with an HTTPS server, the CA and the context netdiag-lab-<name>', async () => {
    const cfg = parseYaml(await readFile(kubeconfig, 'utf8'));
    expect(cfg['current-context']).toBe(`netdiag-lab-${fx.state.name}`);
    expect(cfg.clusters[0].cluster.server).toBe(server.url);
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(Buffer.from(cfg.clusters[0].cluster['certificate-authority-data'], 'base64').toString()).toBe(ca);
    expect(cfg.users[0].user.token).toBe(server.token);
    const state = JSON.parse(await readFile(fx.stateFile, 'utf8'));
    expect(state.api).toEqual({ url: server.url, token: server.token, port: server.port, pid: server.pid });
  });

  it('serves plain HTTP when asked (the fallback without openssl) and kubectl still works without a token', async () => {
    const dir = await mkdtemp(join(tmpdir(), `ndtapi-${tag}-plain-`));
    const file = join(dir, 'state.json');
    const state = { ...fx.state, dir, api: { url: '', token: '', port: 0 }, files: { ...fx.state.files, kubeconfig: join(dir, 'kubeconfig') } };
    await writeFile(file, JSON.stringify(state));
    const plain = await t.launch.startApiServer(file, { mainScript: t.mainScript, plainHttp: true });
    try {
      expect(plain.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(plain.port).not.toBe(server.port);
      const config = await t.writeKubeconfig({ ...state, api: plain });
      expect(await readFile(config, 'utf8')).not.toContain('certificate-authority-data');
      const r = await kubectl(config, home, ['get', 'nodes', '-o', 'name']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['node/node-1', 'node/node-2', 'node/node-3']);
      // kubectl sends no token over http, so none is needed there — but a wrong one still fails.
      const { request } = await import('node:http');
      const status = await new Promise<number>((resolve, reject) => {
        request(`${plain.url}/api`, { headers: { Authorization: 'Bearer wrong' } }, (res) => (res.resume(), resolve(res.statusCode ?? 0))).on('error', reject).end();
      });
      expect(status).toBe(401);
    } finally {
      await t.launch.stopApiServer(plain.pid);
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 401 Status without or with a wrong token', async () => {
    for (const token of [undefined, 'wrong-token']) {
      const r = await rawRequest(server.url, '/api/v1/pods', { token, ca });
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Unauthorized', code: 401 });
    }
  });

  it('answers 404 Status objects for unknown paths and objects', async () => {
    const unknown = await rawRequest(server.url, '/apis/nope.example.com/v1/things', { token: server.token, ca });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
    const pod = await rawRequest(server.url, '/api/v1/namespaces/default/pods/nope', { token: server.token, ca });
    expect(pod.json).toMatchObject({ reason: 'NotFound', code: 404, message: 'pods "nope" not found', details: { name: 'nope', kind: 'pods' } });
    const r = await k('get', 'pod', 'nope', '-n', 'default');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain('Error from server (NotFound): pods "nope" not found');
  });

  it('serves legacy discovery to aggregated-discovery requests', async () => {
    const agg = await rawRequest(server.url, '/apis', {
      token: server.token, ca,
      accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json',
    });
    expect(agg.contentType).toBe('application/json');
    expect(agg.json.kind).toBe('APIGroupList');
    expect(agg.json.groups.map((g: any) => g.name)).toEqual(expect.arrayContaining(['apps', 'discovery.k8s.io', 'events.k8s.io', 'authorization.k8s.io', 'apiextensions.k8s.io']));
    const core = await rawRequest(server.url, '/api/v1', { token: server.token, ca });
    const pods = core.json.resources.find((r: any) => r.name === 'pods');
    expect(pods).toMatchObject({ namespaced: true, kind: 'Pod', shortNames: ['po'], verbs: expect.arrayContaining(['get', 'list']) });
    expect(core.json.resources.map((r: any) => r.name)).toEqual(expect.arrayContaining(['pods/log', 'pods/exec', 'nodes', 'namespaces', 'services', 'endpoints', 'configmaps', 'events']));
  });

  it('kubectl get nodes (after falling back from aggregated to legacy discovery)', async () => {
    const r = await k('get', 'nodes', '-o', 'wide');
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['node-1 Ready', 'node-2 Ready', 'node-3 Ready']);
    expect(lines[2]).toContain('198.18.222.12');
    // kubectl walked the legacy group-version documents: the fallback works.
    const log = await readFile(join(fx.dir, 'api.log'), 'utf8');
    expect(log).toMatch(/GET \/apis\/apps\/v1\?timeout=\S+ 200/);
  });

  it('node objects carry InternalIP, podCIDR and the flannel annotations with the VtepMAC', async () => {
    const r = await k('get', 'node', 'node-2', '-o', 'json');
    const node = JSON.parse(r.stdout);
    expect(node.status.addresses).toEqual([{ type: 'InternalIP', address: '198.18.222.12' }, { type: 'Hostname', address: 'node-2' }]);
    expect(node.spec).toMatchObject({ podCIDR: '198.19.2.0/24', podCIDRs: ['198.19.2.0/24'] });
    expect(JSON.parse(node.metadata.annotations['flannel.alpha.coreos.com/backend-data'])).toEqual({ VNI: 1, VtepMAC: '5e:a1:0b:00:00:02' });
    expect(node.metadata.annotations).toMatchObject({
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/public-ip': '198.18.222.12',
      'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
    });
    expect(node.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True');
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.32.4');
  });

  it('kubectl get pods -A -o wide prints a sane table', async () => {
    const r = await k('get', 'pods', '-A', '-o', 'wide');
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/);
    const row = (name: string) => lines.find((l) => l.split(/\s+/)[1] === name)!.split(/\s{2,}/);
    expect(row('kube-proxy-m4qzt').slice(0, 4)).toEqual(['kube-system', 'kube-proxy-m4qzt', '0/1', 'CrashLoopBackOff']);
    expect(row('kube-proxy-m4qzt')[4]).toMatch(/^4 \(\S+ ago\)$/);
    expect(row('coredns-5d78c9869d-x2x7q')).toEqual(expect.arrayContaining(['1/1', 'Running', '198.19.1.3', 'node-1']));
    expect(row('web-0')).toEqual(expect.arrayContaining(['0/2', 'ContainerCreating', '<none>', 'node-3']));
    expect(lines.length - 1).toBe(fx.state.pods.length);
  });

  it('kubectl get pods -l k8s-app=kube-dns -n kube-system -o yaml', async () => {
    const r = await k('get', 'pods', '-l', 'k8s-app=kube-dns', '-n', 'kube-system', '-o', 'yaml');
    expect(r.exitCode, r.stderr).toBe(0);
    const list = parseYaml(r.stdout);
    expect(list.items).toHaveLength(1);
    const pod = list.items[0];
    expect(pod.metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', name: 'coredns-5d78c9869d', controller: true });
    expect(pod.status).toMatchObject({ phase: 'Running', podIP: '198.19.1.3', podIPs: [{ ip: '198.19.1.3' }], hostIP: '198.18.222.11' });
    expect(pod.spec.nodeName).toBe('node-1');
    expect(pod.spec.containers[0].image).toBe('registry.k8s.io/coredns/coredns:v1.11.3');
    expect(pod.status.containerStatuses[0]).toMatchObject({ name: 'coredns', ready: true, restartCount: 0, state: { running: {} } });
  });

  it('crash-looping pods show waiting CrashLoopBackOff and lastState.terminated', async () => {
    const pod = JSON.parse((await k('get', 'pod', 'kube-proxy-m4qzt', '-n', 'kube-system', '-o', 'json')).stdout);
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.tolerations).toContainEqual({ operator: 'Exists' });
    const cs = pod.status.containerStatuses[0];
    expect(cs).toMatchObject({ restartCount: 4, ready: false, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(cs.state.waiting.message).toContain('back-off');
  });

  it('label selectors (in, notin, !=, exists, !exists) and field selectors', async () => {
    const names = async (...args: string[]) => {
      const r = await k('get', 'pods', ...args, '-o', 'jsonpath={.items[*].metadata.name}');
      expect(r.exitCode, r.stderr).toBe(0);
      return r.stdout.split(' ').filter(Boolean).sort();
    };
    expect(await names('-A', '-l', 'k8s-app in (kube-proxy,kube-dns)')).toHaveLength(4);
    expect(await names('-n', 'kube-system', '-l', 'k8s-app notin (kube-proxy)')).toEqual(['coredns-5d78c9869d-x2x7q']);
    expect(await names('-n', 'default', '-l', 'app!=netdiag-probe')).toEqual(['web-0']);
    expect(await names('-n', 'default', '-l', 'tier')).toEqual(['web-0']);
    expect(await names('-n', 'default', '-l', '!tier')).toHaveLength(3);
    expect(await names('-A', '--field-selector', 'spec.nodeName=node-2')).toEqual(['kube-flannel-ds-h6n3v', 'kube-proxy-m4qzt', 'netdiag-probe-d3e4f']);
    expect(await names('-A', '--field-selector', 'status.phase=Pending')).toEqual(['web-0']);
    expect(await names('-A', '--field-selector', 'metadata.namespace=kube-flannel,spec.nodeName!=node-1')).toEqual(['kube-flannel-ds-h6n3v', 'kube-flannel-ds-z5c1m']);
    const bad = await k('get', 'pods', '-A', '-l', 'a in (b');
    expect(bad.exitCode).not.toBe(0);
  });

  it('kubectl logs with --tail, --limit-bytes and --previous (400 when there is no previous)', async () => {
    const tail = await k('logs', '-n', 'kube-system', 'kube-proxy-m4qzt', '--tail', '3');
    expect(tail.exitCode, tail.stderr).toBe(0);
    expect(tail.stdout.trim().split('\n')).toEqual([18, 19, 20].map((n) => `I1203 07:0${(n - 1) % 10}:00.000000       1 server.go:484] current line ${n}`));
    const limited = await k('logs', '-n', 'kube-system', 'kube-proxy-m4qzt', '--limit-bytes', '10');
    expect(limited.stdout).toBe('I1203 07:0');
    const prev = await k('logs', '-n', 'kube-system', 'kube-proxy-m4qzt', '--previous');
    expect(prev.exitCode, prev.stderr).toBe(0);
    expect(prev.stdout).toContain('nf_conntrack_max: permission denied');
    const noPrev = await k('logs', '-n', 'kube-system', 'kube-proxy-x7k2p', '--previous');
    expect(noPrev.exitCode).toBe(1);
    expect(noPrev.stderr).toContain('Error from server (BadRequest): previous terminated container "kube-proxy" in pod "kube-proxy-x7k2p" not found');
    const badContainer = await k('logs', '-n', 'default', 'web-0', '-c', 'nope');
    expect(badContainer.stderr).toContain('container nope is not valid for pod web-0');
  });

  it('kubectl logs -f streams what is appended to the log file', async () => {
    const file = join(fx.state.files.logsDir, 'kube-system_coredns-5d78c9869d-x2x7q_coredns.log');
    const child = execa('kubectl', ['--kubeconfig', kubeconfig, 'logs', '-f', '-n', 'kube-system', 'coredns-5d78c9869d-x2x7q'], { env: { HOME: home }, reject: false, timeout: 60_000 });
    let out = '';
    const seen = new Promise<void>((resolve) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('[INFO] appended later')) resolve();
      });
    });
    while (!out.includes('CoreDNS-1.11.3')) await new Promise((r) => setTimeout(r, 50));
    await appendFile(file, '[INFO] appended later\n');
    await seen;
    child.kill('SIGTERM');
    await child;
    expect(out).toBe('.:53\nCoreDNS-1.11.3\nlinux/amd64, go1.21.11, a6338e9\n[INFO] appended later\n');
  });

  it('services, endpoints and endpointslices derive from the pods (with nodeName)', async () => {
    const ep = JSON.parse((await k('get', 'endpoints', 'echo', '-n', 'default', '-o', 'json')).stdout);
    expect(ep.subsets[0].addresses.map((a: any) => `${a.ip}@${a.nodeName}`).sort()).toEqual(['198.19.1.2@node-1', '198.19.2.2@node-2', '198.19.3.2@node-3']);
    expect(ep.subsets[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const slices = JSON.parse((await k('get', 'endpointslices', '-n', 'kube-system', '-l', 'kubernetes.io/service-name=kube-dns', '-o', 'json')).stdout);
    expect(slices.items).toHaveLength(1);
    expect(slices.items[0].endpoints).toEqual([expect.objectContaining({ addresses: ['198.19.1.3'], nodeName: 'node-1', conditions: { ready: true, serving: true, terminating: false } })]);
    const svc = await k('get', 'svc', '-A');
    expect(svc.stdout).toMatch(/kube-system\s+kube-dns\s+ClusterIP\s+198\.18\.250\.10\s+<none>\s+53\/UDP,53\/TCP,9153\/TCP/);
  });

  it('configmaps: kube-flannel-cfg net-conf.json, coredns Corefile, kube-proxy config', async () => {
    const cm = JSON.parse((await k('get', 'cm', 'kube-flannel-cfg', '-n', 'kube-flannel', '-o', 'json')).stdout);
    expect(JSON.parse(cm.data['net-conf.json'])).toMatchObject({ Network: '198.19.0.0/16', Backend: { Type: 'vxlan', Port: 8472 } });
    expect(JSON.parse(cm.data['cni-conf.json']).plugins[0].type).toBe('flannel');
    const coredns = JSON.parse((await k('get', 'cm', 'coredns', '-n', 'kube-system', '-o', 'json')).stdout);
    expect(coredns.data.Corefile).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa');
    const kp = JSON.parse((await k('get', 'cm', 'kube-proxy', '-n', 'kube-system', '-o', 'json')).stdout);
    expect(kp.data['config.conf']).toContain('mode: iptables');
  });

  it('kubectl get events -n kube-system, and events.k8s.io/v1', async () => {
    const r = await k('get', 'events', '-n', 'kube-system');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Warning\s+BackOff\s+pod\/kube-proxy-m4qzt\s+Back-off restarting failed container kube-proxy/);
    const v1 = await rawRequest(server.url, '/apis/events.k8s.io/v1/namespaces/default/events', { token: server.token, ca });
    expect(v1.json.items[0]).toMatchObject({ reason: 'FailedCreatePodSandBox', regarding: { kind: 'Pod', name: 'web-0' }, note: expect.stringContaining('cni0') });
    // kubectl describe finds the pod's events by involvedObject field selectors (uid included).
    const d = await k('describe', 'pod', 'kube-proxy-m4qzt', '-n', 'kube-system');
    expect(d.stdout).toMatch(/Warning\s+BackOff\s+.*kubelet\s+Back-off restarting failed container/);
  });

  it('serves Table output when asked (includeObject honoured)', async () => {
    const t = await rawRequest(server.url, '/api/v1/namespaces/kube-system/pods?includeObject=Object', { token: server.token, ca, accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
    expect(t.contentType).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
    expect(t.json.kind).toBe('Table');
    expect(t.json.columnDefinitions.find((c: any) => c.name === 'IP').priority).toBe(1);
    expect(t.json.rows[0].object.kind).toBe('Pod');
  });
});
