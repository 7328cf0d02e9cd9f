/** Reads the malformed corpus and the expectations each fixture declares in its header. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface CorpusExpectation {
  line: number;
  col?: number;
  text: string;
}

export interface CorpusEntry {
  kind: 'plan' | 'inventory';
  /** Path relative to the repository root (as passed on the command line). */
  file: string;
  expects: CorpusExpectation[];
  /** Inventory to validate a plan against (`# args: -i <file>`). */
  inventory?: string;
}

export const repoRoot = path.resolve(import.meta.dirname, '../..');

export function readCorpus(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const [kind, dir] of [
    ['plan', 'test/fixtures/plans/bad'],
    ['inventory', 'test/fixtures/inventories/bad'],
  ] as const) {
    for (const name of readdirSync(path.join(repoRoot, dir)).sort()) {
      const file = `${dir}/${name}`;
      const text = readFileSync(path.join(repoRoot, file), 'utf8');
      const expects: CorpusExpectation[] = [];
      let inventory: string | undefined;
      for (const line of text.split('\n')) {
        const e = /^# expect: (\d+)(?::(\d+))? (.+)$/.exec(line);
        if (e) expects.push({ line: Number(e[1]), ...(e[2] ? { col: Number(e[2]) } : {}), text: e[3] });
        const a = /^# args: -i (\S+)$/.exec(line);
        if (a) inventory = a[1];
      }
      out.push({ kind, file, expects, ...(inventory ? { inventory } : {}) });
    }
  }
  return out;
}
