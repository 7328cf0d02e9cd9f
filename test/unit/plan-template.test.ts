import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import type { Host } from '../../src/inventory/types.js';
import { shellQuote as quote } from '../../src/transport/shell-quote.js';

const shellQuote = (v: string) => quote(v, { quoteAssignments: true });
import { checkTemplate, renderSavePath, renderShell, renderText, savePathProblem, templateContext, type TemplateContext } from '../../src/plan/template.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ndt-template-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const where = { file: 'plan.yaml', line: 7, col: 5, path: 'steps[2].ssh' };
const ctx = (hostName: string, extra: Record<string, unknown> = {}): TemplateContext => ({
  host: { name: hostName, address: '198.18.0.1' },
  vars: { ports: [8472, 4789], ns: 'kube-system', obj: { a: 1 }, empty: '', nothing: null, ...extra },
  registered: { dns: { stdout: 'ok' } },
  facts: {},
});

/** Runs a rendered command line in a real /bin/sh and returns the argv printf saw. */
function shellArgs(commandLine: string): string[] {
  const out = execFileSync('/bin/sh', ['-c', `printf '%s\\n' ${commandLine}`], { cwd: tmp, encoding: 'utf8' });
  return out.split('\n').slice(0, -1);
}

describe('renderShell', () => {
  const evil = [
    `a;touch ${tmp}/pwned1`,
    `$(touch ${tmp}/pwned2)`,
    `\`touch ${tmp}/pwned3\``,
    `it's "quoted" \\ back`,
    `x && touch ${tmp}/pwned4 || true`,
    ' leading and trailing ',
    '*',
    '~root',
    'line1\nline2',
    '',
  ];
  for (const name of evil) {
    it(`passes ${JSON.stringify(name)} as exactly one argument to a real shell`, () => {
      const line = renderShell('{{host.name}}', ctx(name), where);
      expect(shellArgs(line)).toEqual(name.includes('\n') ? name.split('\n') : [name]);
      for (const f of ['pwned1', 'pwned2', 'pwned3', 'pwned4']) expect(existsSync(path.join(tmp, f))).toBe(false);
    });
  }

  it('keeps harmless words readable and quotes the rest', () => {
    expect(renderShell('ping -c1 {{host.address}}', ctx('n1'), where)).toBe('ping -c1 198.18.0.1');
    expect(renderShell('echo {{host.name}}', ctx('a b'), where)).toBe("echo 'a b'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('A=B')).toBe(`'A=B'`); // would otherwise be an env assignment at the start of a command
  });

  it('renders lists as one quoted word per element and maps as one JSON word', () => {
    expect(renderShell('tcpdump {{vars.ports}}', ctx('n'), where)).toBe('tcpdump 8472 4789');
    expect(shellArgs(renderShell('{{vars.obj}}', ctx('n'), where))).toEqual(['{"a":1}']);
    expect(renderShell('x {{vars.empty}} y', ctx('n'), where)).toBe("x '' y");
  });

  it('quotes helper results and block content too', () => {
    expect(renderShell('{{default vars.missing "two words"}}', ctx('n'), where)).toBe("'two words'");
    expect(renderShell('{{#each vars.ports}}-p {{this}} {{/each}}', ctx('n'), where)).toBe('-p 8472 -p 4789 ');
    expect(shellArgs(renderShell('{{#with host}}{{name}}{{/with}}', ctx('a;b'), where))).toEqual(['a;b']);
  });

  it('leaves {{{triple}}} values raw (documented as unsafe)', () => {
    expect(renderShell('iptables {{{vars.flags}}}', ctx('n', { flags: '-t nat -S' }), where)).toBe('iptables -t nat -S');
  });

  it('fails on an undefined value, naming the expression and the step', () => {
    const err = catchInput(() => renderShell('ping {{host.adress}}', ctx('n'), where));
    expect(err.problems[0]).toMatchObject({ file: 'plan.yaml', line: 7, path: 'steps[2].ssh' });
    expect(err.problems[0].message).toContain('{{host.adress}} is undefined');
    expect(catchInput(() => renderShell('{{vars.nothing.x}}', ctx('n'), where)).message).toContain('"vars.nothing" is null');
    expect(catchInput(() => renderShell('{{vars.ns.constructor}}', ctx('n'), where)).message).toContain('is undefined');
  });
});

describe('renderText', () => {
  it('does not HTML-escape', () => {
    expect(renderText('<{{host.name}}> & "{{vars.ns}}"', ctx('a&b<c>'), where)).toBe('<a&b<c>> & "kube-system"');
  });
  it('offers the documented helpers', () => {
    expect(renderText('{{upper vars.ns}} {{lower "ABC"}} {{join vars.ports ":"}} {{json vars.obj}}', ctx('n'), where)).toBe('KUBE-SYSTEM abc 8472:4789 {"a":1}');
    expect(renderText('{{#if (eq vars.ns "kube-system")}}yes{{else}}no{{/if}}', ctx('n'), where)).toBe('yes');
    expect(renderText('{{#if vars.missing}}yes{{else}}no{{/if}}', ctx('n'), where)).toBe('no');
    expect(renderText('{{registered.dns.stdout}} {{lookup vars "ns"}}', ctx('n'), where)).toBe('ok kube-system');
  });
});

describe('checkTemplate', () => {
  it('reports unknown helpers, partials and syntax errors with the given location', () => {
    expect(checkTemplate('echo {{host.name}} {{upper vars.x}}', where)).toEqual([]);
    const problems = checkTemplate('{{shout x}} {{#loop a}}{{/loop}} {{> part}}', where);
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringContaining('unknown helper "shout"'),
      expect.stringContaining('unknown helper "loop"'),
      expect.stringContaining('partials'),
    ]);
    expect(problems[0]).toMatchObject({ file: 'plan.yaml', line: 7, col: 5 });
    expect(checkTemplate('{{host.name', where)[0].message).toMatch(/^template syntax: /);
  });
});

