/**
 * `netdiag run`'s bundle flags reach the bundle it packs at the end (user redactors, regexes,
 * size caps), and a bad bundle flag fails before anything is collected, naming the flag/file.
 * Local steps only: what is under test is the CLI wiring, not SSH.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, runCli, runDirFrom } from '../helpers/cli.js';

let tmp: string;
let planFile: string;
let redactors: string;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'ndt-runbundle-'));
  planFile = path.join(tmp, 'plan.yaml');
  // One small file with two site-specific secrets, one 64 KiB file to be capped.
  await writeFile(
    planFile,
    [
      'name: bundle-flags',
      'steps:',
      "  - { name: ids, local: \"printf 'owner EMP-123456 ticket TICKET-4242 host db.internal.corp.example\\\\n'\", save: ids.txt }",
      '  - { name: big, local: "head -c 65536 /dev/zero | tr \'\\\\0\' x", save: big.txt }',
      '',
    ].join('\n'),
  );
  redactors = path.join(tmp, 'redactors.yaml');
  await writeFile(redactors, '- name: employee-id\n  regex: "EMP-[0-9]{6}"\n- name: ticket\n  regex: "(TICKET-)[0-9]+"\n  replace: "$1####"\n');
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function bundleFiles(runDir: string): Promise<Map<string, string>> {
  const parent = path.dirname(runDir);
  const tarball = (await readdir(parent)).find((f) => f.endsWith('.tar.gz'));
  expect(tarball, `no bundle in ${parent}`).toBeDefined();
  const into = await mkdtemp(path.join(tmp, 'x-'));
  await execa('tar', ['-xzf', path.join(parent, tarball!), '-C', into]);
  const files = new Map<string, string>();
  for (const rel of (await readdir(into, { recursive: true, withFileTypes: true })).filter((d) => d.isFile())) {
    files.set(rel.name, await readFile(path.join(rel.parentPath, rel.name), 'utf8'));
  }
  return files;
}

describe('netdiag run: bundle flags', () => {
  it('applies --redactors, --redact-pattern and --bundle-max-file-size to the bundle, leaving the run directory intact', async () => {
    const out = path.join(tmp, 'ok');
    const r = await runCli(['run', '-p', planFile, '-o', out, '--redactors', redactors, '--redact-pattern', 'internal\\.corp\\.example', '--bundle-max-file-size', '4KiB']);
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    const runDir = runDirFrom(r.stdout);
    expect(await readFile(path.join(runDir, 'ids.txt'), 'utf8')).toContain('EMP-123456');

    const files = await bundleFiles(runDir);
    const ids = files.get('ids.txt');
    expect(ids).toBe('owner [REDACTED:user:employee-id] ticket TICKET-#### host db.[REDACTED:user:pattern-1]\n');
    expect(files.get('big.txt')!.length).toBeLessThanOrEqual(4096 + 200);
    expect(files.get('big.txt')!.length).toBeGreaterThan(0);
    const manifest = await readManifest(runDir);
    expect(manifest.bundle).toMatchObject({ redaction: true, userPatterns: 3, perFileCapBytes: 4096 });
  });

  it.each([
    ['--redact-pattern', '(unclosed', /--redact-pattern\[0\]: invalid regular expression/],
    ['--bundle-max-file-size', 'lots', /--bundle-max-file-size: expected a size like 20MiB, got "lots"/],
    ['--redactors', '/nonexistent/redactors.yaml', /\/nonexistent\/redactors\.yaml: cannot read redactors file/],
  ])('%s %s exits 3 before collecting anything', async (flag, value, message) => {
    const out = path.join(tmp, `bad-${flag.replace(/\W/g, '')}`);
    const r = await runCli(['run', '-p', planFile, '-o', out, flag, value]);
    expect(r.exitCode, r.stdout).toBe(3);
    expect(r.stderr).toMatch(message);
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });
});
