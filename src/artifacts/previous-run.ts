/**
 * Finds the newest earlier run of a plan (`<out>/<plan>/<stamp>/run.json`), so `bundle
 * --estimate <plan.yaml>` can tell the expected size before collecting anything.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { safeName } from './run-dir.js';

export async function newestRunOf(planName: string, outRoot: string): Promise<string> {
  const dir = path.resolve(outRoot, safeName(planName));
  const stamps = existsSync(dir) ? (await readdir(dir)).filter((d) => /^\d{8}T\d{6}Z/.test(d) && existsSync(path.join(dir, d, 'run.json'))) : [];
  if (stamps.length === 0) {
    throw new InputError({ path: '--estimate', message: `no earlier run of plan "${planName}" under ${dir}: run it once, or pass a run directory` });
  }
  return path.join(dir, stamps.sort().at(-1)!);
}
