/**
 * The lab API server's exec (websocket channel protocol v5/v4/base64 with the REAL kubectl and a
 * raw `ws` client: streams, exit codes, stdin, argv without a shell, kill on close), the RBAC
 * deny knob with SelfSubjectAccessReview, and PATCH → restartWorkload via `kubectl rollout
 * restart` (a stub actions module: the synthetic lab has no data plane to restart).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, labApiRunnable, rawRequest, startLabApiForTests, type KubectlResult, type LabApiTestContext } from './lab-api-helpers.js';

const runnable = await labApiRunnable();
const tag = `${String(process.pid % 10000).padStart(4, '0')}e`;

describe.skipIf(!runnable)('lab API server: exec, RBAC knob, rollout restart', () => {
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
});
