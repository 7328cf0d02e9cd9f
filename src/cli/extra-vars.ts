/** `-e` values like Ansible's: `key=value`, `@vars.yaml`, or inline JSON/YAML mappings. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { InputError } from '../errors.js';

export async function parseExtraVars(values: string[]): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const v of values) {
    if (v.startsWith('@')) {
      const file = v.slice(1);
      const text = await readFile(file, 'utf8').catch((err: Error) => {
        throw new InputError({ file, path: '--extra-vars', message: `cannot read: ${err.message}` });
      });
      const data: unknown = parse(text);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InputError({ file, path: '--extra-vars', message: 'expected a mapping' });
      Object.assign(out, data);
    } else if (v.trimStart().startsWith('{')) {
      const data: unknown = parse(v);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new InputError({ path: '--extra-vars', message: `expected a mapping: ${v}` });
      Object.assign(out, data);
    } else {
      const eq = v.indexOf('=');
      if (eq <= 0) throw new InputError({ path: '--extra-vars', message: `expected key=value, @file or a JSON object, got "${v}"` });
      out[v.slice(0, eq)] = v.slice(eq + 1);
    }
  }
  return out;
}
