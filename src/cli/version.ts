import { readFileSync } from 'node:fs';

/** Version from package.json (read once, synchronously: it is tiny and needed for --version). */
export function netdiagVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
