/**
 * Pod exec over the Kubernetes websocket channel protocol (what kubectl ≥1.30 and
 * @kubernetes/client-node speak). Every binary frame starts with a channel byte: 0 stdin,
 * 1 stdout, 2 stderr, 3 status/error, 4 resize, and (v5 only) 255 "close this channel".
 * `base64.channel.k8s.io` sends text frames: an ASCII channel digit + base64 payload.
 *
 * The command runs as `ip netns exec <netns> <argv…>` — argv is passed straight to execve, never
 * through a shell, exactly as the kubelet does — and is killed (its process group) when the
 * websocket closes before it ends.
 */
import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { WebSocket } from 'ws';
import { EXEC_SUCCESS, execNonZero } from './status.js';

/** Subprotocols the lab accepts, most preferred first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io'];

/** Picks the protocol the server answers with from what the client offered. */
export function chooseProtocol(offered: Set<string>): string | false {
  return EXEC_PROTOCOLS.find((p) => offered.has(p)) ?? false;
}

/** What to run, where, and which streams the client asked for. */
export interface ExecRequest {
  netns: string;
  argv: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Parses the exec query (`command` repeated, booleans as `1`/`true`). */
export function parseExecQuery(q: URLSearchParams): Omit<ExecRequest, 'netns'> & { container?: string } {
  const flag = (k: string) => q.get(k) === '1' || q.get(k) === 'true';
  return {
    argv: q.getAll('command'),
    container: q.get('container') || undefined,
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  };
}

/** Process groups of running exec sessions (killed when the server stops). */
const activeGroups = new Set<number>();

/** Kills every running exec session's process group (server shutdown). */
export function killAllExecs(): void {
  for (const pgid of activeGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  activeGroups.clear();
}

/** Runs an exec session on an accepted websocket. */
export function runExec(ws: WebSocket, req: ExecRequest, log: (line: string) => void): void {
  const protocol = ws.protocol;
  const base64 = protocol === 'base64.channel.k8s.io';
  const statusIsJson = protocol === 'v4.channel.k8s.io' || protocol === 'v5.channel.k8s.io';

  const send = (channel: number, data: Buffer | string) => {
    if (ws.readyState !== ws.OPEN) return;
    const payload = typeof data === 'string' ? Buffer.from(data) : data;
    if (base64) ws.send(String.fromCharCode(48 + channel) + payload.toString('base64'));
    else ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  };

  const child = spawn('ip', ['netns', 'exec', req.netns, ...req.argv], {
    detached: true, // own process group: closing the websocket kills everything it started
    stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let finished = false;
  if (child.pid !== undefined) activeGroups.add(child.pid);
  log(`exec pid=${child.pid} netns=${req.netns} argv=${JSON.stringify(req.argv)} protocol=${protocol}`);

  child.stdout?.on('data', (d: Buffer) => req.stdout && send(1, d));
  // With a TTY the terminal merges stderr into stdout.
  child.stderr?.on('data', (d: Buffer) => (req.tty ? send(1, d) : req.stderr && send(2, d)));
  child.stdin?.on('error', () => undefined); // the command may exit before reading stdin

  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    let data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as ArrayBuffer);
    if (!data.length) return;
    let channel = data[0];
    if (base64 || !isBinary) {
      channel = data[0] - 48;
      data = Buffer.concat([Buffer.from([channel]), Buffer.from(data.subarray(1).toString(), 'base64')]);
    }
    const payload = data.subarray(1);
    if (channel === 0 && child.stdin && !child.stdin.destroyed) child.stdin.write(payload);
    else if (channel === 255 && payload[0] === 0) child.stdin?.end(); // v5: client closed stdin
    // Channel 4 (terminal resize) has nothing to resize without a pty.
  });

  const killGroup = () => {
    if (finished || child.pid === undefined) return;
    log(`exec pid=${child.pid}: websocket closed before the command ended, killing its process group`);
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  ws.on('close', killGroup);
  ws.on('error', killGroup);

  const forget = () => child.pid !== undefined && activeGroups.delete(child.pid);
  child.on('error', (err) => {
    finished = true;
    forget();
    send(3, statusIsJson ? JSON.stringify({ metadata: {}, status: 'Failure', message: err.message, reason: 'InternalError' }) : err.message);
    ws.close(1000);
  });
  child.on('close', (code, signal) => {
    finished = true;
    forget();
    const exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 9) : 9);
    log(`exec pid=${child.pid} exited ${exitCode}`);
    if (exitCode === 0) {
      if (statusIsJson) send(3, JSON.stringify(EXEC_SUCCESS));
    } else {
      const status = execNonZero(exitCode, req.argv);
      send(3, statusIsJson ? JSON.stringify(status) : (status as { message: string }).message);
    }
    ws.close(1000);
  });
}
