/**
 * Under `strategy: free` several steps run at once on different hosts, but the console (and
 * every other reporter) should still read step by step, as under `linear`. The gate holds
 * back the events of later steps until every earlier step has ended; the manifest is not
 * delayed, only what reporters see.
 */
import type { TargetRecord } from '../artifacts/manifest.js';
import type { Step } from '../plan/types.js';
import type { Reporter } from '../report/reporter.js';

interface GatedStep {
  step: Step;
  targets: string[];
  records: TargetRecord[];
  started: boolean;
  ended: boolean;
}

export class StepOrderGate {
  private readonly steps: GatedStep[];
  private current = 0;

  constructor(
    steps: { step: Step; targets: string[] }[],
    private readonly reporter: Required<Reporter>,
  ) {
    this.steps = steps.map((s) => ({ ...s, records: [], started: false, ended: false }));
    this.advance();
  }

  /** A target of one of the gated steps has its record. */
  targetEnd(step: Step, record: TargetRecord): void {
    const s = this.steps.find((x) => x.step === step);
    if (!s) throw new Error(`netdiag bug: step ${step.id} is not in this gate`);
    s.records.push(record);
    if (s === this.steps[this.current]) this.reporter.onTargetEnd(step, record);
    this.advance();
  }

  /**
   * Emits whatever is still held back, in step order: after an interruption some steps never
   * get all their records. Steps that never ran a target (and are not current) stay silent,
   * as later steps do under `linear` when a run is interrupted.
   */
  drain(): void {
    for (let i = this.current; i < this.steps.length; i++) {
      const s = this.steps[i];
      if (i > this.current && s.records.length === 0) continue;
      this.start(s);
      this.end(s);
    }
    this.current = this.steps.length;
  }

  /** Ends the current step once all its targets reported, then starts the next (replaying what it buffered). */
  private advance(): void {
    while (this.current < this.steps.length) {
      const s = this.steps[this.current];
      this.start(s);
      if (s.records.length < s.targets.length) return;
      this.end(s);
      this.current++;
    }
  }

  private start(s: GatedStep): void {
    if (s.started) return;
    s.started = true;
    this.reporter.onStepStart(s.step, s.targets);
    for (const r of s.records) this.reporter.onTargetEnd(s.step, r);
  }

  private end(s: GatedStep): void {
    if (s.ended) return;
    s.ended = true;
    this.reporter.onStepEnd(s.step, s.records);
  }
}
