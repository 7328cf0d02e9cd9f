/** The outcome of a run and the one map from it to an exit code. */
import type { ManifestData, RunStatus, TargetStatus } from '../artifacts/manifest.js';
import { ExitCode } from '../cli/exit-codes.js';

/** Ansible-style recap counters per host (and `localhost` for run-level steps). */
export type HostRecap = Record<'ok' | 'failed' | 'unreachable' | 'skipped' | 'would-run' | 'timedout' | 'ignored', number>;

export interface RunSummary {
  status: RunStatus;
  runDir: string;
  manifest: ManifestData;
  recap: Map<string, HostRecap>;
  /** Hosts that could not be reached (counted once, like Ansible). */
  unreachable: Set<string>;
  /** Failures that were not ignored (failed or timed out). */
  failures: number;
}

export function emptyRecap(): HostRecap {
  return { ok: 0, failed: 0, unreachable: 0, skipped: 0, 'would-run': 0, timedout: 0, ignored: 0 };
}

/** Counts one record into a host's recap. */
export function countInto(recap: HostRecap, status: TargetStatus, ignored: boolean): void {
  if (ignored) recap.ignored++;
  else if (status === 'interrupted') recap.failed++;
  else recap[status]++;
}

/** Interrupted wins, then unreachable hosts (Ansible checks them last so 4 beats 2), then failures. */
export function exitCodeFor(summary: Pick<RunSummary, 'status' | 'unreachable' | 'failures'>): number {
  if (summary.status === 'interrupted') return ExitCode.interrupted;
  if (summary.unreachable.size > 0) return ExitCode.unreachable;
  if (summary.failures > 0) return ExitCode.stepFailures;
  return ExitCode.ok;
}
