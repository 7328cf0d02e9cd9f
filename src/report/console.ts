/**
 * Console progress. On a TTY (and not under CI) one live line per running step (hosts done /
 * total, failures); otherwise plain one-line events a log collector can read. Always ends with
 * an Ansible-style recap per host and the artifact path.
 */
import type { TargetRecord } from '../artifacts/manifest.js';
import type { RunSummary } from '../engine/summary.js';
import type { Step } from '../plan/types.js';
import type { Reporter, RunStartInfo } from './reporter.js';

export interface ConsoleOptions {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  live: boolean;
  verbosity: number;
}

const mark: Record<string, string> = {
  ok: 'ok',
  failed: 'FAILED',
  timedout: 'TIMEOUT',
  unreachable: 'UNREACHABLE',
  skipped: 'skipping',
  'would-run': 'would run',
  interrupted: 'interrupted',
};

function secs(ms: number | undefined): string {
  return ms === undefined ? '' : ` (${(ms / 1000).toFixed(1)}s)`;
}

export class ConsoleReporter implements Reporter {
  private total = 0;
  private current?: { step: Step; targets: number; done: number; failed: number };
  private counter = 0;

  constructor(private readonly opts: ConsoleOptions) {}

  private write(line: string): void {
    if (this.opts.live && this.current) this.opts.out.write('\r\x1b[2K');
    this.opts.out.write(line + '\n');
    this.redraw();
  }

  private redraw(): void {
    if (!this.opts.live || !this.current) return;
    const c = this.current;
    this.opts.out.write(`\r\x1b[2K[${this.counter}/${this.total}] ${c.step.name}  ${c.done}/${c.targets} hosts${c.failed ? `, ${c.failed} failed` : ''}`);
  }

  onRunStart(info: RunStartInfo): void {
    this.total = info.steps;
    this.write(`netdiag: plan ${info.planName}${info.check ? ' (check mode: no remediation)' : ''} → ${info.runDir}`);
  }

  onStepStart(step: Step, targets: string[]): void {
    this.counter++;
    this.current = { step, targets: targets.length, done: 0, failed: 0 };
    if (!this.opts.live) this.write(`TASK [${step.name}] ${step.kind}${targets.length ? ` on ${targets.length} host(s)` : ''}`);
    else this.redraw();
  }

  onTargetEnd(step: Step, rec: TargetRecord): void {
    if (this.current?.step === step) {
      this.current.done++;
      if (rec.status === 'failed' || rec.status === 'timedout' || rec.status === 'unreachable') this.current.failed++;
    }
    const bad = rec.status !== 'ok' && rec.status !== 'skipped';
    if (!this.opts.live || bad || this.opts.verbosity > 0) {
      const why = rec.error ?? (rec.status === 'would-run' ? rec.command : rec.reason);
      const quiet = rec.status === 'skipped' && this.opts.verbosity === 0;
      // As Ansible's "...ignoring": the failure is recorded, but it does not fail the run.
      const ignored = step.ignoreErrors && (rec.status === 'failed' || rec.status === 'timedout') ? ' (ignored)' : '';
      if (!quiet) this.write(`  ${mark[rec.status] ?? rec.status}: [${rec.target}]${secs(rec.durationMs)}${why ? ` ${why}` : ''}${ignored}`);
    } else this.redraw();
  }

  onStepEnd(step: Step, records: TargetRecord[]): void {
    if (this.opts.live) {
      const failed = records.filter((r) => r.status === 'failed' || r.status === 'timedout' || r.status === 'unreachable').length;
      this.current = undefined;
      this.write(`[${this.counter}/${this.total}] ${step.name}: ${records.length} target(s)${failed ? `, ${failed} failed` : ''}`);
    }
  }

  onLog(message: string): void {
    if (this.opts.verbosity > 0) this.write(`  ${message}`);
  }

  onRunEnd(summary: RunSummary): void {
    this.current = undefined;
    const lines = ['', 'RECAP ' + '*'.repeat(60)];
    const width = Math.max(10, ...[...summary.recap.keys()].map((h) => h.length));
    for (const [host, r] of summary.recap) {
      lines.push(
        `${host.padEnd(width)} : ok=${r.ok} failed=${r.failed} timedout=${r.timedout} unreachable=${r.unreachable} skipped=${r.skipped} would-run=${r['would-run']} ignored=${r.ignored}`,
      );
    }
    lines.push('', `run ${summary.status}: artifacts in ${summary.runDir}`);
    this.opts.out.write(lines.join('\n') + '\n');
  }
}
