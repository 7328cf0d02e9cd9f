/**
 * The engine: steps in plan order; a step with `hosts:` fans out across its hosts through the
 * run's one bounded queue. Results land in the manifest as they arrive. An unreachable host is
 * marked once and skipped by later steps; SIGINT stops scheduling and lets running commands
 * be killed through the shared abort signal, then the manifest is closed as `interrupted`.
 */
import type { Manifest, StepRecord, TargetRecord } from '../artifacts/manifest.js';
import type { Host, Inventory } from '../inventory/types.js';
import { isClusterHostPattern } from '../inventory/cluster-nodes.js';
import { applyLimit, selectHosts } from '../inventory/pattern.js';
import type { Plan, Step } from '../plan/types.js';
import type { Reporter } from '../report/reporter.js';
import { executeTarget } from './execute-target.js';
import { WorkQueue } from './queue.js';
import { RegisteredStore } from './registered.js';
import { countInto, emptyRecap, type HostRecap, type RunSummary } from './summary.js';
import { ArtifactFile } from '../artifacts/writer.js';
import { StepOrderGate } from './step-order-gate.js';
import type { Handler, HandlerTable, RunServices, Target, TemplateContext } from './types.js';

export interface RunInput {
  plan: Plan;
  /** Steps after tag selection, in plan order. */
  steps: Step[];
  inventory?: Inventory;
  limit?: string;
  forks: number;
  extraVars: Record<string, unknown>;
  stamp: string;
  manifest: Manifest;
  services: RunServices;
  handlers: HandlerTable;
  reporter: Required<Reporter>;
  signal: AbortSignal;
  /** Hosts of `k8s:nodes…` patterns, resolved against the cluster before the run. */
  clusterHosts?: Map<string, Host[]>;
  /** Steps the RBAC preflight found the credentials may not run, with the reason. */
  denied?: Map<string, string>;
}

/** Host view for templates: the inventory vars plus name/address/port. */
function hostContext(target: Target): Record<string, unknown> | undefined {
  if (target.kind !== 'host') return undefined;
  const h = target.host;
  return { ...h.vars, name: h.name, address: h.address, port: h.port, user: h.user, groups: h.groups };
}

