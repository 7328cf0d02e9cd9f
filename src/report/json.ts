/** The machine-readable result of `netdiag run --json`. */
import type { RunSummary } from '../engine/summary.js';

export function jsonSummary(summary: RunSummary, exitCode: number) {
  return {
    status: summary.status,
    exitCode,
    runDir: summary.runDir,
    manifest: `${summary.runDir}/run.json`,
    unreachable: [...summary.unreachable],
    recap: Object.fromEntries(summary.recap),
    steps: summary.manifest.steps.map((s) => ({
      id: s.id,
      name: s.name,
      kind: s.kind,
      targets: s.targets.map((t) => ({ target: t.target, status: t.status, exitCode: t.exitCode, error: t.error, files: t.files.map((f) => f.path) })),
    })),
  };
}
