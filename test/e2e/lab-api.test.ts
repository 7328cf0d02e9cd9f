/**
 * The lab's emulated Kubernetes API server against the REAL kubectl binary and
 * @kubernetes/client-node, on a synthetic lab (real network namespaces for nodes and pods,
 * log files, events) built by lab-api-fixture.ts. Needs root, kubectl, ip and openssl.
 */
import { appendFile, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLabApiFixture, type LabApiFixture } from './lab-api-fixture.js';
import { buildLabApi, kubectl, missingPrerequisites, rawRequest, type KubectlResult } from './lab-api-helpers.js';

const missing = await missingPrerequisites();
if (missing.length && process.env.CI === 'true') throw new Error(`lab API tests need ${missing.join(', ')}`);
if (missing.length) console.warn(`SKIPPING lab API tests: missing ${missing.join(', ')}`);

const tag = String(process.pid % 10000).padStart(4, '0');

describe.skipIf(missing.length > 0)('lab API server (real kubectl, client-node)', () => {
  let fx: LabApiFixture;
  let buildDir: string;
  let server: { pid: number; url: string; port: number; token: string };
  let kubeconfig: string;
  let ca: string;
  let home: string;
  let stopApiServer: (pid: number) => Promise<void>;
  const k = (...args: string[]): Promise<KubectlResult> => kubectl(kubeconfig, home, args);

  beforeAll(async () => {
    buildDir = await buildLabApi(`ndtapi-build-${tag}`);
    const launch = await import(join(buildDir, 'dist/lab/api/launch.js'));
    const { writeKubeconfig } = await import(join(buildDir, 'dist/lab/api/kubeconfig.js'));
    stopApiServer = launch.stopApiServer;
    fx = await createLabApiFixture(tag);
    home = join(fx.dir, 'home');
    server = await launch.startApiServer(fx.stateFile, { mainScript: join(buildDir, 'dist/lab/api/main.js'), actionsModule: fx.stubActions });
    const state = JSON.parse(await readFile(fx.stateFile, 'utf8'));
    kubeconfig = await writeKubeconfig(state);
    ca = await readFile(join(fx.dir, 'api-tls/ca.crt'), 'utf8');
  });

  afterAll(async () => {
    if (server) await stopApiServer(server.pid);
    await fx?.cleanup();
    if (buildDir) await rm(buildDir, { recursive: true, force: true });
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

  it('kubectl exec: both streams and the exit code of a failing command', async () => {
    const r = await k('exec', 'netdiag-probe-a1b2c', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3');
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toBe('out');
    expect(r.stderr).toContain('err');
    expect(r.stderr).toContain('command terminated with exit code 3');
    // The real websocket protocol was used (kubectl 1.32 would otherwise fall back to SPDY).
    expect(await readFile(join(fx.dir, 'api.log'), 'utf8')).toMatch(/exec pid=\d+ netns=\S+ argv=\["sh","-c",.*protocol=v5\.channel\.k8s\.io/);
  });

  it('kubectl exec runs inside the pod namespace (ip addr), hostNetwork pods in the node namespace, stdin works', async () => {
    const pod = await k('exec', 'netdiag-probe-a1b2c', '--', 'ip', 'addr');
    expect(pod.exitCode, pod.stderr).toBe(0);
    expect(pod.stdout).toContain('inet 198.19.1.2/24 scope global eth0');
    expect(pod.stdout).not.toContain('198.18.222.11');
    const host = await k('exec', '-n', 'kube-system', 'kube-proxy-x7k2p', '--', 'ip', '-o', '-4', 'addr', 'show', 'eth0');
    expect(host.stdout).toContain('inet 198.18.222.11/24');
    const argv = await k('exec', 'netdiag-probe-d3e4f', '--', 'printf', '%s|', 'a b', '$HOME', ';');
    expect(argv.stdout).toBe('a b|$HOME|;|'); // argv reaches execve without a shell
    const stdin = await kubectl(kubeconfig, home, ['exec', '-i', 'netdiag-probe-g5h6j', '--', 'sh', '-c', 'cat; echo done'], 'hello from stdin\n');
    expect(stdin.exitCode, stdin.stderr).toBe(0);
    expect(stdin.stdout).toBe('hello from stdin\ndone');
    const crash = await k('exec', '-n', 'kube-system', 'kube-proxy-m4qzt', '--', 'true');
    expect(crash.exitCode).not.toBe(0);
    expect(crash.stderr).toContain('container not found');
  });

  it('exec over v4.channel.k8s.io and base64.channel.k8s.io; closing the websocket kills the command', async () => {
    const wsUrl = (argv: string[]) =>
      `${server.url.replace('https:', 'wss:')}/api/v1/namespaces/default/pods/netdiag-probe-a1b2c/exec?${argv.map((a) => `command=${encodeURIComponent(a)}`).join('&')}&stdout=1&stderr=1`;
    const session = (protocol: string, argv: string[], onOpen?: (ws: WebSocket, frames: { channel: number; data: Buffer }[]) => void) =>
      new Promise<{ channel: number; data: Buffer }[]>((resolve, reject) => {
        const frames: { channel: number; data: Buffer }[] = [];
        const ws = new WebSocket(wsUrl(argv), [protocol], { headers: { Authorization: `Bearer ${server.token}` }, ca });
        ws.on('message', (raw: Buffer, binary: boolean) => {
          if (binary) frames.push({ channel: raw[0], data: raw.subarray(1) });
          else frames.push({ channel: raw.toString()[0].charCodeAt(0) - 48, data: Buffer.from(raw.toString().slice(1), 'base64') });
        });
        ws.on('open', () => onOpen?.(ws, frames));
        ws.on('close', () => resolve(frames));
        ws.on('error', reject);
      });
    const text = (frames: { channel: number; data: Buffer }[], channel: number) => Buffer.concat(frames.filter((f) => f.channel === channel).map((f) => f.data)).toString();
    for (const protocol of ['v4.channel.k8s.io', 'base64.channel.k8s.io']) {
      const frames = await session(protocol, ['sh', '-c', 'echo a; echo b >&2; exit 2']);
      expect(text(frames, 1)).toBe('a\n');
      expect(text(frames, 2)).toBe('b\n');
      if (protocol === 'v4.channel.k8s.io') {
        expect(JSON.parse(text(frames, 3))).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '2' }] } });
      } else {
        // Before v4 the error channel carries the message as plain text.
        expect(text(frames, 3)).toMatch(/^command terminated with non-zero exit code: .*exit code 2$/);
      }
    }
    let pid = 0;
    await session('v5.channel.k8s.io', ['sh', '-c', 'echo $$; exec sleep 300'], (ws, frames) => {
      const poll = setInterval(() => {
        const out = text(frames, 1);
        if (out.includes('\n')) {
          clearInterval(poll);
          pid = Number(out.trim());
          ws.close();
        }
      }, 20);
    });
    expect(pid).toBeGreaterThan(1);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
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

  it('SelfSubjectAccessReview (kubectl auth can-i sends protobuf) and the deny knob, also at request time', async () => {
    expect((await k('auth', 'can-i', 'patch', 'daemonsets', '-n', 'kube-system')).stdout.trim()).toBe('yes');
    const policy = join(fx.dir, 'api-policy.json');
    await writeFile(policy, JSON.stringify({ deny: ['patch:daemonsets.apps', 'create:pods/exec', 'list:ippools.crd.projectcalico.org'] }));
    try {
      const no = await k('auth', 'can-i', 'patch', 'daemonsets', '-n', 'kube-system');
      expect(no.stdout.trim()).toBe('no');
      expect(no.exitCode).toBe(1);
      expect((await k('auth', 'can-i', 'create', 'pods', '--subresource', 'exec', '-n', 'default')).stdout.trim()).toBe('no');
      expect((await k('auth', 'can-i', 'get', 'pods', '--subresource', 'log', '-n', 'default')).stdout.trim()).toBe('yes');
      const exec = await k('exec', 'netdiag-probe-a1b2c', '--', 'true');
      expect(exec.stderr).toContain('Error from server (Forbidden): pods "netdiag-probe-a1b2c" is forbidden: User "netdiag-lab-admin" cannot create resource "pods/exec" in API group "" in the namespace "default"');
      const restart = await k('rollout', 'restart', 'daemonset/kube-proxy', '-n', 'kube-system');
      expect(restart.exitCode).toBe(1);
      expect(restart.stderr).toContain('cannot patch resource "daemonsets" in API group "apps"');
      // JSON clients get the same answer.
      const review = await rawRequest(server.url, '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
        token: server.token, ca, method: 'POST', contentType: 'application/json',
        body: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'list', group: 'crd.projectcalico.org', resource: 'ippools' } } }),
      });
      expect(review.status).toBe(201);
      expect(review.json.status).toEqual({ allowed: false });
    } finally {
      await rm(policy, { force: true });
    }
    expect(await readFile(fx.restartCalls, 'utf8').catch(() => '')).toBe('');
  });

  it('kubectl rollout restart daemonset/kube-proxy calls restartWorkload and shows its effect', async () => {
    const r = await k('rollout', 'restart', 'daemonset/kube-proxy', '-n', 'kube-system');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('daemonset.apps/kube-proxy restarted');
    expect((await readFile(fx.restartCalls, 'utf8')).trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ kind: 'DaemonSet', namespace: 'kube-system', name: 'kube-proxy' }]);
    const ds = JSON.parse((await k('get', 'ds', 'kube-proxy', '-n', 'kube-system', '-o', 'json')).stdout);
    expect(ds.metadata.generation).toBe(2);
    expect(ds.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 3, numberReady: 3 });
    const pods = await k('get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-proxy');
    expect(pods.stdout).not.toContain('CrashLoopBackOff');
    const dep = await k('rollout', 'restart', 'deployment/coredns', '-n', 'kube-system');
    expect(dep.exitCode, dep.stderr).toBe(0);
    const other = await rawRequest(server.url, '/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy', {
      token: server.token, ca, method: 'PATCH', contentType: 'application/merge-patch+json', body: JSON.stringify({ spec: { replicas: 5 } }),
    });
    expect(other.status).toBe(422);
    expect(other.json.reason).toBe('Invalid');
  });

  describe('@kubernetes/client-node 1.4', () => {
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
      expect(log).toBe('linux/amd64, go1.21.11, a6338e9\n[INFO] appended later\n');
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
      const calls = async () => (await readFile(fx.restartCalls, 'utf8')).trim().split('\n').length;
      const before = await calls();
      const at = new Date().toISOString();
      const ds = await apps.patchNamespacedDaemonSet({
        name: 'kube-proxy', namespace: 'kube-system',
        body: [{ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: at }],
      });
      expect(ds.metadata?.generation).toBe(3);
      const dep = await apps.patchNamespacedDaemonSet(
        { name: 'netdiag-probe', namespace: 'default', body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': at } } } } } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      expect(dep.spec?.template.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']).toBe(at);
      expect(await calls()).toBe(before + 2);
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
});
