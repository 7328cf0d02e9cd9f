/**
 * Local commands (the `local` and `kubectl` step kinds) via execa, streamed, with the whole
 * process group killed on abort.
 *
 * Why our own kill instead of execa's `cancelSignal`/`timeout`: those signal only the direct
 * child. A `sh -c 'sleep 300 & wait'` would leave `sleep` running and holding the stdout pipe.
 * The child is started `detached` (its own session, so its pid is the process-group id) and
 * on abort the group gets SIGTERM, then SIGKILL if anything is left after the grace period.
 */
import { abortStatus } from './abort.js';
import { killGroup } from './process-group.js';
import type { ExecOutcome, ExecRequest } from './types.js';

/** A local command: a string runs through `/bin/sh -c`, an argv list runs without a shell. */
export interface LocalExecRequest extends Omit<ExecRequest, 'command' | 'become' | 'becomeUser'> {
  command: string | string[];
  /** Added to (not replacing) the inherited environment. */
  env?: Record<string, string>;
  cwd?: string;
  /** Time between SIGTERM and SIGKILL of the group on abort; default 2 000 ms. */
  killGraceMs?: number;
}

/** Run a local command; resolves with the outcome, never rejects. */
export async function runLocal(req: LocalExecRequest): Promise<ExecOutcome> {
  const started = performance.now();
  const finish = (outcome: Omit<ExecOutcome, 'durationMs'>): ExecOutcome => ({
    ...outcome,
    durationMs: Math.round(performance.now() - started),
  });
  if (req.signal.aborted) return finish({ status: abortStatus(req.signal), exitCode: null, error: 'aborted before start' });
  const [file, args] =
    typeof req.command === 'string' ? ['/bin/sh', ['-c', req.command]] : [req.command[0], req.command.slice(1)];
  if (!file) return finish({ status: 'failed', exitCode: null, error: 'empty command' });

  // Loaded on first use: an SSH-only run never pays for execa.
  const { execa } = await import('execa');
  // An abort that landed while execa loaded has already fired its event: do not start at all.
  if (req.signal.aborted) return finish({ status: abortStatus(req.signal), exitCode: null, error: 'aborted before start' });
  const subprocess = execa(file, args, {
    env: req.env,
    cwd: req.cwd,
    stdin: 'ignore',
    buffer: false, // output goes to the caller's writables, never into memory
    reject: false,
    detached: true,
    stripFinalNewline: false,
  });
  subprocess.stdout?.pipe(req.stdout, { end: false });
  subprocess.stderr?.pipe(req.stderr, { end: false });

  let aborted = false;
  let killed: Promise<void> | undefined;
  const onAbort = () => {
    aborted = true;
    const pid = subprocess.pid;
    if (pid === undefined) return;
    killed = killGroup(pid, req.killGraceMs ?? 2_000).then(() => {
      // A descendant that left the group may still hold the pipes: stop reading them.
      setTimeout(() => {
        subprocess.stdout?.destroy();
        subprocess.stderr?.destroy();
      }, 1000).unref();
    });
  };
  req.signal.addEventListener('abort', onAbort, { once: true });
  if (req.signal.aborted) onAbort();
  const result = await subprocess;
  req.signal.removeEventListener('abort', onAbort);
  await killed;
  subprocess.stdout?.unpipe(req.stdout);
  subprocess.stderr?.unpipe(req.stderr);

  const signal = result.signal ?? undefined;
  if (aborted) {
    const status = abortStatus(req.signal);
    return finish({ status, exitCode: null, signal, error: `${status === 'timedout' ? 'timed out' : 'interrupted'}; process group killed` });
  }
  if (result.code === 'ENOENT' && result.exitCode === undefined) {
    return finish({ status: 'failed', exitCode: null, error: `${file} not found${file.includes('/') ? '' : ' on PATH'}` });
  }
  if (result.exitCode === 0) return finish({ status: 'ok', exitCode: 0 });
  if (signal) return finish({ status: 'failed', exitCode: null, signal, error: `killed by ${signal}` });
  if (result.exitCode === undefined) {
    return finish({ status: 'failed', exitCode: null, error: result.shortMessage });
  }
  return finish({ status: 'failed', exitCode: result.exitCode, error: `exit code ${result.exitCode}` });
}
