/**
 * Engine scheduling with injected handlers (the edges are injected, so no mocks of real
 * transports are needed): forks, unreachable hosts, check mode, when/register, retries/until,
 * timeouts, interruption and capture windows.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Manifest } from '../../src/artifacts/manifest.js';
import { runPlan } from '../../src/engine/runner.js';
import { exitCodeFor } from '../../src/engine/summary.js';
import type { Handler, HandlerResult, HandlerTable, RunServices, StepExecution } from '../../src/engine/types.js';
import type { Host, Inventory } from '../../src/inventory/types.js';
import type { Plan, Step } from '../../src/plan/types.js';
import { multiplex, type Reporter } from '../../src/report/reporter.js';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'ndt-engine-'))));
afterEach(async () => rm(dir, { recursive: true, force: true }));

const host = (name: string): Host => ({ name, address: '127.0.0.1', port: 22, become: false, jump: [], vars: {}, groups: ['all', 'nodes'] });
function inventory(names: string[]): Inventory {
  return {
    file: 'inv.yaml',
    hosts: new Map(names.map((n) => [n, host(n)])),
    groups: new Map([
      ['all', { name: 'all', hosts: names, children: ['nodes'], vars: {} }],
      ['nodes', { name: 'nodes', hosts: names, children: [], vars: {} }],
    ]),
  };
}

let n = 0;
function step(over: Partial<Step> & Pick<Step, 'kind'>): Step {
  const i = n++;
  return {
    name: `step ${i}`,
    id: `s${i}`,
    index: i,
    tags: [],
    timeoutMs: 5000,
    retries: 0,
    delayMs: 0,
    ignoreErrors: false,
    become: false,
    remediation: false,
    runOnce: false,
    loc: { file: 'plan.yaml', line: i + 1, col: 1 },
    command: 'true',
    ...over,
  } as Step;
}

type Fn = (exec: StepExecution) => Promise<HandlerResult>;
function table(fn: Fn): HandlerTable {
  const h: Handler<Step> = { describe: ({ step }) => `cmd ${step.id}`, run: fn };
  return { ssh: h, local: h, kubectl: h, k8s: h, probe: h, capture: h } as HandlerTable;
}

async function run(steps: Step[], fn: Fn, opts: { check?: boolean; forks?: number; hosts?: string[]; signal?: AbortSignal; strategy?: Plan['strategy']; reporter?: Reporter } = {}) {
  const plan: Plan = { name: 't', file: 'plan.yaml', sha256: 'x', strategy: opts.strategy ?? 'linear', vars: { greeting: 'hi' }, steps };
  const manifest = new Manifest(dir, { netdiag: { version: '0', node: '' }, argv: [], plan: { name: 't', file: '', sha256: '' }, check: !!opts.check, options: {}, status: 'running', startedAt: '', runDir: dir, steps: [] });
  const services = { ssh: {} as never, kube: { session: async () => ({ error: 'no cluster in unit tests' }) }, runDir: dir, check: !!opts.check, onRunEnd: () => undefined } as RunServices;
  const summary = await runPlan({
    plan, steps, inventory: inventory(opts.hosts ?? ['a', 'b', 'c']), forks: opts.forks ?? 25, extraVars: {}, stamp: 'T', manifest, services,
    handlers: table(fn), reporter: multiplex(opts.reporter ? [opts.reporter] : []), signal: opts.signal ?? new AbortController().signal,
  });
  await manifest.save();
  return summary;
}

describe('runner', () => {
  it('never runs more than `forks` executions at once and writes each output file', async () => {
    let live = 0;
    let peak = 0;
    const s = await run([step({ kind: 'ssh', hosts: 'nodes' }), step({ kind: 'ssh', hosts: 'nodes' })], async (e) => {
      peak = Math.max(peak, ++live);
      await new Promise((r) => setTimeout(r, 20));
      e.stdout.write(`out ${e.target.name}`);
      live--;
      return { status: 'ok', exitCode: 0 };
    }, { forks: 2, hosts: ['a', 'b', 'c', 'd', 'e'] });
    expect(peak).toBe(2);
    expect(exitCodeFor(s)).toBe(0);
    const first = s.manifest.steps[0];
    expect(first.targets.map((t) => t.target).sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await readFile(path.join(dir, first.id, 'c.txt'), 'utf8')).toBe('out c');
  });

  it('marks an unreachable host once, skips it later, and exits 4', async () => {
    const s = await run([step({ kind: 'ssh', hosts: 'nodes' }), step({ kind: 'ssh', hosts: 'nodes' })], async (e) =>
      e.target.name === 'b' ? { status: 'unreachable', error: 'connection refused' } : { status: 'ok', exitCode: 0 },
    );
    expect(s.manifest.steps[1].targets.find((t) => t.target === 'b')).toMatchObject({ status: 'skipped', reason: 'host unreachable earlier in the run' });
    expect(s.recap.get('b')!.unreachable).toBe(1);
    expect(s.recap.get('a')!.ok).toBe(2);
    expect(exitCodeFor(s)).toBe(4);
  });

  it('reports remediation steps as would-run under --check without calling the handler', async () => {
    const ran: string[] = [];
    const s = await run([step({ kind: 'local', remediation: true, command: 'touch /tmp/x' } as Partial<Step> & { kind: 'local' })], async (e) => {
      ran.push(e.step.id);
      return { status: 'ok' };
    }, { check: true });
    expect(ran).toEqual([]);
    expect(s.manifest.steps[0].targets[0]).toMatchObject({ status: 'would-run', command: expect.stringMatching(/^cmd s\d+$/) });
    expect(exitCodeFor(s)).toBe(0);
  });

  it('registers per-host results that a later `when` reads', async () => {
    const seen: string[] = [];
    const s = await run(
      [
        step({ kind: 'ssh', hosts: 'nodes', register: 'probe' }),
        step({ kind: 'ssh', hosts: 'nodes', when: 'registered.probe.rc == 1' }),
      ],
      async (e) => {
        if (e.step.register) return { status: e.target.name === 'b' ? 'failed' : 'ok', exitCode: e.target.name === 'b' ? 1 : 0 };
        seen.push(e.target.name);
        return { status: 'ok', exitCode: 0 };
      },
    );
    expect(seen).toEqual(['b']);
    expect(s.manifest.steps[1].targets.filter((t) => t.status === 'skipped').map((t) => t.target).sort()).toEqual(['a', 'c']);
    expect(exitCodeFor(s)).toBe(2);
  });

  it('retries until the condition holds', async () => {
    let calls = 0;
    const s = await run([step({ kind: 'local', retries: 5, until: 'registered.result.stdout == "3"' })], async (e) => {
      e.stdout.write(String(++calls));
      return { status: 'ok', exitCode: 0 };
    });
    expect(calls).toBe(3);
    expect(s.manifest.steps[0].targets[0].attempts).toBe(3);
  });

  it('ends a hung handler at the step timeout as timedout (exit 2), ignore_errors keeps exit 0', async () => {
    const hang: Fn = (e) => new Promise((resolve) => e.signal.addEventListener('abort', () => resolve({ status: e.signal.reason?.name === 'TimeoutError' ? 'timedout' : 'interrupted' })));
    const s = await run([step({ kind: 'local', timeoutMs: 50 })], hang);
    expect(s.manifest.steps[0].targets[0].status).toBe('timedout');
    expect(exitCodeFor(s)).toBe(2);
    const ignored = await run([step({ kind: 'local', timeoutMs: 50, ignoreErrors: true })], hang);
    expect(exitCodeFor(ignored)).toBe(0);
    expect(ignored.recap.get('localhost')!.ignored).toBe(1);
  });

  it('stops scheduling when interrupted and reports 130', async () => {
    const ac = new AbortController();
    const ran: string[] = [];
    const s = await run([step({ kind: 'local' }), step({ kind: 'local' }), step({ kind: 'local' })], async (e) => {
      ran.push(e.step.id);
      ac.abort(new Error('SIGINT'));
      return { status: 'ok', exitCode: 0 };
    }, { signal: ac.signal });
    expect(ran).toHaveLength(1);
    expect(s.status).toBe('interrupted');
    expect(exitCodeFor(s)).toBe(130);
    expect(JSON.parse(await readFile(path.join(dir, 'run.json'), 'utf8')).steps).toHaveLength(1);
  });

  it('runs `during` steps inside the capture window, after every capture target listens', async () => {
    const events: string[] = [];
    const traffic = step({ kind: 'local' });
    const cap = step({ kind: 'capture', hosts: 'nodes', capture: { interface: 'eth0', filter: '', snaplen: 128, maxPackets: 10, durationMs: 1000, during: [traffic.id] } } as Partial<Step> & { kind: 'capture' });
    await run([cap, traffic], async (e) => {
      if (e.step.kind === 'capture') {
        await new Promise((r) => setTimeout(r, e.target.name === 'c' ? 30 : 5));
        events.push(`listen ${e.target.name}`);
        e.captureWindow!.started();
        await e.captureWindow!.done;
        events.push(`stop ${e.target.name}`);
      } else events.push('traffic');
      return { status: 'ok', exitCode: 0 };
    });
    const t = events.indexOf('traffic');
    expect(events.slice(0, t).sort()).toEqual(['listen a', 'listen b', 'listen c']);
    expect(events.slice(t + 1).sort()).toEqual(['stop a', 'stop b', 'stop c']);
  });
});

describe('strategy: free', () => {
  /** Host "slow" takes 150 ms per step, the others 5 ms; the handler logs start/end per step×host. */
  const timeline: string[] = [];
  const paced: Fn = async (e) => {
    timeline.push(`start ${e.step.id}@${e.target.name}`);
    await new Promise((r) => setTimeout(r, e.target.name === 'slow' ? 150 : 5));
    timeline.push(`end ${e.step.id}@${e.target.name}`);
    return { status: 'ok', exitCode: 0 };
  };
  const three = () => [step({ kind: 'ssh', hosts: 'nodes' }), step({ kind: 'ssh', hosts: 'nodes' }), step({ kind: 'ssh', hosts: 'nodes' })];

  it('lets fast hosts finish every step while a slow host is still on its first; linear waits', async () => {
    for (const strategy of ['free', 'linear'] as const) {
      timeline.length = 0;
      const steps = three();
      await run(steps, paced, { hosts: ['fast', 'slow'], strategy });
      const fastDone = timeline.indexOf(`end ${steps[2].id}@fast`);
      const slowFirstDone = timeline.indexOf(`end ${steps[0].id}@slow`);
      if (strategy === 'free') expect(fastDone).toBeLessThan(slowFirstDone);
      else expect(fastDone).toBeGreaterThan(slowFirstDone);
      // Per host, plan order always holds.
      for (const h of ['fast', 'slow']) {
        const mine = timeline.filter((x) => x.endsWith(`@${h}`));
        expect(mine).toEqual(steps.flatMap((s) => [`start ${s.id}@${h}`, `end ${s.id}@${h}`]));
      }
    }
  });

  it('reports step by step as linear does, although steps overlap', async () => {
    const events: string[] = [];
    const reporter: Reporter = {
      onStepStart: (s, targets) => events.push(`start ${s.id} ${targets.join(',')}`),
      onTargetEnd: (s, r) => events.push(`target ${s.id} ${r.target}`),
      onStepEnd: (s, records) => events.push(`end ${s.id} ${records.length}`),
    };
    const steps = three();
    const s = await run(steps, paced, { hosts: ['fast', 'slow'], strategy: 'free', reporter });
    const [a, b, c] = steps.map((x) => x.id);
    expect(events).toEqual([
      `start ${a} fast,slow`, `target ${a} fast`, `target ${a} slow`, `end ${a} 2`,
      `start ${b} fast,slow`, `target ${b} fast`, `target ${b} slow`, `end ${b} 2`,
      `start ${c} fast,slow`, `target ${c} fast`, `target ${c} slow`, `end ${c} 2`,
    ]);
    expect(s.manifest.steps.map((x) => x.targets.length)).toEqual([2, 2, 2]);
  });

  it('skips a host unreachable in an earlier step of the segment and applies when/register per host', async () => {
    const steps = [
      step({ kind: 'ssh', hosts: 'nodes', register: 'probe' }),
      step({ kind: 'ssh', hosts: 'nodes', when: 'registered.probe.rc == 1' }),
    ];
    const ran: string[] = [];
    const s = await run(steps, async (e) => {
      ran.push(`${e.step.id}@${e.target.name}`);
      if (e.target.name === 'gone') return { status: 'unreachable', error: 'connection refused' };
      if (e.step.register) return { status: e.target.name === 'b' ? 'failed' : 'ok', exitCode: e.target.name === 'b' ? 1 : 0 };
      return { status: 'ok', exitCode: 0 };
    }, { hosts: ['a', 'b', 'gone'], strategy: 'free' });
    expect(ran.sort()).toEqual([`${steps[0].id}@a`, `${steps[0].id}@b`, `${steps[0].id}@gone`, `${steps[1].id}@b`].sort());
    const second = Object.fromEntries(s.manifest.steps[1].targets.map((t) => [t.target, t.status]));
    expect(second).toEqual({ a: 'skipped', b: 'ok', gone: 'skipped' });
    expect(exitCodeFor(s)).toBe(4);
  });

  it('keeps a barrier at run_once and run-level steps', async () => {
    timeline.length = 0;
    const steps = [step({ kind: 'ssh', hosts: 'nodes' }), step({ kind: 'local' }), step({ kind: 'ssh', hosts: 'nodes' })];
    await run(steps, async (e) => {
      timeline.push(`start ${e.step.id}@${e.target.name}`);
      await new Promise((r) => setTimeout(r, e.target.name === 'slow' ? 100 : 5));
      timeline.push(`end ${e.step.id}@${e.target.name}`);
      return { status: 'ok', exitCode: 0 };
    }, { hosts: ['fast', 'slow'], strategy: 'free' });
    expect(timeline.indexOf(`start ${steps[1].id}@localhost`)).toBeGreaterThan(timeline.indexOf(`end ${steps[0].id}@slow`));
    expect(timeline.indexOf(`start ${steps[2].id}@fast`)).toBeGreaterThan(timeline.indexOf(`end ${steps[1].id}@localhost`));
  });

  it('on interruption stops each host before its next step and still closes every started step for reporters', async () => {
    const ac = new AbortController();
    const events: string[] = [];
    const reporter: Reporter = { onStepStart: (s) => events.push(`start ${s.id}`), onStepEnd: (s, r) => events.push(`end ${s.id} ${r.length}`) };
    const steps = three();
    const s = await run(steps, async (e) => {
      await new Promise((r) => setTimeout(r, e.target.name === 'slow' ? 100 : 5));
      if (e.target.name === 'fast') ac.abort(new Error('interrupted by SIGINT'));
      return { status: 'ok', exitCode: 0 };
    }, { hosts: ['fast', 'slow'], strategy: 'free', reporter, signal: ac.signal });
    expect(s.status).toBe('interrupted');
    expect(s.manifest.steps[0].targets).toHaveLength(2);
    expect(s.manifest.steps.slice(1).every((x) => x.targets.length === 0)).toBe(true);
    const [a, b] = steps.map((x) => x.id);
    expect(events).toEqual([`start ${a}`, `end ${a} 2`, `start ${b}`, `end ${b} 0`]);
  });
});
