/**
 * Kubeconfig loading like kubectl (transport/kube-config.ts): --kubeconfig, KUBECONFIG with
 * several files merged by kubectl's first-wins rules, ~/.kube/config through HOME, --context,
 * and "no kubeconfig found" instead of the library's silent http://localhost:8080.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig, NO_KUBECONFIG } from '../../src/transport/kube-config.js';

let tmp: string;
let emptyHome: string;
const inCluster = { tokenFile: '/nonexistent/ndt-kubeconfig-token' };

/** A kubeconfig with one cluster/user/context per name; the first name is current. */
function kubeconfig(names: string[], server = (n: string) => `https://${n}.example.invalid:6443`, current = names[0]): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `current-context: ${current ?? '""'}`,
    'clusters:',
    ...names.flatMap((n) => [`- name: ${n}`, '  cluster:', `    server: ${server(n)}`]),
    'users:',
    ...names.flatMap((n) => [`- name: ${n}`, '  user:', `    token: token-${n}`]),
    'contexts:',
    ...names.flatMap((n) => [`- name: ${n}`, '  context:', `    cluster: ${n}`, `    user: ${n}`]),
  ].join('\n');
}

async function file(name: string, text: string): Promise<string> {
  const p = path.join(tmp, name);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, text);
  return p;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ndt-kubeconfig-'));
  emptyHome = path.join(tmp, 'empty-home');
  await mkdir(emptyHome);
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('loadKubeConfig', () => {
  it('--kubeconfig that does not exist is a clear error naming the file', async () => {
    const missing = path.join(tmp, 'nope.yaml');
    const r = await loadKubeConfig({ kubeconfig: missing }, { HOME: emptyHome }, inCluster);
    expect(r).toEqual({ ok: false, error: `kubeconfig ${missing} (from --kubeconfig) does not exist` });
  });

  it('--kubeconfig wins over KUBECONFIG and ~/.kube/config', async () => {
    const explicit = await file('explicit.yaml', kubeconfig(['explicit']));
    const envFile = await file('env.yaml', kubeconfig(['env']));
    const r = await loadKubeConfig({ kubeconfig: explicit }, { HOME: emptyHome, KUBECONFIG: envFile }, inCluster);
    expect(r.ok && r.kc.getCurrentCluster()?.server).toBe('https://explicit.example.invalid:6443');
    expect(r.ok && r.source).toBe(explicit);
  });

  it('KUBECONFIG with two files: merged, first file wins on names and current-context', async () => {
    const a = await file('a.yaml', kubeconfig(['alpha', 'shared'], (n) => `https://a-${n}.example.invalid`));
    const b = await file('b.yaml', kubeconfig(['beta', 'shared'], (n) => `https://b-${n}.example.invalid`));
    const r = await loadKubeConfig({}, { HOME: emptyHome, KUBECONFIG: [a, path.join(tmp, 'missing.yaml'), b].join(path.delimiter) }, inCluster);
    if (!r.ok) throw new Error(r.error);
    expect(r.kc.getContexts().map((c) => c.name).sort()).toEqual(['alpha', 'beta', 'shared']);
    expect(r.kc.currentContext).toBe('alpha');
    // "shared" is defined by both files; kubectl keeps the first file's definition.
    expect(r.kc.getCluster('shared')?.server).toBe('https://a-shared.example.invalid');
    expect(r.source).toBe(`KUBECONFIG=${a}${path.delimiter}${b}`);

    const withB = await loadKubeConfig({ context: 'beta' }, { HOME: emptyHome, KUBECONFIG: [a, b].join(path.delimiter) }, inCluster);
    expect(withB.ok && withB.kc.getCurrentCluster()?.server).toBe('https://b-beta.example.invalid');
  });

  it('first file without current-context: the second file sets it', async () => {
    const a = await file('nocur.yaml', kubeconfig(['one'], undefined, ''));
    const b = await file('cur.yaml', kubeconfig(['two']));
    const r = await loadKubeConfig({}, { HOME: emptyHome, KUBECONFIG: [a, b].join(path.delimiter) }, inCluster);
    expect(r.ok && r.kc.currentContext).toBe('two');
  });

  it('KUBECONFIG naming only missing files is an error, not a fallback', async () => {
    const r = await loadKubeConfig({}, { HOME: emptyHome, KUBECONFIG: path.join(tmp, 'gone.yaml') }, inCluster);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('no file of KUBECONFIG=');
  });

  it('~/.kube/config through HOME', async () => {
    const home = path.join(tmp, 'home-with-config');
    await file('home-with-config/.kube/config', kubeconfig(['homecluster']));
    const r = await loadKubeConfig({}, { HOME: home }, inCluster);
    expect(r.ok && r.source).toBe(path.join(home, '.kube', 'config'));
    expect(r.ok && r.kc.getCurrentUser()?.token).toBe('token-homecluster');
  });

  it('--context that does not exist lists the contexts there are', async () => {
    const f = await file('ctx.yaml', kubeconfig(['prod', 'staging']));
    const r = await loadKubeConfig({ kubeconfig: f, context: 'dev' }, { HOME: emptyHome }, inCluster);
    expect(r).toEqual({ ok: false, error: `context "dev" not found in ${f} (have: prod, staging)` });
    const ok = await loadKubeConfig({ kubeconfig: f, context: 'staging' }, { HOME: emptyHome }, inCluster);
    expect(ok.ok && ok.kc.getCurrentCluster()?.name).toBe('staging');
  });

  it('a kubeconfig without current-context asks for --context', async () => {
    const f = await file('nocontext.yaml', kubeconfig(['x'], undefined, ''));
    const r = await loadKubeConfig({ kubeconfig: f }, { HOME: emptyHome }, inCluster);
    expect(!r.ok && r.error).toMatch(/has no current-context: pass --context \(have: x\)/);
  });

  it('broken YAML is an error value, not a throw', async () => {
    const f = await file('broken.yaml', 'clusters: [\n');
    const r = await loadKubeConfig({ kubeconfig: f }, { HOME: emptyHome }, inCluster);
    expect(!r.ok && r.error).toMatch(/^cannot load kubeconfig: /);
  });

  it('nothing anywhere: "no kubeconfig found", never localhost:8080', async () => {
    const r = await loadKubeConfig({}, { HOME: emptyHome }, inCluster);
    expect(r).toEqual({ ok: false, error: NO_KUBECONFIG });
    expect(NO_KUBECONFIG).toMatch(/^no kubeconfig found/);
    // In a pod without a mounted service account token, still nothing.
    const pod = await loadKubeConfig({}, { HOME: emptyHome, KUBERNETES_SERVICE_HOST: '198.18.250.1' }, inCluster);
    expect(pod.ok).toBe(false);
    expect(JSON.stringify(pod)).not.toContain('8080');
  });
});
