/**
 * What the engine needs from a command transport (ssh, local). Expected failures are values:
 * a transport never throws for a non-zero exit, a timeout or an unreachable host.
 */
import type { Writable } from 'node:stream';

export interface ExecRequest {
  /** Shell command line (already quoted by the templating layer). */
  command: string;
  /** Output is streamed here as it arrives; the transport never buffers it whole. */
  stdout: Writable;
  stderr: Writable;
  /** Aborts on step timeout or run interruption; the command (and its children) must die. */
  signal: AbortSignal;
  /** Run through `sudo -n` (ssh) — ignored where already root. */
  become?: boolean;
  becomeUser?: string;
}

export type ExecStatus = 'ok' | 'failed' | 'timedout' | 'unreachable' | 'interrupted';

export interface ExecOutcome {
  status: ExecStatus;
  exitCode: number | null;
  /** Signal that ended the command, if any (e.g. `SIGKILL`). */
  signal?: string;
  /** Human-readable reason for failed/timedout/unreachable. */
  error?: string;
  durationMs: number;
}

/** How SSH host keys are checked: like OpenSSH StrictHostKeyChecking yes / accept-new / no. */
export type HostKeyPolicy = 'strict' | 'accept-new' | 'off';
