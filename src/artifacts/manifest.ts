/**
 * `run.json`: the run's manifest. It is rewritten atomically (temp file + rename) as results
 * arrive, so an interrupted or crashed run still leaves a valid, readable manifest that says
 * how far it got. Writes are coalesced: at most one in flight, the latest state always wins.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileRecord } from './writer.js';

export type TargetStatus = 'ok' | 'failed' | 'skipped' | 'unreachable' | 'timedout' | 'would-run' | 'interrupted';
export type RunStatus = 'running' | 'completed' | 'failed' | 'interrupted';

/** One step × target outcome, as recorded. */
export interface TargetRecord {
  target: string;
  status: TargetStatus;
  /** Exact command (or API operation) that ran or would run. */
  command?: string;
  exitCode?: number | null;
  signal?: string;
  error?: string;
  /** Why it was skipped (when false, tag, unreachable, check mode, no permission…). */
  reason?: string;
  attempts?: number;
  startedAt?: string;
  durationMs?: number;
  files: FileRecord[];
}

export interface StepRecord {
  index: number;
  id: string;
  name: string;
  kind: string;
  remediation: boolean;
  targets: TargetRecord[];
  /** Files the step wrote once for all targets (e.g. the VXLAN flow table). */
  files?: FileRecord[];
}

export interface ManifestData {
  netdiag: { version: string; node: string };
  argv: string[];
  plan: { name: string; file: string; sha256: string };
  inventory?: { file: string; hosts: { name: string; address: string; port: number }[] };
  check: boolean;
  options: Record<string, unknown>;
  status: RunStatus;
  startedAt: string;
  endedAt?: string;
  runDir: string;
  hostKeys?: unknown[];
  steps: StepRecord[];
  /** Extra top-level sections other components attach (bundle, findings…). */
  [section: string]: unknown;
}

export class Manifest {
  private writing: Promise<void> | undefined;
  private dirty = false;

  constructor(
    readonly dir: string,
    readonly data: ManifestData,
  ) {}

  get file(): string {
    return path.join(this.dir, 'run.json');
  }

  /** Returns the step's record, creating it in plan order on first use. */
  step(rec: Omit<StepRecord, 'targets'>): StepRecord {
    let s = this.data.steps.find((x) => x.index === rec.index);
    if (!s) {
      s = { ...rec, targets: [] };
      this.data.steps.push(s);
      this.data.steps.sort((a, b) => a.index - b.index);
    }
    return s;
  }

  /** Schedules a write of the current state; resolves once a write including it has landed. */
  save(): Promise<void> {
    this.dirty = true;
    if (!this.writing) {
      this.writing = (async () => {
        while (this.dirty) {
          this.dirty = false;
          const tmp = `${this.file}.tmp`;
          await writeFile(tmp, JSON.stringify(this.data, null, 2) + '\n');
          await rename(tmp, this.file);
        }
      })().finally(() => (this.writing = undefined));
    }
    return this.writing;
  }
}

/** Adds a top-level section to a finished run's run.json (atomically), e.g. `bundle`. */
export async function annotateManifest(runDir: string, section: string, value: unknown): Promise<void> {
  const file = path.join(runDir, 'run.json');
  const data = JSON.parse(await readFile(file, 'utf8')) as ManifestData;
  data[section] = value;
  await writeFile(`${file}.tmp`, JSON.stringify(data, null, 2) + '\n');
  await rename(`${file}.tmp`, file);
}
