/**
 * Starting and stopping the lab API server process, and the kubeconfig users point at it.
 * The server runs detached in its own process group (it must outlive `netdiag lab up`), with
 * stdout/stderr appended to `<labDir>/api.log`.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { readLabState } from '../state.js';
import { readCaPem } from './tls.js';

/** Where a started server can be reached. */
export interface ApiServerHandle {
  pid: number;
  url: string;
  port: number;
  token: string;
}

/** Options mostly for tests. */
export interface StartApiServerOptions {
  /** The compiled main.js (default: next to this file, or `<repo>/dist/lab/api/main.js` from sources). */
  mainScript?: string;
  /** Deny rules for the RBAC knob (see policy.ts), e.g. `['create:pods/exec']`. */
  deny?: string[];
  /** Module exporting `restartWorkload` (default: the lab's `../actions.js`). */
  actionsModule?: string;
  /** Serve plain HTTP even when openssl could make a certificate. */
  plainHttp?: boolean;
  /** How long to wait for the server to answer (default 20 s). */
  readyTimeoutMs?: number;
}

/** The compiled server entry point. */
export function defaultMainScript(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = join(dirname(here), 'main.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  // Running from sources (vitest): use the build output.
  return resolve(dirname(here), '../../../dist/lab/api/main.js');
}

/** One GET with the bearer token; resolves to the status code (0 when unreachable). */
export async function probeApi(url: string, token: string, ca?: string, path = '/readyz'): Promise<number> {
  const u = new URL(path, url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((done) => {
    const req = request(u, { method: 'GET', headers: { Authorization: `Bearer ${token}` }, ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => done(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
    req.end();
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function logTail(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-10).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the API server for a lab and waits until it answers `/readyz` with its token.
 * Throws (with the end of api.log) if it exits or does not become ready in time.
 */
export async function startApiServer(stateFile: string, options: StartApiServerOptions = {}): Promise<ApiServerHandle> {
  const state = await readLabState(stateFile);
  const logFile = join(state.dir, 'api.log');
  const mainScript = options.mainScript ?? defaultMainScript();
  if (!existsSync(mainScript)) throw new Error(`lab API server entry point ${mainScript} does not exist (run the build first)`);
  const args = [mainScript, '--state', stateFile];
  if (options.deny?.length) args.push('--deny', options.deny.join(','));
  if (options.actionsModule) args.push('--actions', options.actionsModule);
  if (options.plainHttp) args.push('--plain-http');
  const fd = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not spawn the lab API server');

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (!alive(pid) || child.exitCode !== null) {
      throw new Error(`lab API server exited during start-up; end of ${logFile}:\n${await logTail(logFile)}`);
    }
    const s = await readLabState(stateFile).catch(() => undefined);
    if (s?.api?.pid === pid && s.api.port) {
      const ca = s.api.url.startsWith('https:') ? await readCaPem(s.dir) : undefined;
      if ((await probeApi(s.api.url, s.api.token, ca)) === 200) return { pid, url: s.api.url, port: s.api.port, token: s.api.token };
    }
    await sleep(100);
  }
  await stopApiServer(pid);
  throw new Error(`lab API server did not become ready in time; end of ${logFile}:\n${await logTail(logFile)}`);
}

/** Stops a server started by startApiServer (its whole process group), waiting for it to go. */
export async function stopApiServer(pid: number, timeoutMs = 5000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // Already gone.
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) signal('SIGKILL');
}