export async function runPlan(input: RunInput): Promise<RunSummary> {
  const { plan, manifest, services, reporter } = input;
  const queue = new WorkQueue(input.forks);
  const registered = new RegisteredStore();
  const recap = new Map<string, HostRecap>();
  const unreachable = new Set<string>();
  let failures = 0;
  const vars = { ...plan.vars, ...input.extraVars };
  // Steps another (capture) step runs `during` its window are run there, not at their own place.
  const attached = new Map<string, Step>();
  for (const s of input.steps) if (s.kind === 'capture') for (const id of s.capture.during) attached.set(id, s);

  const targetsOf = (step: Step): Target[] => {
    if (!step.hosts) return [{ kind: 'run', name: 'localhost' }];
    if (!input.inventory) return [];
    let hosts = isClusterHostPattern(step.hosts) ? (input.clusterHosts?.get(step.hosts) ?? []) : selectHosts(input.inventory, step.hosts, { where: { ...(step.fieldLocs?.hosts ?? step.loc), path: `steps[${step.index}].hosts` } });
    if (input.limit) hosts = applyLimit(hosts, input.inventory, input.limit);
    const targets = hosts.map((host): Target => ({ kind: 'host', name: host.name, host }));
    return step.runOnce ? targets.slice(0, 1) : targets;
  };

  /** Where a step's target events go: straight to the reporters, or through a free segment's gate. */
  const gates = new Map<Step, StepOrderGate>();
  const record = (step: Step, stepRec: StepRecord, rec: TargetRecord) => {
    stepRec.targets.push(rec);
    const r = recap.get(rec.target) ?? emptyRecap();
    const ignored = step.ignoreErrors && (rec.status === 'failed' || rec.status === 'timedout');
    if (rec.status === 'unreachable') {
      if (!unreachable.has(rec.target)) countInto(r, rec.status, false);
      unreachable.add(rec.target);
    } else if (!(rec.status === 'skipped' && rec.reason === 'host unreachable earlier in the run')) {
      countInto(r, rec.status, ignored);
      if (!ignored && (rec.status === 'failed' || rec.status === 'timedout')) failures++;
    }
    recap.set(rec.target, r);
    const gate = gates.get(step);
    if (gate) gate.targetEnd(step, rec);
    else reporter.onTargetEnd(step, rec);
    void manifest.save();
  };

  /** One step's bookkeeping while its targets run. */
  interface StepRun {
    step: Step;
    stepRec: StepRecord;
    targets: Target[];
    results: { target: Target; status: string; data?: unknown }[];
    denied?: string;
  }

  const beginStep = (step: Step): StepRun => ({
    step,
    stepRec: manifest.step({ index: step.index, id: step.id, name: step.name, kind: step.kind, remediation: step.remediation }),
    targets: targetsOf(step),
    results: [],
    denied: input.denied?.get(step.id),
  });

  /** Runs one step on one target through the queue and records the outcome. */
  const runTarget = async (run: StepRun, target: Target, captureWindow?: { started(): void; done: Promise<void> }, mark?: () => void) => {
    const { step, stepRec } = run;
    if (run.denied) {
      record(step, stepRec, { target: target.name, status: 'skipped', reason: run.denied, files: [] });
      return;
    }
    if (target.kind === 'host' && unreachable.has(target.name)) {
      record(step, stepRec, { target: target.name, status: 'skipped', reason: 'host unreachable earlier in the run', files: [] });
      return;
    }
    const out = await queue.run(async () => {
      if (input.signal.aborted) return undefined;
      const view = registered.view(target.kind === 'host' ? target.name : undefined);
      const ctx: TemplateContext = {
        vars,
        registered: view,
        facts: view,
        host: hostContext(target),
        step: { id: step.id, name: step.name },
        run: { stamp: input.stamp, dir: services.runDir, check: services.check },
      };
      const window = captureWindow && mark && { started: mark, done: captureWindow.done };
      return executeTarget({ step, target, ctx, handler: input.handlers[step.kind] as never, services, runSignal: input.signal, log: reporter.onLog, captureWindow: window });
    });
    if (!out) return;
    run.results.push({ target, status: out.record.status, data: out.registered.data });
    record(step, stepRec, out.record);
    if (step.register) registered.set(step.register, target.kind === 'host' ? target.name : undefined, out.registered);
  };

  /** The step-level finish (e.g. the capture's flow table) once every target ran. */
  const finishStep = async ({ step, stepRec, results }: StepRun) => {
    const handler = input.handlers[step.kind] as Handler<Step>;
    if (!handler.afterStep || results.length === 0) return;
    try {
      stepRec.files = await handler.afterStep({ step, results, services, openFile: (rel) => ArtifactFile.open(services.runDir, rel) });
    } catch (err) {
      reporter.onLog(`${step.id}: step summary failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    void manifest.save();
  };

  const runStep = async (step: Step, captureWindow?: { started(): void; done: Promise<void> }, perTargetStarted?: () => void) => {
    const run = beginStep(step);
    reporter.onStepStart(step, run.targets.map((t) => t.name));
    await Promise.all(
      run.targets.map(async (target) => {
        // Each target tells a capture window once that it listens — or that it never will.
        let marked = false;
        const mark = () => {
          if (!marked) (marked = true), perTargetStarted?.();
        };
        try {
          await runTarget(run, target, captureWindow, mark);
        } finally {
          mark();
        }
      }),
    );
    await finishStep(run);
    reporter.onStepEnd(step, run.stepRec.targets);
  };

  /**
   * `strategy: free` (as in Ansible): each host goes through a segment of host steps at its own
   * pace instead of waiting at every step for the slowest host. Per host the plan order holds,
   * so a host's `when:` sees what it registered itself in earlier steps.
   */
  const runFreeSegment = async (segment: Step[]) => {
    const runs = segment.map(beginStep);
    const gate = new StepOrderGate(runs.map((r) => ({ step: r.step, targets: r.targets.map((t) => t.name) })), reporter);
    for (const r of runs) gates.set(r.step, gate);
    const hostNames = [...new Set(runs.flatMap((r) => r.targets.map((t) => t.name)))];
    await Promise.all(
      hostNames.map(async (name) => {
        for (const run of runs) {
          if (input.signal.aborted) return;
          const target = run.targets.find((t) => t.name === name);
          if (target) await runTarget(run, target);
        }
      }),
    );
    gate.drain();
  };

  /** A capture step: start it on every target, run its `during` steps once all listen, then stop it. */
  const runCapture = async (step: Step & { kind: 'capture' }) => {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const expected = targetsOf(step).length;
    let startedCount = 0;
    let allStarted!: () => void;
    const listening = new Promise<void>((resolve) => (allStarted = resolve));
    if (expected === 0) allStarted();
    const capture = runStep(step, { started: () => undefined, done }, () => {
      if (++startedCount >= expected) allStarted();
    });
    // A capture that ends early (error, cap reached) must not hold the traffic steps back.
    await Promise.race([listening, capture]);
    for (const id of step.capture.during) {
      const s = input.steps.find((x) => x.id === id);
      if (s && !input.signal.aborted) await runStep(s);
    }
    release();
    await capture;
  };

  // Under `free`, consecutive plain host steps form segments; everything else keeps its barrier.
  const freeable = (step: Step) =>
    plan.strategy === 'free' && step.hosts !== undefined && !step.runOnce && step.kind !== 'capture' && !attached.has(step.id) && !(input.handlers[step.kind] as Handler<Step>).afterStep;
  const order = input.steps.filter((s) => !attached.has(s.id));
  for (let i = 0; i < order.length; i++) {
    if (input.signal.aborted) break;
    const step = order[i];
    if (step.kind === 'capture') await runCapture(step);
    else if (freeable(step)) {
      let j = i;
      while (j + 1 < order.length && freeable(order[j + 1])) j++;
      await (j > i ? runFreeSegment(order.slice(i, j + 1)) : runStep(step));
      i = j;
    } else await runStep(step);
  }

  const status = input.signal.aborted ? 'interrupted' : failures > 0 || unreachable.size > 0 ? 'failed' : 'completed';
  return { status, runDir: services.runDir, manifest: manifest.data, recap, unreachable, failures };
}
