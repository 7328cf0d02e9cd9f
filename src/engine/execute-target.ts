/**
 * Runs one step against one target: `when`, check mode, output files, timeout, retries/until,
 * and the manifest record. Everything that can go wrong for this pair ends as a status in the
 * record; only netdiag bugs escape as exceptions.
 */
import path from 'node:path';
import type { TargetRecord } from '../artifacts/manifest.js';
import { ArtifactFile, type FileRecord } from '../artifacts/writer.js';
import { InputError } from '../errors.js';
import { evaluateCondition } from '../plan/condition.js';
import { renderSavePath, renderShell, renderText } from '../plan/template.js';
import type { Step } from '../plan/types.js';
import { deadline, sleepUnlessAborted as sleep } from '../transport/abort.js';
import { readHead, toRegistered, type RegisteredResult } from './registered.js';
import type { Handler, HandlerResult, RunServices, StepExecution, Target, TemplateContext } from './types.js';

export interface TargetRunInput {
  step: Step;
  target: Target;
  ctx: TemplateContext;
  handler: Handler<Step>;
  services: RunServices;
  runSignal: AbortSignal;
  log(message: string): void;
  /** Set for capture steps: lets the handler say it is listening, and wait for the traffic. */
  captureWindow?: StepExecution['captureWindow'];
}

export interface TargetRunOutput {
  record: TargetRecord;
  registered: RegisteredResult;
}

/** How long a handler may take to wind down after its abort signal before the engine moves on. */
export const ABORT_GRACE_MS = 15_000;

/**
 * A handler must end soon after its signal aborts (it kills what it started). If one does not,
 * the run must not hang with it: after a grace period the target is recorded as it stands.
 */
function boundedByAbort(run: Promise<HandlerResult>, signal: AbortSignal): Promise<HandlerResult> {
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      timer = setTimeout(() => {
        const timedOut = (signal.reason as Error | undefined)?.name === 'TimeoutError';
        resolve({ status: timedOut ? 'timedout' : 'interrupted', error: `the step did not stop within ${ABORT_GRACE_MS / 1000}s of being ${timedOut ? 'timed out' : 'interrupted'}` });
      }, ABORT_GRACE_MS);
      timer.unref();
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

/** Default output file of a step × target when the plan gives no `save:`. */
function defaultSavePath(step: Step, target: Target): string {
  return `${step.id}/${target.name}.txt`;
}

export async function executeTarget(input: TargetRunInput): Promise<TargetRunOutput> {
  const { step, target, ctx, handler, services } = input;
  // Errors at run time point at the step's source line like validation errors do.
  const where = (field: string) => ({ ...(step.fieldLocs?.[field] ?? step.loc), path: `steps[${step.index}].${field}` });
  const shell = (t: string) => renderShell(t, ctx, where(step.kind));
  const text = (t: string) => renderText(t, ctx, where(step.kind));
  const base: TargetRecord = { target: target.name, status: 'skipped', files: [] };
  const done = (record: TargetRecord, stdout = { text: '', truncated: false }, data?: unknown): TargetRunOutput => ({
    record,
    registered: toRegistered(record, stdout, data),
  });

  let command: string;
  try {
    if (step.when !== undefined && !evaluateCondition(step.when, ctx, { where: where('when') })) {
      return done({ ...base, reason: `when: ${step.when} was false` });
    }
    command = handler.describe({ step, target, renderShell: shell, renderText: text, services });
    if (step.remediation && services.check) {
      return done({ ...base, status: 'would-run', command, reason: 'remediation step skipped under --check' });
    }
  } catch (err) {
    // A template or expression that fails at run time is this step's failure, not the run's.
    const message = err instanceof InputError ? err.message : String(err);
    return done({ ...base, status: 'failed', error: message });
  }

  const savePath = step.save ? path.relative(services.runDir, renderSavePath(step.save, ctx, services.runDir, where('save'))) : defaultSavePath(step, target);
  const attempts = step.until !== undefined ? Math.max(1, step.retries) + 1 : step.retries + 1;
  let record: TargetRecord = { ...base, command };
  let result: HandlerResult = { status: 'failed' };
  let stdoutFile: FileRecord | undefined;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const startedAt = new Date();
    const stdout = await ArtifactFile.open(services.runDir, savePath);
    const stderr = await ArtifactFile.open(services.runDir, `${savePath.replace(/\.[^./]+$/, '')}.stderr.txt`);
    const limit = deadline(input.runSignal, step.timeoutMs, `step "${step.name}"`);
    const { signal } = limit;
    try {
      result = await boundedByAbort(handler.run({
        step,
        target,
        ctx,
        renderShell: shell,
        renderText: text,
        stdout: stdout.stream,
        stderr: stderr.stream,
        openFile: (rel) => ArtifactFile.open(services.runDir, rel),
        signal,
        services,
        log: input.log,
        captureWindow: input.captureWindow,
      }), signal);
    } catch (err) {
      result = { status: 'failed', error: `netdiag bug in ${step.kind} handler: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}` };
    }
    limit.dispose();
    if (result.status !== 'timedout' && signal.aborted && input.runSignal.aborted) result = { ...result, status: 'interrupted' };
    stdoutFile = await stdout.finish();
    const stderrFile = await stderr.finishUnlessEmpty();
    record = {
      ...base,
      command,
      status: result.status,
      exitCode: result.exitCode,
      signal: result.signal,
      error: result.error,
      attempts: attempt,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      files: [stdoutFile, ...(stderrFile ? [stderrFile] : []), ...(result.files ?? [])],
    };
    if (result.status === 'unreachable' || result.status === 'interrupted' || input.runSignal.aborted) break;
    if (attempt === attempts) break;
    if (step.until !== undefined) {
      const head = await readHead(path.join(services.runDir, stdoutFile.path));
      const current = toRegistered(record, head, result.data);
      const view = { ...ctx, registered: { ...ctx.registered, result: current, ...(step.register ? { [step.register]: current } : {}) } };
      let satisfied = false;
      try {
        satisfied = evaluateCondition(step.until, view, { where: where('until') });
      } catch {
        satisfied = false;
      }
      if (satisfied) break;
    } else if (result.status === 'ok') break;
    input.log(`${step.id} on ${target.name}: attempt ${attempt}/${attempts} ${result.status}, retrying in ${step.delayMs} ms`);
    await sleep(step.delayMs, input.runSignal);
  }
  // Only a registered result keeps stdout in memory; otherwise the file is all there is.
  const head = stdoutFile && step.register ? await readHead(path.join(services.runDir, stdoutFile.path)) : undefined;
  return done(record, head, result.data);
}
