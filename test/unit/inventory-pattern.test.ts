import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseInventory } from '../../src/inventory/load.js';
import { applyLimit, patternProblems, selectHosts } from '../../src/inventory/pattern.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ndt-pattern-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Declared out of name order on purpose: results must follow inventory order.
const inv = parseInventory(
  'inv.yaml',
  `all:
  hosts:
    bastion:
  children:
    nodes:
      children:
        control:
          hosts: { cp-1: }
        workers:
          hosts:
            node-3:
            node-1:
            node-2:
            gpu-1:
            gpu-3:
    gpu:
      hosts: { gpu-1:, gpu-3: }
`,
);
const names = (pattern: string) => selectHosts(inv, pattern).map((h) => h.name);

describe('selectHosts', () => {
  const cases: Array<[string, string[]]> = [
    ['all', ['bastion', 'cp-1', 'node-3', 'node-1', 'node-2', 'gpu-1', 'gpu-3']],
    ['*', ['bastion', 'cp-1', 'node-3', 'node-1', 'node-2', 'gpu-1', 'gpu-3']],
    ['nodes', ['cp-1', 'node-3', 'node-1', 'node-2', 'gpu-1', 'gpu-3']],
    ['node-1', ['node-1']],
    ['node-*', ['node-3', 'node-1', 'node-2']],
    ['node-[!3]', ['node-1', 'node-2']],
    ['?pu-*', ['gpu-1', 'gpu-3']],
    ['workers:!gpu-3', ['node-3', 'node-1', 'node-2', 'gpu-1']],
    ['workers:!gpu', ['node-3', 'node-1', 'node-2']],
    ['workers:&gpu', ['gpu-1', 'gpu-3']],
    ['gpu:control', ['cp-1', 'gpu-1', 'gpu-3']],
    ['gpu,control', ['cp-1', 'gpu-1', 'gpu-3']],
    ['!nodes', ['bastion']],
    ['!workers:control', ['cp-1']], // unions first, whatever the order
    ['~node-[13]', ['node-3', 'node-1']],
    ['~(gpu|cp)-1', ['cp-1', 'gpu-1']],
    ['nodes:&~gpu.*:!gpu-3', ['gpu-1']],
    ['nodes:~gpu.*:!gpu-3', ['cp-1', 'node-3', 'node-1', 'node-2', 'gpu-1']],
    ['~gp', ['gpu-1', 'gpu-3']], // matched against group names too: the gpu group
    ['workers[0]', ['node-3']],
    ['workers[-1]', ['gpu-3']],
    ['workers[1:2]', ['node-1', 'node-2']],
    ['workers[3:]', ['gpu-1', 'gpu-3']],
    ['ungrouped', ['bastion']],
    ['zz-*', []],
  ];
  for (const [pattern, want] of cases) it(`${pattern} → ${want.join(' ') || '(none)'}`, () => expect(names(pattern)).toEqual(want));

  it('lists every unknown plain name at the caller-given place', () => {
    try {
      selectHosts(inv, 'workers:!gpu-4:&nodez', { where: { file: 'plan.yaml', line: 12, col: 12, path: 'steps[3].hosts' } });
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toBe('plan.yaml:12:12: steps[3].hosts: host pattern "workers:!gpu-4:&nodez": no group or host named "gpu-4", "nodez" in inv.yaml');
    }
  });

  it('reports syntax problems', () => {
    expect(patternProblems('~node[')[0].message).toContain('invalid regular expression');
    expect(patternProblems('')[0].message).toContain('is empty');
    expect(patternProblems('web:!')[0].message).toContain('nothing after !');
    expect(patternProblems('web:&')[0].message).toContain('nothing after &');
    expect(patternProblems('web, db')).toEqual([]);
  });
});

describe('applyLimit', () => {
  it('intersects with the limit pattern, keeping order', () => {
    const hosts = selectHosts(inv, 'workers');
    expect(applyLimit(hosts, inv, 'gpu:node-2').map((h) => h.name)).toEqual(['node-2', 'gpu-1', 'gpu-3']);
    expect(applyLimit(hosts, inv, 'control')).toEqual([]);
  });
  it('reads @file limits (one name per line, # comments)', () => {
    const f = path.join(tmp, 'retry');
    writeFileSync(f, '# failed last time\nnode-1\n\ngpu-3\n');
    expect(applyLimit(selectHosts(inv, 'all'), inv, `@${f}`).map((h) => h.name)).toEqual(['node-1', 'gpu-3']);
    expect(() => applyLimit([], inv, `@${path.join(tmp, 'missing')}`)).toThrow(/--limit: cannot read limit file/);
  });
  it('rejects unknown names under --limit', () => {
    expect(() => applyLimit([], inv, 'node-9')).toThrow(/^--limit: host pattern "node-9": no group or host named "node-9"/);
  });
});
