/**
 * `netdiag lab down`: removes exactly what a lab made — its API server and processes (by pid,
 * checked against their start time), every namespace and root-namespace interface with its
 * prefix (iptables rules live inside those namespaces and go with them), its /etc/netns files,
 * its folder and slot. `--all` does this for every lab and then sweeps leftovers of crashed
 * labs by the `ndl<slot>-` prefix, killing processes still inside such namespaces.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { LabState } from './model.js';
import { killProcess } from './processes.js';
import { claimedSlots, listNetns, listRootLinks, releaseSlot } from './slots.js';
import { labsRoot, listLabStates, readLabState } from './state.js';
import { ipBatch, parallel, tryRun } from './sh.js';
import { stopControlPlane } from './control-plane.js';

/** What a teardown removed (for the CLI's summary and tests). */
export interface DownReport {
  labs: string[];
  killed: number[];
  netns: string[];
  links: string[];
}

const LAB_PREFIX = /^ndl\d+-/;

/** Pids of processes inside a namespace (`ip netns pids`). */
async function pidsIn(netns: string): Promise<number[]> {
  const r = await tryRun('ip', ['netns', 'pids', netns]);
  return r.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** True when the API pid still runs the server for this lab (never kill a recycled pid). */
async function isOurApi(state: LabState, stateFile: string): Promise<boolean> {
  if (!state.api?.pid) return false;
  try {
    const cmdline = (await readFile(`/proc/${state.api.pid}/cmdline`, 'utf8')).split('\0');
    return cmdline.some((a) => a === stateFile || a.startsWith(state.dir));
  } catch {
    return false;
  }
}

/** Removes namespaces and root links by prefix, killing what still runs inside them. */
async function sweepPrefix(prefix: string, report: DownReport): Promise<void> {
  const namespaces = (await listNetns()).filter((n) => n.startsWith(prefix));
  await parallel(namespaces, 8, async (ns) => {
    for (const pid of await pidsIn(ns)) {
      await killProcess({ pid, role: 'leftover', netns: ns }, 1000);
      report.killed.push(pid);
    }
  });
  if (namespaces.length) await ipBatch(namespaces.map((n) => `netns del ${n}`), undefined, { force: true }).catch(() => undefined);
  report.netns.push(...namespaces);
  const links = (await listRootLinks()).filter((l) => l.startsWith(prefix));
  if (links.length) await ipBatch(links.map((l) => `link del ${l}`), undefined, { force: true }).catch(() => undefined);
  report.links.push(...links);
  const etc = await readdir('/etc/netns').catch(() => [] as string[]);
  await Promise.all(etc.filter((d) => d.startsWith(prefix)).map((d) => rm(join('/etc/netns', d), { recursive: true, force: true })));
}

/** Tears one lab down from its state file. */
export async function labDown(stateFile: string, report: DownReport = { labs: [], killed: [], netns: [], links: [] }): Promise<DownReport> {
  const state = await readLabState(stateFile);
  if (await isOurApi(state, stateFile)) {
    await stopControlPlane(state);
    report.killed.push(state.api.pid!);
  }
  await Promise.all(
    state.processes.map(async (p) => {
      await killProcess(p);
      report.killed.push(p.pid);
    }),
  );
  await sweepPrefix(state.prefix, report);
  await rm(state.dir, { recursive: true, force: true });
  await releaseSlot(state.slot);
  report.labs.push(state.name);
  return report;
}

/**
 * Tears every lab down, then removes leftovers of crashed labs: prefixes of slots still
 * claimed in this labs root, and — for the default root only — every `ndl<slot>-` namespace,
 * interface and /etc/netns folder on the machine. (A custom NETDIAG_LABS_ROOT, as tests use,
 * never touches labs that belong to another root.)
 */
export async function labDownAll(): Promise<DownReport> {
  const report: DownReport = { labs: [], killed: [], netns: [], links: [] };
  for (const { file } of await listLabStates()) await labDown(file, report).catch(() => undefined);
  const prefixes = new Set<string>((await claimedSlots()).map((s) => `ndl${s}-`));
  if (!process.env.NETDIAG_LABS_ROOT) {
    for (const n of [...(await listNetns()), ...(await listRootLinks()), ...(await readdir('/etc/netns').catch(() => [] as string[]))]) {
      const m = LAB_PREFIX.exec(n);
      if (m) prefixes.add(m[0]);
    }
  }
  for (const p of prefixes) await sweepPrefix(p, report);
  // Folders of labs whose state never got written, and the slot markers.
  const root = labsRoot();
  for (const d of await readdir(root).catch(() => [] as string[])) await rm(join(root, d), { recursive: true, force: true });
  for (const s of await claimedSlots()) await releaseSlot(s);
  return report;
}

/** Finds a lab's state file by name (undefined when no such lab is up). */
export async function findLab(name: string): Promise<string | undefined> {
  const labs = await listLabStates();
  return labs.find((l) => l.state.name === name)?.file;
}
