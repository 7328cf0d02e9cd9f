/**
 * Where labs live and how their state file is read and written. The state file is shared by
 * `lab up/status/down`, the emulated API server (another process) and tests, so writes are
 * atomic (temp file + rename): a reader never sees half a file.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabState } from './model.js';

/** Root folder of all labs: /run (tmpfs, root-owned) when writable, else the temp dir. */
export function labsRoot(): string {
  if (process.env.NETDIAG_LABS_ROOT) return process.env.NETDIAG_LABS_ROOT;
  return process.getuid?.() === 0 ? '/run/netdiag-labs' : join(tmpdir(), 'netdiag-labs');
}

/** Folder of one lab, by its name. */
export function labDir(name: string): string {
  return join(labsRoot(), name);
}

/** The state file of a lab folder. */
export function stateFileOf(dir: string): string {
  return join(dir, 'state.json');
}

/** Reads a lab state file (throws when missing or unparsable: callers decide what that means). */
export async function readLabState(file: string): Promise<LabState> {
  const state = JSON.parse(await readFile(file, 'utf8')) as LabState;
  // Files written before these fields existed still load.
  state.events ??= [];
  state.processes ??= [];
  state.workloads ??= [];
  return state;
}

let tmpCounter = 0;

/** Writes `<state.dir>/state.json` atomically. */
export async function writeLabState(state: LabState): Promise<void> {
  await mkdir(state.dir, { recursive: true });
  const file = stateFileOf(state.dir);
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

/**
 * Read-modify-write of a state file, serialised inside this process (the API server and
 * `restartWorkload` may both update it). Across processes the last rename wins, which is
 * acceptable: only one actor changes a given lab at a time in practice.
 */
const queues = new Map<string, Promise<unknown>>();
export async function updateLabState(file: string, change: (s: LabState) => void | Promise<void>): Promise<LabState> {
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(async () => {
    const state = await readLabState(file);
    await change(state);
    await writeLabState(state);
    return state;
  });
  queues.set(file, next);
  return next;
}

/** Every lab with a readable state file, with the file it came from. */
export async function listLabStates(): Promise<{ file: string; state: LabState }[]> {
  const root = labsRoot();
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const out: { file: string; state: LabState }[] = [];
  for (const n of names.sort()) {
    const file = stateFileOf(join(root, n));
    try {
      out.push({ file, state: await readLabState(file) });
    } catch {
      // A folder without a (valid) state file is a crashed `lab up`: `lab down --all` handles it.
    }
  }
  return out;
}
