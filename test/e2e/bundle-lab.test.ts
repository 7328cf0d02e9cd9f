/**
 * Issue 6's acceptance through real lab runs: a seeded-secrets corpus collected by a run never
 * reaches the bundle (every extracted byte is searched, pcaps included) while ordinary evidence
 * is intact; with --obfuscate no lab IP, node name or MAC is left, and `netdiag analyze` on the
 * obfuscated bundle names the same root cause as `netdiag report` on the original.
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli, runDirFrom } from '../helpers/cli.js';
import { ensureBuilt, labPrerequisiteProblem, netdiag, usePrivateLabsRoot } from '../helpers/lab.js';

const problem = await labPrerequisiteProblem();
const secretsDir = path.join(repoRoot, 'test/fixtures/secrets');
let tmp: string;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

async function extract(bundle: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmp, 'x-'));
  await execa('tar', ['-xzf', bundle, '-C', dir]);
  return dir;
}

const bundleFrom = (stdout: string) => /^bundle: (\S+)/m.exec(stdout)?.[1];

interface LabRun {
  runDir: string;
  bundle: string;
  state: any;
}

/** Lab with a fault → default plan (plus `extra` steps) with --check; the lab is taken down after. */
async function labRun(name: string, fault: string, extra: unknown[] = []): Promise<LabRun> {
  const up = await netdiag(['lab', 'up', '--name', name, '--fault', fault, '--json']);
  expect(up.exitCode, String(up.stderr)).toBe(0);
  const status = JSON.parse(String(up.stdout));
  try {
    const state = JSON.parse(await readFile(status.stateFile, 'utf8'));
    const plan = parse(await readFile(path.join(repoRoot, 'playbooks/network-diagnosis.yaml'), 'utf8'));
    plan.steps.push(...extra);
    const planFile = path.join(tmp, `${name}.yaml`);
    await writeFile(planFile, stringify(plan));
    const r = await runCli(['run', '-i', status.files.inventory, '--kubeconfig', status.files.kubeconfig, '-p', planFile, '--check', '-o', path.join(tmp, 'artifacts')], { timeoutMs: 400_000 });
    const bundle = bundleFrom(r.stdout);
    expect(bundle, r.stdout + r.stderr).toBeDefined();
    return { runDir: runDirFrom(r.stdout), bundle: bundle!, state };
  } finally {
    await netdiag(['lab', 'down', '--name', name]);
  }
}

/** The ranked findings' ids and nodes, as `netdiag report|analyze --json` print them. */
async function verdictOf(args: string[]): Promise<{ id: string; nodes: string[] }> {
  const r = await runCli([...args, '--json']);
  expect(r.exitCode, r.stderr).toBe(0);
  const analysis = JSON.parse(r.stdout);
  const folded = new Set(analysis.findings.flatMap((f: any) => f.explains));
  const top = analysis.findings.find((f: any) => f.rootCause && !folded.has(f.id));
  return { id: top?.id, nodes: top?.nodes ?? [] };
}

