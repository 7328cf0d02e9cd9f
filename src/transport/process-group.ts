/**
 * Killing a LOCAL process group (the `local`/`kubectl` steps run detached, so the child's pid
 * is its group id): SIGTERM, wait for the group to empty, SIGKILL what is left.
 */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Does the group still have a live (non-zombie) member? `kill(-pgid, 0)` alone would also count
 * zombies, and orphans wait for init to reap them — seconds in some containers — which would
 * turn every kill into a full grace period. So /proc is read (state ≠ Z), with kill -0 as the
 * fallback where /proc is missing.
 */
export function groupAlive(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return signalGroup(pgid, 0);
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp …" — comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
  }
  return false;
}

/** Send `signal` to every member; false when the group does not exist (or is not ours). */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** TERM the group, wait up to `graceMs` for it to empty, then KILL what is left. */
export async function killGroup(pgid: number, graceMs: number): Promise<void> {
  if (!Number.isInteger(pgid) || pgid <= 1) throw new Error(`refusing to kill process group ${pgid}`);
  if (!signalGroup(pgid, 'SIGTERM')) return;
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && groupAlive(pgid)) await new Promise((r) => setTimeout(r, 50));
  if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}
