/**
 * Run one command over an exec channel of an established ssh2 connection. Output is piped to
 * the caller's writables, so a slow file pauses the remote side through the SSH window instead
 * of buffering (node-ssh's execCommand would hold everything in memory). On abort the channel
 * gets EOF, which makes the wrapper's watchdog kill the remote process group (see
 * remote-command.ts). Returns an outcome; never throws.
 */
import type { Client, ClientChannel } from 'ssh2';
import { abortStatus } from './abort.js';
import { wrapRemoteCommand } from './remote-command.js';
import type { ExecOutcome, ExecRequest } from './types.js';

export interface RemoteExecSettings {
  /** Time the remote watchdog waits between TERM and KILL of the process group. */
  killGraceMs: number;
  /** Label for messages, e.g. `root@10.0.0.1:22`. */
  label: string;
}

/** Extra wait, beyond the kill grace, for the channel to close before netdiag closes it. */
const CLOSE_SLACK_MS = 3000;

function openExec(client: Client, command: string): Promise<ClientChannel | Error> {
  return new Promise((resolve) => {
    try {
      client.exec(command, (err, channel) => resolve(err ?? channel));
    } catch (err) {
      resolve(err as Error); // "Not connected" when the connection dropped meanwhile
    }
  });
}

/** Run `req.command` on `client`; `durationMs` is filled in by the caller. */
export async function execOnClient(
  client: Client,
  req: ExecRequest,
  settings: RemoteExecSettings,
): Promise<Omit<ExecOutcome, 'durationMs'>> {
  if (req.signal.aborted) return { status: abortStatus(req.signal), exitCode: null, error: 'aborted before start' };
  const become = req.become ? { user: req.becomeUser ?? 'root' } : undefined;
  const channel = await openExec(client, wrapRemoteCommand(req.command, settings.killGraceMs, become));
  if (channel instanceof Error) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: cannot open exec channel: ${channel.message}` };
  }

  let exitCode: number | null | undefined;
  let exitSignal: string | undefined;
  let aborted = false;
  let forcedClose = false;

  channel.on('exit', (code: number | null, signal?: string) => {
    exitCode = code;
    exitSignal = signal;
  });
  channel.pipe(req.stdout, { end: false });
  channel.stderr.pipe(req.stderr, { end: false });

  let forceFinish = () => {};
  const done = new Promise<void>((resolve) => {
    forceFinish = resolve;
    let pending = 3; // channel closed, stdout fully read, stderr fully read
    const one = () => --pending === 0 && resolve();
    channel.once('close', one);
    channel.once('end', one);
    channel.stderr.once('end', one);
  });

  const onAbort = () => {
    aborted = true;
    channel.end(); // EOF on the wrapper's stdin: its watchdog TERMs, then KILLs the group
    // Something still holds the output pipes after the grace period (e.g. a process that left
    // the group, or a wedged host): stop waiting for it.
    const hard = setTimeout(() => {
      forcedClose = true;
      channel.close();
      setTimeout(forceFinish, 1000);
    }, settings.killGraceMs + CLOSE_SLACK_MS);
    done.then(() => clearTimeout(hard));
  };
  req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.signal.aborted) onAbort(); // aborted while the channel was opening: the event is gone
  await done;
  req.signal.removeEventListener('abort', onAbort);
  channel.unpipe(req.stdout);
  channel.stderr.unpipe(req.stderr);

  if (aborted) {
    const status = abortStatus(req.signal);
    const what = status === 'timedout' ? 'timed out' : 'interrupted';
    const how = forcedClose
      ? `remote output still open ${(settings.killGraceMs + CLOSE_SLACK_MS) / 1000} s after the kill; channel closed`
      : 'remote process group killed';
    return { status, exitCode: null, signal: exitSignal, error: `${what}; ${how}` };
  }
  if (exitCode === undefined && exitSignal === undefined) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: connection lost while the command ran` };
  }
  if (exitCode === 0) return { status: 'ok', exitCode: 0 };
  if (exitSignal) return { status: 'failed', exitCode: null, signal: exitSignal, error: `killed by ${exitSignal}` };
  return { status: 'failed', exitCode: exitCode ?? null, error: `exit code ${exitCode}` };
}
