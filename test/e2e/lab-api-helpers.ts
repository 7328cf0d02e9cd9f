/**
 * Helpers for the lab API server tests: compile the server into a private folder (other
 * engineers' half-written files must not break this build), run the real kubectl with a private
 * cache, and make raw HTTPS requests with or without the token.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execa } from 'execa';
import { createLabApiFixture, type LabApiFixture } from './lab-api-fixture.js';

const run = promisify(execFile);

/** The repository root (this file is test/e2e/…). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** What the test needs from the machine; empty when everything is there. */
export async function missingPrerequisites(): Promise<string[]> {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (to create network namespaces)');
  for (const bin of ['kubectl', 'ip', 'openssl']) {
    try {
      await run('which', [bin]);
    } catch {
      missing.push(`the ${bin} binary`);
    }
  }
  return missing;
}

/**
 * Compiles src/lab/api (and what it imports) with the project's tsconfig into
 * node_modules/.cache/<name> (inside the repo so `ws`/`yaml` resolve) and returns the folder.
 */
export async function buildLabApi(name: string): Promise<string> {
  const out = join(repoRoot, 'node_modules/.cache', name);
  await mkdir(out, { recursive: true });
  const tsconfig = join(out, 'tsconfig.json');
  await writeFile(tsconfig, JSON.stringify({
    extends: join(repoRoot, 'tsconfig.json'),
    compilerOptions: { outDir: join(out, 'dist'), rootDir: join(repoRoot, 'src'), sourceMap: false, typeRoots: [join(repoRoot, 'node_modules/@types')] },
    files: ['main.ts', 'launch.ts', 'kubeconfig.ts'].map((f) => join(repoRoot, 'src/lab/api', f)),
    include: [],
  }));
  await run(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', tsconfig]);
  const main = join(out, 'dist/lab/api/main.js');
  if (!existsSync(main)) throw new Error(`build did not produce ${main}`);
  return out;
}

/** Result of one kubectl run. */
export interface KubectlResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against a kubeconfig, with its discovery cache in `home`. */
export async function kubectl(kubeconfig: string, home: string, args: string[], input?: string): Promise<KubectlResult> {
  const r = await execa('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    reject: false,
    env: { HOME: home, KUBECONFIG: '' },
    extendEnv: true,
    input,
    timeout: 60_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** A raw HTTPS request to the lab API (token optional), JSON-decoded when possible. */
export async function rawRequest(
  url: string,
  path: string,
  opts: { token?: string; ca?: string; accept?: string; method?: string; body?: string; contentType?: string } = {},
): Promise<{ status: number; contentType: string; text: string; json: any }> {
  return new Promise((done, fail) => {
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    const req = request(new URL(path, url), { method: opts.method ?? 'GET', headers, ca: opts.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        done({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text, json });
      });
    });
    req.on('error', fail);
    req.end(opts.body);
  });
}

/** Everything a lab API test file needs: the synthetic lab, a running server, a kubeconfig. */
export interface LabApiTestContext {
  fx: LabApiFixture;
  buildDir: string;
  mainScript: string;
  server: { pid: number; url: string; port: number; token: string };
  kubeconfig: string;
  /** The lab CA (PEM) for raw HTTPS requests. */
  ca: string;
  /** HOME for kubectl (its discovery cache). */
  home: string;
  launch: typeof import('../../src/lab/api/launch.js');
  writeKubeconfig: typeof import('../../src/lab/api/kubeconfig.js').writeKubeconfig;
  /** Stops the server, removes the namespaces, the lab folder and the build. */
  stop: () => Promise<void>;
}

/**
 * Checks the prerequisites once per file: under CI=true a missing one fails the file with the
 * reason; elsewhere the file is skipped with a visible warning. Returns true when runnable.
 */
export async function labApiRunnable(): Promise<boolean> {
  const missing = await missingPrerequisites();
  if (missing.length && process.env.CI === 'true') throw new Error(`lab API tests need ${missing.join(', ')}`);
  if (missing.length) console.warn(`SKIPPING lab API tests: missing ${missing.join(', ')}`);
  return missing.length === 0;
}

/** Builds the server, creates the synthetic lab `ndtapi<tag>-…`, starts the server (stub actions). */
export async function startLabApiForTests(tag: string): Promise<LabApiTestContext> {
  const buildDir = await buildLabApi(`ndtapi-build-${tag}`);
  const mainScript = join(buildDir, 'dist/lab/api/main.js');
  const launch = (await import(join(buildDir, 'dist/lab/api/launch.js'))) as LabApiTestContext['launch'];
  const { writeKubeconfig } = (await import(join(buildDir, 'dist/lab/api/kubeconfig.js'))) as typeof import('../../src/lab/api/kubeconfig.js');
  const fx = await createLabApiFixture(tag);
  let server: LabApiTestContext['server'] | undefined;
  const stop = async () => {
    if (server) await launch.stopApiServer(server.pid);
    await fx.cleanup();
    await rm(buildDir, { recursive: true, force: true });
  };
  try {
    server = await launch.startApiServer(fx.stateFile, { mainScript, actionsModule: fx.stubActions });
    const kubeconfig = await writeKubeconfig(JSON.parse(await readFile(fx.stateFile, 'utf8')));
    const ca = await readFile(join(fx.dir, 'api-tls/ca.crt'), 'utf8');
    return { fx, buildDir, mainScript, server, kubeconfig, ca, home: join(fx.dir, 'home'), launch, writeKubeconfig, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
