/**
 * Bench labs: `netdiag lab up/down` through the built CLI, with every lab this process brought
 * up taken down again on normal exit, on an exception and on SIGINT/SIGTERM (Ctrl-C).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { mustRun } from './proc.mjs';

/** The built CLI; NETDIAG_DIST points at another build output folder (A/B experiments). */
export const CLI = process.env.NETDIAG_DIST
  ? path.join(path.resolve(process.env.NETDIAG_DIST), 'cli', 'index.js')
  : new URL('../../dist/cli/index.js', import.meta.url).pathname;
const up = new Set();

/** Synchronous so it also works from a signal handler or process 'exit'. */
export function labDownSync(name) {
  try {
    execFileSync('node', [CLI, 'lab', 'down', '--name', name], { stdio: 'ignore', timeout: 120_000 });
  } catch {
    // Reported by the caller through the lab still being listed; nothing else to do here.
  }
  up.delete(name);
}

let handlersInstalled = false;
function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const cleanup = () => [...up].forEach(labDownSync);
  process.on('exit', cleanup);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`\nbench: ${sig} — taking down ${[...up].join(', ') || 'no labs'}\n`);
      cleanup();
      process.exit(130);
    });
  }
}

/**
 * Bring a lab up and return its status JSON (`files.inventory`, `files.knownHosts`, …) plus
 * `upMs`. `opts.nodesOnly` (default true) and `opts.api` (default false).
 */
export async function labUp(name, nodes, opts = {}) {
  if (!name.startsWith('bench')) throw new Error(`bench lab names start with "bench": ${name}`);
  installHandlers();
  labDownSync(name); // a leftover from an interrupted earlier run
  up.add(name);
  const args = ['lab', 'up', '--name', name, '--nodes', String(nodes), '--json'];
  if (opts.nodesOnly ?? true) args.push('--nodes-only');
  if (!(opts.api ?? false)) args.push('--no-api');
  const r = await mustRun('node', [CLI, ...args], { timeoutMs: 600_000 });
  return { ...JSON.parse(r.stdout), upMs: r.ms };
}

/** Take a lab down (idempotent). */
export function labDown(name) {
  labDownSync(name);
}
