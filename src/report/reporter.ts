/**
 * Reporters observe a run through one interface (console progress, JSON, …) and a
 * multiplexer fans events out, so the engine never knows who is listening.
 */
import type { TargetRecord } from '../artifacts/manifest.js';
import type { Step } from '../plan/types.js';
import type { RunSummary } from '../engine/summary.js';

export interface RunStartInfo {
  planName: string;
  runDir: string;
  steps: number;
  check: boolean;
}

export interface Reporter {
  onRunStart?(info: RunStartInfo): void;
  onStepStart?(step: Step, targets: string[]): void;
  onTargetEnd?(step: Step, record: TargetRecord): void;
  onStepEnd?(step: Step, records: TargetRecord[]): void;
  onLog?(message: string): void;
  onRunEnd?(summary: RunSummary): void;
}

/** Fans every event out to several reporters; one failing reporter does not stop the others. */
export function multiplex(reporters: Reporter[]): Required<Reporter> {
  const fan =
    <K extends keyof Reporter>(key: K) =>
    (...args: Parameters<Required<Reporter>[K]>) => {
      for (const r of reporters) {
        try {
          (r[key] as ((...a: unknown[]) => void) | undefined)?.(...args);
        } catch (err) {
          process.stderr.write(`netdiag: reporter error in ${key}: ${String(err)}\n`);
        }
      }
    };
  return {
    onRunStart: fan('onRunStart'),
    onStepStart: fan('onStepStart'),
    onTargetEnd: fan('onTargetEnd'),
    onStepEnd: fan('onStepEnd'),
    onLog: fan('onLog'),
    onRunEnd: fan('onRunEnd'),
  };
}
