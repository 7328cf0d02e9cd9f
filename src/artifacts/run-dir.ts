/**
 * The run directory `artifacts/<plan>/<UTC stamp>/` and the rule that nothing a plan saves can
 * leave it: every relative path is resolved, normalised and checked against the root, and the
 * parent directory is checked again after symlinks are resolved at open time.
 */
import { mkdir, realpath } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';

/** UTC stamp like 20261121T235200Z (sortable, filesystem-safe). */
export function utcStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** Plan names become directory names: keep them to a safe alphabet. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return cleaned.length > 0 ? cleaned.slice(0, 80) : 'plan';
}

export interface RunDir {
  /** Absolute path of the run directory. */
  dir: string;
  stamp: string;
  planDir: string;
}

/** Creates `<outRoot>/<plan>/<stamp>/`; a second run in the same second gets `-2`, `-3`, … */
export async function createRunDir(outRoot: string, planName: string, now: Date): Promise<RunDir> {
  const planDir = path.resolve(outRoot, safeName(planName));
  await mkdir(planDir, { recursive: true });
  const base = utcStamp(now);
  for (let n = 1; ; n++) {
    const stamp = n === 1 ? base : `${base}-${n}`;
    const dir = path.join(planDir, stamp);
    try {
      await mkdir(dir);
      return { dir, stamp, planDir };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/**
 * Resolves a path relative to the run directory, refusing anything that would land outside it
 * (absolute paths, `..` segments that climb out, NUL bytes). Returns the absolute path.
 */
export function confinedPath(root: string, relative: string): string {
  if (relative.includes('\0')) throw new InputError(`save path contains a NUL byte: ${JSON.stringify(relative)}`);
  if (path.isAbsolute(relative)) throw new InputError(`save path must be relative to the run directory: ${relative}`);
  const abs = path.resolve(root, relative);
  const rel = path.relative(root, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new InputError(`save path escapes the run directory: ${relative}`);
  }
  return abs;
}

/** Creates the parent folders of a confined path and re-checks it after resolving symlinks. */
export async function prepareParent(root: string, abs: string): Promise<void> {
  const parent = path.dirname(abs);
  await mkdir(parent, { recursive: true });
  const [realRoot, realParent] = await Promise.all([realpath(root), realpath(parent)]);
  const rel = path.relative(realRoot, realParent);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new InputError(`save path escapes the run directory through a symlink: ${path.relative(root, abs)}`);
  }
}
