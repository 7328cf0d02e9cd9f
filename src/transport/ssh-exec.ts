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

/** What the channel's `exit` event said; filled in as soon as it is emitted. */
interface ExitInfo {
  code?: number | null;
  signal?: string;
}

/**
 * Opens the exec channel and listens for `exit` inside ssh2's callback: when a short command's
 * output and exit status arrive in one network read, `exit` is emitted before an `await` on this
 * promise resumes, and a listener attached later would miss it (seen as "connection lost" on
 * 10–40 % of commands with 20 busy hosts).
 */
function openExec(client: Client, command: string): Promise<{ channel: ClientChannel; exit: ExitInfo } | Error> {
  return new Promise((resolve) => {
    try {
      client.exec(command, (err, channel) => {
        if (err) return resolve(err);
        const exit: ExitInfo = {};
        channel.once('exit', (code: number | null, signal?: string) => Object.assign(exit, { code, signal }));
        resolve({ channel, exit });
      });
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
  const opened = await openExec(client, wrapRemoteCommand(req.command, settings.killGraceMs, become));
  if (opened instanceof Error) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: cannot open exec channel: ${opened.message}` };
  }
  const { channel, exit } = opened;
  let aborted = false;
  let forcedClose = false;
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
    return { status, exitCode: null, signal: exit.signal, error: `${what}; ${how}` };
  }
  // Read after the channel closed: `exit` has been filled in by then, if it came at all.
  const { code: exitCode, signal: exitSignal } = exit;
  if (exitCode === undefined && exitSignal === undefined) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: connection lost while the command ran` };
  }
  if (exitCode === 0) return { status: 'ok', exitCode: 0 };
  if (exitSignal) return { status: 'failed', exitCode: null, signal: exitSignal, error: `killed by ${exitSignal}` };
  return { status: 'failed', exitCode: exitCode ?? null, error: `exit code ${exitCode}` };
}