describe.skipIf(problem)('support bundles from lab runs', () => {
  beforeAll(async () => {
    usePrivateLabsRoot('bundle');
    await ensureBuilt();
    tmp = await mkdtemp(path.join(os.tmpdir(), 'ndt-bundle-lab-'));
    const corpus = (await readdir(secretsDir)).filter((f) => /\.(ya?ml|json|txt|ini|log)$/.test(f) && f !== 'secret-values.txt');
    // The corpus is collected the way real evidence is: over SSH from a node, and locally.
    const extra = corpus.map((f, i) => (i % 2 ? { name: `secret ${f}`, hosts: 'node-1', ssh: `cat ${path.join(secretsDir, f)}`, save: `seeded/${f}` } : { name: `secret ${f}`, local: ['cat', path.join(secretsDir, f)], save: `seeded/${f}` }));
    first = await labRun('bnd1', 'vxlan-blocked@node-2', extra);
  });

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (process.env.NETDIAG_LABS_ROOT) await rm(process.env.NETDIAG_LABS_ROOT, { recursive: true, force: true });
  });

  /** One lab run with the secrets corpus and a fault, shared by the first two tests. */
  let first: LabRun;

  it('keeps every seeded secret out of the bundle and ordinary evidence intact', async () => {
    const secrets = (await readFile(path.join(secretsDir, 'secret-values.txt'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('#'));
    expect(secrets.length).toBeGreaterThan(20);
    // The run directory holds the originals (the corpus really was collected)...
    const seeded = await readFile(path.join(first.runDir, 'seeded/kubeconfig.yaml'), 'utf8');
    expect(secrets.some((s) => seeded.includes(s))).toBe(true);
    // ...and the bundle holds none of them, in any file, text or pcap.
    const dir = await extract(first.bundle);
    const files = await filesUnder(dir);
    expect(files.some((f) => f.endsWith('.pcap'))).toBe(true);
    for (const f of files) {
      const bytes = await readFile(f);
      for (const s of secrets) expect(bytes.includes(s), `${s} found in ${path.relative(dir, f)}`).toBe(false);
    }
    const top = path.join(dir, (await readdir(dir))[0]);
    for (const evidence of ['iptables-node-1.txt', 'routes-node-2.json', 'connectivity-matrix.json']) {
      expect(await readFile(path.join(top, evidence), 'utf8')).toBe(await readFile(path.join(first.runDir, evidence), 'utf8'));
    }
    const manifest = JSON.parse(await readFile(path.join(top, 'bundle-manifest.json'), 'utf8'));
    expect(Object.values(manifest.redaction.totals).reduce((a: number, n) => a + Number(n), 0)).toBeGreaterThan(secrets.length / 2);
  });

  async function obfuscatedMatches(run: LabRun): Promise<void> {
    const out = await mkdtemp(path.join(tmp, 'obf-'));
    const b = await runCli(['bundle', run.runDir, '--obfuscate', '-o', out]);
    expect(b.exitCode, b.stderr).toBe(0);
    const bundle = bundleFrom(b.stdout)!;
    const dir = await extract(bundle);
    const names = run.state.nodes.map((n: any) => n.name);
    const ips = [...run.state.nodes.map((n: any) => n.address), ...run.state.pods.filter((p: any) => !p.hostNetwork).map((p: any) => p.ip)];
    const macs = run.state.nodes.map((n: any) => n.vtepMac.toLowerCase());
    const ipBytes = ips.map((ip: string) => Buffer.from(ip.split('.').map(Number)));
    for (const f of await filesUnder(dir)) {
      const bytes = await readFile(f);
      const text = bytes.toString('latin1').toLowerCase();
      const rel = path.relative(dir, f);
      for (const n of names) expect(new RegExp(`\\b${n}\\b`).test(text), `${n} in ${rel}`).toBe(false);
      for (const ip of ips) expect(new RegExp(`(?<![\\d.])${ip.replace(/\./g, '\\.')}(?![\\d])`).test(text), `${ip} in ${rel}`).toBe(false);
      for (const m of macs) expect(text.includes(m), `${m} in ${rel}`).toBe(false);
      if (f.endsWith('.pcap')) for (const [i, raw] of ipBytes.entries()) expect(bytes.includes(raw), `${ips[i]} (binary) in ${rel}`).toBe(false);
    }
    const mappingFile = /^obfuscation map .*: (\S+)$/m.exec(b.stdout)?.[1];
    expect(mappingFile, b.stdout).toBeDefined();
    expect(path.dirname(mappingFile!)).toBe(out);
    const mapping = JSON.parse(await readFile(mappingFile!, 'utf8'));
    const original = await verdictOf(['report', run.runDir]);
    const analysed = await verdictOf(['analyze', bundle, '-o', out]);
    expect(original.id).toBeDefined();
    expect(analysed.id).toBe(original.id);
    // Node lists are sorted by name, and pseudonyms sort differently from the originals.
    expect([...analysed.nodes].sort()).toEqual(original.nodes.map((n) => mapping.hosts[n] ?? n).sort());
  }

  it('obfuscates vxlan-blocked@node-2 and analyze reaches the same verdict', async () => obfuscatedMatches(first));
  it('obfuscates ip-forward-off@node-3 and analyze reaches the same verdict', async () => obfuscatedMatches(await labRun('bnd2', 'ip-forward-off@node-3')));
  it('obfuscates kube-proxy-crashloop and analyze reaches the same verdict', async () => obfuscatedMatches(await labRun('bnd3', 'kube-proxy-crashloop')));
});
