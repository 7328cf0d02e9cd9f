/**
 * Lab slots: a slot (1..199) owns the underlay 198.18.<slot>.0/24 and the prefix `ndl<slot>-`.
 * Slots are machine-wide (namespaces and interfaces are), whatever labs root a lab uses: a slot
 * is claimed with an exclusive mkdir in one machine-wide folder (two concurrent `lab up` never
 * share one), records which labs root owns it, and is skipped while any namespace or root
 * interface with its prefix still exists.
 */
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SLOT, labPrefix } from './addressing.js';
import { labsRoot } from './state.js';
import { tryRun } from './sh.js';

/** The machine-wide folder of slot markers. */
function slotsDir(): string {
  return process.getuid?.() === 0 ? '/run/netdiag-lab-slots' : join(tmpdir(), 'netdiag-lab-slots');
}

/** Names of all network namespaces. */
export async function listNetns(): Promise<string[]> {
  const r = await tryRun('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(' ')[0])
    .filter(Boolean);
}

/** Names of all root-namespace links. */
export async function listRootLinks(): Promise<string[]> {
  const r = await tryRun('ip', ['-o', 'link', 'show']);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x));
}

/**
 * Claims the first free slot. The marker (a folder holding the owner's labs root) is built
 * under a temporary name and renamed into place: rename onto an existing, non-empty marker
 * fails, so exactly one claimant wins and a marker never exists without its owner.
 */
export async function claimSlot(): Promise<number> {
  await mkdir(slotsDir(), { recursive: true });
  const taken = new Set<string>([...(await listNetns()), ...(await listRootLinks())].map((n) => /^ndl(\d+)-/.exec(n)?.[1] ?? '').filter(Boolean));
  const tmp = join(slotsDir(), `.claim-${process.pid}-${Math.random().toString(36).slice(2)}`);
  await mkdir(tmp);
  await writeFile(join(tmp, 'owner'), labsRoot());
  try {
    for (let s = 1; s <= MAX_SLOT; s++) {
      if (taken.has(String(s))) continue;
      try {
        await rename(tmp, join(slotsDir(), String(s)));
        return s;
      } catch {
        // Claimed by another lab (or a concurrent `lab up`).
      }
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  throw new Error(`lab: all ${MAX_SLOT} lab slots are in use (netdiag lab down --all frees leftovers)`);
}

/** Releases a slot. */
export async function releaseSlot(slot: number): Promise<void> {
  await rm(join(slotsDir(), String(slot)), { recursive: true, force: true });
}

/** Slots currently claimed by labs of this labs root (including crashed ones). */
export async function claimedSlots(): Promise<number[]> {
  const mine: number[] = [];
  for (const name of await readdir(slotsDir()).catch(() => [] as string[])) {
    const slot = Number(name);
    if (!Number.isInteger(slot)) continue;
    const owner = await readFile(join(slotsDir(), name, 'owner'), 'utf8').catch(() => '');
    if (owner === labsRoot()) mine.push(slot);
  }
  return mine;
}

export { labPrefix };
