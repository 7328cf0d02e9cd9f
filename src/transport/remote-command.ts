/**
 * How a step's command line is wrapped before it goes over an SSH exec channel, so that an
 * abort (step timeout, SIGINT) REALLY kills the remote command and everything it started.
 *
 * Options considered:
 * - Channel `signal` requests: OpenSSH ignores them for most signals in exec sessions.
 * - A pty, so closing the channel sends SIGHUP: merges stderr into stdout, rewrites `\n` to
 *   `\r\n` (corrupting binary output such as a capture) and SIGHUP can be ignored.
 * - Report the process group, then `kill` it over a SECOND channel: works, but needs a free
 *   session — with 8 exec channels busy and OpenSSH's MaxSessions of 10, interrupting a run
 *   needs up to 8 kill channels at once — and a command outlives a netdiag that crashed.
 * - Chosen: a WATCHDOG next to the command, tied to the channel's stdin. The wrapper runs the
 *   command in the background (stdin /dev/null) and a small watchdog that blocks reading the
 *   channel's stdin. netdiag never writes to it; to abort it sends EOF (`channel.end()`). The
 *   watchdog then TERMs the whole process group, waits a grace period, and KILLs whatever is
 *   left. The same happens when the SSH connection dies (sshd closes the pipe), so a crashed
 *   or killed netdiag leaves nothing running either. No extra channel, no round trip.
 *
 * Process-group facts relied on: sshd calls setsid() for every exec session, so the session
 * shell leads a fresh group that non-interactive shells never leave; `sudo` without a tty keeps
 * the caller's group. The group is read from /proc inside the wrapper rather than assumed.
 * Processes that call setsid() themselves (daemons) escape any group kill.
 */
import { shellQuote } from './shell-quote.js';

/**
 * The watchdog, run as `sh -c WATCHDOG netdiag-watchdog <pgid> <grace-steps>`: waits for EOF,
 * then TERM → wait (100 ms steps) → KILL. "Alive" ignores zombies and the watchdog itself:
 * `kill -0 -PGID` also counts dead processes waiting for the node's init to reap them (seconds
 * in some containers), which would turn every kill into a full grace period.
 */
const WATCHDOG = [
  'while read -r _; do :; done',
  'trap "" TERM',
  'others() { if [ -r /proc/self/stat ]; then for f in /proc/[0-9]*/stat; do',
  '  read -r line 2>/dev/null < "$f" || continue',
  // `${line##*") "}` drops "pid (comm) " even when comm holds spaces or parentheses.
  '  set -- ${line##*") "}; [ "$3" = "$pg" ] && [ "$1" != Z ] && [ "${f#/proc/}" != "$$/stat" ] && return 0',
  '  done; return 1; fi; kill -0 -"$pg" 2>/dev/null; }',
  'pg=$1; steps=$2',
  'kill -TERM -"$pg" 2>/dev/null',
  'i=0; while [ "$i" -lt "$steps" ] && others; do sleep 0.1; i=$((i+1)); done',
  'others && kill -KILL -"$pg" 2>/dev/null',
  'exit 0',
].join('\n');

/**
 * Wrap `command` so it runs under /bin/sh — as the login user, or via `sudo -n -u <user> --`
 * for become — with a watchdog that kills its process group on EOF of the channel's stdin.
 * The command's own stdin is /dev/null (like `ssh -n`). Always /bin/sh, whatever the login
 * shell, so a plan behaves the same on every node (like Ansible's `shell` module).
 */
export function wrapRemoteCommand(command: string, killGraceMs: number, become?: { user: string }): string {
  const steps = Math.max(1, Math.ceil(killGraceMs / 100));
  const wrapper = [
    // Field 5 of /proc/$$/stat is the process group; comm is "(sh)"/"(dash)", no spaces.
    'pg=$$; if [ -r /proc/$$/stat ]; then read -r _ _ _ _ pg _ < /proc/$$/stat; fi',
    // Background jobs get /dev/null as stdin unless redirected explicitly: keep the channel on fd 3.
    'exec 3<&0',
    `/bin/sh -c ${shellQuote(WATCHDOG)} netdiag-watchdog "$pg" ${steps} 0<&3 >/dev/null 2>&1 &`,
    'wd=$!',
    `/bin/sh -c ${shellQuote(command)} 0</dev/null 3<&- &`,
    'cmd=$!',
    'exec 0</dev/null 3<&-',
    'wait "$cmd"; rc=$?',
    'kill "$wd" 2>/dev/null',
    'exit "$rc"',
  ].join('\n');
  return runAs(wrapper, become);
}

/**
 * `exec` a /bin/sh script as the login user, or through `sudo -n -u <user>` for become. For
 * become-root on a session that already is root, sudo is skipped: minimal node images often
 * lack sudo, and it would only add a process.
 */
function runAs(script: string, become?: { user: string }): string {
  const direct = `exec /bin/sh -c ${shellQuote(script)}`;
  if (!become) return direct;
  const viaSudo = `exec sudo -n -u ${shellQuote(become.user)} -- /bin/sh -c ${shellQuote(script)}`;
  if (become.user !== 'root') return viaSudo;
  return `if [ "$(id -u)" = 0 ]; then ${direct}; fi; ${viaSudo}`;
}
