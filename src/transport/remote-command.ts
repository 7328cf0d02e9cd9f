/**
 * How a step's command line is wrapped before it is sent over an SSH exec channel, and how it
 * is killed again.
 *
 * Why not channel signals or a pty: OpenSSH ignores `signal` channel requests for most
 * signals in exec sessions, and closing a channel without a pty only closes the pipes — a
 * `sleep 300` that never writes keeps running. A pty would deliver SIGHUP on close, but it
 * merges stderr into stdout, rewrites `\n` to `\r\n` (corrupting binary output such as a 200 MB
 * capture) and SIGHUP is ignorable. So the wrapper reports the process group of the command
 * as the first line on stderr (a marker with a per-exec nonce, stripped before the bytes
 * reach the caller), and on abort a SECOND exec channel runs `kill -TERM -- -PGID`, waits a
 * grace period, then `kill -KILL -- -PGID`. Every child that did not leave the group (i.e.
 * did not call setsid itself) dies with it.
 *
 * Process-group facts this relies on: sshd calls setsid() for every exec session, so the
 * session shell leads its own group; `sudo` without a tty keeps the caller's group (sudo
 * and the command die together), and with `use_pty` on a tty it makes a new session — which
 * is why the group is read from /proc INSIDE the innermost shell rather than assumed.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { shellQuote } from './shell-quote.js';

/** Prefix of the first stderr line the wrapper prints: `NETDIAG-PGID-<nonce> <pgid>`. */
const MARKER_PREFIX = 'NETDIAG-PGID-';

/** Wrap `command` so it runs under /bin/sh (via `sudo -n` when `become`) after reporting its process group. */
export function wrapRemoteCommand(command: string, nonce: string, become?: { user: string }): string {
  // Runs as the final user. `read` splits /proc/$$/stat; field 5 is the process group. The
  // comm field (2) is "(sh)"/"(dash)", so no embedded spaces. Falls back to $$ off Linux.
  const inner =
    `pg=$$; if [ -r /proc/$$/stat ]; then read -r _ _ _ _ pg _ < /proc/$$/stat; fi; ` +
    `printf '${MARKER_PREFIX}%s %s\\n' ${shellQuote(nonce)} "$pg" >&2; ` +
    `exec /bin/sh -c ${shellQuote(command)}`;
  if (!become) return `exec /bin/sh -c ${shellQuote(inner)}`;
  return `exec sudo -n -u ${shellQuote(become.user)} -- /bin/sh -c ${shellQuote(inner)}`;
}

/**
 * The script the kill channel runs: TERM the group, wait up to `graceMs` for it to vanish,
 * then KILL. Runs with the same privileges as the command (via sudo when it used become).
 */
export function killScript(pgid: number, graceMs: number, become?: { user: string }): string {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to kill process group ${pgid}`);
  const steps = Math.max(1, Math.ceil(graceMs / 100));
  const script =
    `kill -TERM -- -${pgid} 2>/dev/null || exit 0; i=0; ` +
    `while [ $i -lt ${steps} ] && kill -0 -- -${pgid} 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ` +
    `kill -KILL -- -${pgid} 2>/dev/null; exit 0`;
  if (!become) return `/bin/sh -c ${shellQuote(script)}`;
  return `sudo -n -u ${shellQuote(become.user)} -- /bin/sh -c ${shellQuote(script)}`;
}

/**
 * Passes stderr through unchanged except for the wrapper's marker line, whose process group
 * it hands to `onPgid`. Lines before the marker (e.g. `sudo: a password is required`) are
 * forwarded; after the marker the stream is a plain pass-through (no line buffering).
 */
export class PgidMarkerFilter extends Transform {
  private pending = '';
  private found = false;

  constructor(
    private readonly nonce: string,
    private readonly onPgid: (pgid: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.found) return done(null, chunk);
    // Before the marker only shell/sudo preamble can appear, so buffering text is bounded.
    this.pending += chunk.toString('latin1');
    let newline: number;
    while (!this.found && (newline = this.pending.indexOf('\n')) !== -1) {
      const line = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      const match = line.startsWith(MARKER_PREFIX + this.nonce + ' ')
        ? /^\S+ (\d+)$/.exec(line)
        : null;
      if (match) {
        this.found = true;
        this.onPgid(Number(match[1]));
      } else {
        this.push(Buffer.from(line + '\n', 'latin1'));
      }
    }
    if (this.found && this.pending !== '') {
      this.push(Buffer.from(this.pending, 'latin1'));
      this.pending = '';
    } else if (this.pending.length > 65536) {
      // No newline in 64 KiB: cannot be the preamble; stop looking.
      this.found = true;
      this.push(Buffer.from(this.pending, 'latin1'));
      this.pending = '';
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.pending !== '') this.push(Buffer.from(this.pending, 'latin1'));
    done();
  }
}
