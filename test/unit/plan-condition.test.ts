import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { compileCondition, conditionProblems, evaluateCondition } from '../../src/plan/condition.js';

const ctx = {
  vars: { vxlan_port: 8472, mode: 'vxlan', list: [1, 2] },
  registered: { dns: { rc: 0, stdout: 'NXDOMAIN', failed: false }, result: { rc: 1 } },
  host: { name: 'node-1', groups: ['all', 'workers'] },
};

describe('evaluateCondition', () => {
  it('evaluates CEL over vars, registered, facts and host', () => {
    expect(evaluateCondition('vars.vxlan_port == 8472', ctx)).toBe(true);
    expect(evaluateCondition("vars.mode == 'vxlan' && registered.dns.rc == 0", ctx)).toBe(true);
    expect(evaluateCondition('facts.dns.stdout.contains("NXDOMAIN")', ctx)).toBe(true);
    expect(evaluateCondition('"workers" in host.groups && host.name.startsWith("node-")', ctx)).toBe(true);
    expect(evaluateCondition('size(vars.list) > 2', ctx)).toBe(false);
    expect(evaluateCondition('has(registered.missing)', ctx)).toBe(false);
  });

  it('gives until: loops `result`, from the context or registered.result', () => {
    expect(evaluateCondition('result.rc == 1', ctx)).toBe(true);
    expect(evaluateCondition('result.rc == 0', { ...ctx, result: { rc: 0 } })).toBe(true);
  });

  it('treats a missing key as false with a warning, instead of failing', () => {
    const warnings: string[] = [];
    expect(evaluateCondition('registered.kubeProxy.crashLooping', ctx, { onWarning: (w) => warnings.push(w) })).toBe(false);
    expect(evaluateCondition('vars.list[5] == 1', ctx, { onWarning: (w) => warnings.push(w) })).toBe(false);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('kubeProxy');
    expect(warnings[0]).toContain('has(');
  });

  it('throws InputError at the given place for non-boolean results and type errors', () => {
    const where = { file: 'p.yaml', line: 4, col: 11, path: 'steps[1].when' };
    for (const expr of ['registered.dns.stdout', 'vars.mode + 1 > 2']) {
      try {
        evaluateCondition(expr, ctx, { where });
        throw new Error('should have thrown');
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        expect((err as InputError).problems[0]).toMatchObject(where);
      }
    }
  });
});

describe('compileCondition', () => {
  it('rejects syntax errors, unknown variables and non-boolean types', () => {
    expect(conditionProblems('vars.a ==')[0].message).toContain('CEL syntax error');
    expect(conditionProblems('output.rc == 0')[0].message).toContain('Unknown variable: output');
    expect(conditionProblems('1 + 2')[0].message).toContain('must be true/false');
    expect(conditionProblems('"a"')[0].message).toContain('must be true/false');
    expect(conditionProblems('vars.a')).toEqual([]); // dyn: checked at run time
  });
  it('compiles once per expression', () => {
    expect(compileCondition('vars.x == 1')).toBe(compileCondition('vars.x == 1'));
  });
});