describe('renderSavePath', () => {
  const runDir = path.join(tmp, 'run');
  it('resolves inside the run directory', () => {
    expect(renderSavePath('iptables-{{host.name}}.txt', ctx('node-1'), runDir, where)).toBe(path.join(runDir, 'iptables-node-1.txt'));
    expect(renderSavePath('vxlan/{{host.name}}.txt', ctx('n1'), runDir, where)).toBe(path.join(runDir, 'vxlan', 'n1.txt'));
  });
  it('keeps values from adding directories or escaping', () => {
    expect(renderSavePath('{{host.name}}.txt', ctx('../../etc/passwd'), runDir, where)).toBe(path.join(runDir, '.._.._etc_passwd.txt'));
    expect(renderSavePath('{{host.name}}', ctx('..'), runDir, where)).toBe(path.join(runDir, '_'));
  });
  it('refuses traversal, absolute paths, NUL and empty names written by the author', () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', '~/x', 'a\0b', '{{vars.empty}}', 'dir/']) {
      const err = catchInput(() => renderSavePath(bad, ctx('n'), runDir, { ...where, path: 'steps[2].save' }));
      expect(err.problems[0]).toMatchObject({ file: 'plan.yaml', line: 7, path: 'steps[2].save' });
    }
    expect(savePathProblem('ok/name.txt')).toBeUndefined();
  });
});

describe('templateContext', () => {
  it('exposes host name/address over host vars, and registered as facts', () => {
    const host: Host = { name: 'n1', address: '198.18.0.5', port: 22, become: false, jump: [], vars: { name: 'shadowed', rack: 'r1' }, groups: ['all'] };
    const c = templateContext({ host, vars: { a: 1 }, registered: { r: 1 }, step: { id: 's', name: 'S' }, run: { stamp: 'T', dir: '/d' } });
    expect(c.host).toMatchObject({ name: 'n1', address: '198.18.0.5', rack: 'r1', port: 22 });
    expect(c.facts).toBe(c.registered);
    expect(renderText('{{step.id}} {{run.stamp}} {{host.rack}}', c)).toBe('s T r1');
  });
});

function catchInput(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('expected an InputError');
}
