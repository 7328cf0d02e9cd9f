/**
 * Run one command over an exec channel of an established ssh2 connection: output streamed
 * with backpressure (the channel is piped, so a slow file pauses the remote side through the
 * SSH window), and on abort the remote process group is killed over a second channel (see
 * remote-command.ts for why). Returns an outcome; never throws.
 */
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { abortStatus } from './abort.js';
import { killScript, PgidMarkerFilter, wrapRemoteCommand } from './remote-command.js';
import type { ExecOutcome, ExecRequest } from './types.js';

export interface RemoteExecSettings {
  /** Time between TERM and KILL of the remote process group. */
  killGraceMs: number;
  /** Label for messages, e.g. `root@10.0.0.1:22`. */
  label: string;
}

function openExec(client: Client, command: string): Promise<ClientChannel | Error> {
  return new Promise((resolve) => {
    try {
      client.exec(command, (err, channel) => resolve(err ?? channel));
    } catch (err) {
      resolve(err as Error); // "Not connected" when the connection dropped meanwhile
    }
  });
}

/** Kill the remote group over its own channel; resolves when the kill script finished. */
async function killRemoteGroup(client: Client, pgid: number, graceMs: number, become?: { user: string }): Promise<void> {
  const channel = await openExec(client, killScript(pgid, graceMs, become));
  if (channel instanceof Error) return;
  await new Promise<void>((resolve) => {
    channel.on('close', () => resolve());
    channel.resume();
    channel.stderr.resume();
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
  const nonce = randomBytes(8).toString('hex');
  const channel = await openExec(client, wrapRemoteCommand(req.command, nonce, become));
  if (channel instanceof Error) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: cannot open exec channel: ${channel.message}` };
  }

  let exitCode: number | null | undefined;
  let exitSignal: string | undefined;
  let pgid: number | undefined;
  let aborted = false;
  let killNote = '';

  const kill = (group: number) => {
    killRemoteGroup(client, group, settings.killGraceMs, become).then(() => {
      killNote = `; remote process group ${group} killed`;
      // Descendants that left the group may still hold the pipes: don't wait on them.
      setTimeout(() => channel.close(), 1000).unref();
    });
  };
  const stderrFilter = new PgidMarkerFilter(nonce, (group) => {
    pgid = group;
    if (aborted) kill(group);
  });

  channel.on('exit', (code: number | null, signal?: string) => {
    exitCode = code;
    exitSignal = signal;
  });
  channel.pipe(req.stdout, { end: false });
  channel.stderr.pipe(stderrFilter).pipe(req.stderr, { end: false });

  const done = new Promise<void>((resolve) => {
    let pending = 3;
    const one = () => --pending === 0 && resolve();
    channel.once('close', one);
    channel.once('end', one);
    stderrFilter.once('end', one);
    // Safety net after an abort: resolve even if the channel never reports close/end.
    channel.once('netdiag-force-finish', () => resolve());
  });

  const onAbort = () => {
    aborted = true;
    if (pgid !== undefined) kill(pgid);
    // If the marker never comes (command never started) or the kill cannot run, close the
    // channel ourselves; then stop waiting altogether.
    const hard = setTimeout(() => {
      channel.close();
      setTimeout(() => channel.emit('netdiag-force-finish'), 1000).unref();
    }, settings.killGraceMs + 3000);
    hard.unref();
    done.then(() => clearTimeout(hard));
  };
  req.signal.addEventListener('abort', onAbort, { once: true });
  await done;
  req.signal.removeEventListener('abort', onAbort);
  channel.unpipe(req.stdout);
  stderrFilter.unpipe(req.stderr);

  if (aborted) {
    const status = abortStatus(req.signal);
    const what = status === 'timedout' ? 'timed out' : 'interrupted';
    return { status, exitCode: null, signal: exitSignal, error: `${what}${killNote}` };
  }
  if (exitCode === undefined && exitSignal === undefined) {
    return { status: 'unreachable', exitCode: null, error: `${settings.label}: connection lost while the command ran` };
  }
  if (exitCode === 0) return { status: 'ok', exitCode: 0 };
  if (exitSignal) return { status: 'failed', exitCode: null, signal: exitSignal, error: `killed by ${exitSignal}` };
  return { status: 'failed', exitCode: exitCode ?? null, error: `exit code ${exitCode}` };
}
