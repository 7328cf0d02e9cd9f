import { describe, expect, it } from 'vitest';
import { selectSteps, shouldRun } from '../../src/plan/filter.js';
import { parseDuration, formatDuration } from '../../src/plan/duration.js';
import { parsePlan } from '../../src/plan/load.js';

// Each row: step tags, --tags, --skip-tags, expected (Ansible's taggable.py semantics).
const table: Array<[string[], string[] | undefined, string[] | undefined, boolean]> = [
  [[], undefined, undefined, true],
  [['dns'], undefined, undefined, true],
  [['never'], undefined, undefined, false],
  [['never', 'fix'], ['fix'], undefined, true],
  [['never', 'fix'], ['never'], undefined, true],
  [['never', 'fix'], ['all'], undefined, false],
  [['always'], ['dns'], undefined, true],
  [['always'], ['dns'], ['always'], false],
  [['always'], undefined, ['all'], true],
  [['always', 'dns'], undefined, ['dns'], false],
  [['dns'], ['dns'], undefined, true],
  [['dns'], ['vxlan'], undefined, false],
  [[], ['dns'], undefined, false],
  [[], ['untagged'], undefined, true],
  [['dns'], ['untagged'], undefined, false],
  [['dns'], ['tagged'], undefined, true],
  [[], ['tagged'], undefined, false],
  [['never', 'x'], ['tagged'], undefined, false],
  [['dns'], undefined, ['tagged'], false],
  [[], undefined, ['tagged'], true],
  [[], undefined, ['untagged'], false],
  [['dns'], undefined, ['all'], false],
  [['dns', 'vxlan'], ['dns,vxlan'], ['vxlan'], false],
];

describe('shouldRun (Ansible tag semantics)', () => {
  for (const [tags, only, skip, want] of table) {
    it(`tags=${JSON.stringify(tags)} --tags=${only ?? '-'} --skip-tags=${skip ?? '-'} → ${want}`, () => {
      expect(shouldRun(tags, { tags: only, skipTags: skip })).toBe(want);
    });
  }
});

describe('selectSteps', () => {
  it('keeps plan order and splits comma lists', () => {
    const plan = parsePlan(
      'p.yaml',
      `name: p
steps:
  - { name: a, local: "true", tags: dns }
  - { name: b, local: "true", tags: "vxlan, iptables" }
  - { name: c, local: "true" }
  - { name: d, local: "true", tags: [always] }
`,
    );
    expect(plan.steps[1].tags).toEqual(['vxlan', 'iptables']);
    expect(selectSteps(plan, { tags: ['iptables,dns'] }).map((s) => s.name)).toEqual(['a', 'b', 'd']);
    expect(selectSteps(plan, { skipTags: ['dns'] }).map((s) => s.name)).toEqual(['b', 'c', 'd']);
    expect(selectSteps(plan).map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('durations', () => {
  it('parses strings and seconds', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(45)).toBe(45_000);
    expect(parseDuration('10')).toBe(10_000);
    for (const bad of ['5 minutes', '', '-1s', 's', '1d', true, -3]) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(120_000)).toBe('2m');
    expect(formatDuration(1500)).toBe('1500ms');
  });
});
