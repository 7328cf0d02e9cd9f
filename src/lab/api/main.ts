/**
 * The lab API server process: `node dist/lab/api/main.js --state <state.json> [--deny rule,…]
 * [--actions <module>] [--plain-http]`. Started detached by launch.ts; serves HTTPS on 127.0.0.1 (port and token
 * from state.api, else a free port and a random token, recorded back into state.json) until
 * SIGTERM, or until its lab's state file has been gone for a while (a lab torn down without
 * stopping its server must not leave it running forever).
 */
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import { readLabState, updateLabState } from '../state.js';
import { killAllExecs } from './exec.js';
import { loadWorkloadActions } from './create.js';
import { createHandlers } from './handler.js';
import { loadRestartWorkload } from './patch.js';
import { Policy } from './policy.js';
import { StateSource } from './state-source.js';
import { ensureTls } from './tls.js';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function parseArgs(argv: string[]): { state: string; deny: string[]; actions?: string; plainHttp: boolean } {
  const out: { state?: string; deny: string[]; actions?: string; plainHttp: boolean } = { deny: [], plainHttp: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--state') out.state = argv[++i];
    else if (a === '--deny') out.deny.push(...String(argv[++i]).split(','));
    else if (a === '--actions') out.actions = argv[++i];
    else if (a === '--plain-http') out.plainHttp = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!out.state) throw new Error('usage: main.js --state <state.json> [--deny rule,…] [--actions <module>] [--plain-http]');
  return { state: out.state, deny: out.deny, actions: out.actions, plainHttp: out.plainHttp };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const initial = await readLabState(args.state);
  const plain = args.plainHttp || process.env.NETDIAG_LAB_API_PLAIN_HTTP === '1';
  const tls = plain ? undefined : await ensureTls(initial.dir);
  if (!tls) {
    log(plain ? 'serving plain HTTP as asked (--plain-http / NETDIAG_LAB_API_PLAIN_HTTP=1)' : 'serving plain HTTP: the openssl CLI is not available to make a certificate');
    log('plain HTTP: requests without credentials are accepted (kubectl never sends a token over http); wrong tokens are still refused');
  }
  const token = initial.api?.token || randomBytes(24).toString('hex');
  const wantedPort = initial.api?.port || 0;

  let port = 0;
  const actionsModule = args.actions ?? new URL('../actions.js', import.meta.url).href;
  const denyEnv = (process.env.NETDIAG_LAB_API_DENY ?? '').split(',');
  const handlers = createHandlers({
    stateFile: args.state,
    source: new StateSource(args.state, tls?.caPem),
    policy: new Policy([...args.deny, ...denyEnv], join(initial.dir, 'api-policy.json'), log),
    token,
    allowAnonymous: !tls,
    serverAddress: () => `127.0.0.1:${port}`,
    restartWorkload: () => loadRestartWorkload(actionsModule),
    workloadActions: () => loadWorkloadActions(actionsModule),
    log,
  });
  const server = tls ? createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, handlers.onRequest) : createHttpServer(handlers.onRequest);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void handlers.onUpgrade(req, socket, head));
  const listen = (p: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, '127.0.0.1', () => resolve());
    });
  try {
    await listen(wantedPort);
  } catch (err) {
    // The recorded port is taken (a restarted lab): any free port will do, the state says which.
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wantedPort === 0) throw err;
    log(`port ${wantedPort} is in use, choosing a free one`);
    await listen(0);
  }
  port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  await updateLabState(args.state, (s) => {
    s.api = { url, token, port, pid: process.pid };
  });
  log(`lab API server for ${initial.name} listening on ${url} (pid ${process.pid})`);

  const stop = (why: string) => {
    log(`stopping: ${why}`);
    killAllExecs();
    handlers.close();
    server.close();
    server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  let missingChecks = 0;
  setInterval(() => {
    access(args.state).then(
      () => (missingChecks = 0),
      () => ++missingChecks >= 3 && stop(`state file ${args.state} is gone`),
    );
  }, 5000).unref();
}

main().catch((err: Error) => {
  log(`fatal: ${err.stack ?? err.message}`);
  process.exit(1);
});
