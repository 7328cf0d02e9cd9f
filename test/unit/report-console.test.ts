/** The plain (non-TTY) console lines for a step's targets, as CI logs show them. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { TargetRecord } from '../../src/artifacts/manifest.js';
import type { Step } from '../../src/plan/types.js';
import { ConsoleReporter } from '../../src/report/console.js';

function capture() {
  let text = '';
  const out = new Writable({ write: (chunk, _enc, done) => ((text += String(chunk)), done()) });
  return { out, text: () => text };
}

const step = (over: Partial<Step>): Step => ({ name: 'Calico IPPools', id: 'calico_ippools', kind: 'k8s', index: 0, ignoreErrors: false, ...over }) as Step;
const failed: TargetRecord = { target: 'localhost', status: 'failed', error: 'not found (404)', durationMs: 10, files: [] };

describe('ConsoleReporter (plain lines)', () => {
  it.each([
    [true, '  FAILED: [localhost] (0.0s) not found (404) (ignored)\n'],
    [false, '  FAILED: [localhost] (0.0s) not found (404)\n'],
  ])('ignore_errors %s → %j', (ignoreErrors, line) => {
    const c = capture();
    const r = new ConsoleReporter({ out: c.out, live: false, verbosity: 0 });
    const s = step({ ignoreErrors });
    r.onStepStart(s, ['localhost']);
    r.onTargetEnd(s, failed);
    expect(c.text()).toBe(`TASK [Calico IPPools] k8s on 1 host(s)\n${line}`);
  });
});
