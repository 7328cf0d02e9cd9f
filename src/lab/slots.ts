/**
 * Lab slots: a slot (1..199) owns the underlay 198.18.<slot>.0/24 and the prefix `ndl<slot>-`.
 * A slot is claimed with an exclusive mkdir (two concurrent `lab up` never share one) and is
 * skipped while any namespace or root interface with its prefix still exists.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_SLOT, labPrefix } from './addressing.js';
import { labsRoot } from './state.js';
import { tryRun } from './sh.js';

function slotsDir(): string {
  return join(labsRoot(), '.slots');
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

/** Claims the first free slot (its directory marker is created exclusively). */
export async function claimSlot(): Promise<number> {
  await mkdir(slotsDir(), { recursive: true });
  const taken = new Set<string>([...(await listNetns()), ...(await listRootLinks())].map((n) => /^ndl(\d+)-/.exec(n)?.[1] ?? '').filter(Boolean));
  for (let s = 1; s <= MAX_SLOT; s++) {
    if (taken.has(String(s))) continue;
    try {
      await mkdir(join(slotsDir(), String(s)));
      return s;
    } catch {
      // Claimed by another lab (or a concurrent `lab up`).
    }
  }
  throw new Error(`lab: all ${MAX_SLOT} lab slots are in use (netdiag lab down --all frees leftovers)`);
}

/** Releases a slot. */
export async function releaseSlot(slot: number): Promise<void> {
  await rm(join(slotsDir(), String(slot)), { recursive: true, force: true });
}

/** Slots currently claimed. */
export async function claimedSlots(): Promise<number[]> {
  try {
    return (await readdir(slotsDir())).map(Number).filter((n) => Number.isInteger(n));
  } catch {
    return [];
  }
}

export { labPrefix };
