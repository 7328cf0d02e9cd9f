/**
 * One `netdiag run` from options to summary: load and check inputs (exit 3 before anything
 * runs), create the run directory and manifest, wire transports and reporters, handle SIGINT,
 * run the plan, and always close the manifest — also when the run fails or is interrupted.
 */
import os from 'node:os';
import path from 'node:path';
import { Manifest } from '../artifacts/manifest.js';
import { createRunDir } from '../artifacts/run-dir.js';
import { netdiagVersion } from '../cli/version.js';
import { InputError, formatProblem } from '../errors.js';
import { loadInventory } from '../inventory/load.js';
import { applyLimit, selectHosts } from '../inventory/pattern.js';
import { clusterHostPatternProblems, isClusterHostPattern, resolvePlanClusterHosts } from '../inventory/cluster-nodes.js';
import { preflightRun } from './preflight.js';
import { selectSteps } from '../plan/filter.js';
import { loadPlan } from '../plan/load.js';
import { multiplex, type Reporter } from '../report/reporter.js';
import { loadHandlers } from '../steps/registry.js';
import { SshPool } from '../transport/ssh-pool.js';
import type { HostKeyPolicy } from '../transport/types.js';
import type { KubeSession } from '../transport/kube-session.js';
import { runPlan } from './runner.js';
import type { RunSummary } from './summary.js';
import type { RunServices } from './types.js';

export interface RunOptions {
  plan: string;
  inventory?: string;
  check: boolean;
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  forks: number;
  out: string;
  kubeconfig?: string;
  context?: string;
  extraVars: Record<string, unknown>;
  /** `--ssh-host-keys`; unset = each host's inventory setting, else accept-new. */
  hostKeyPolicy?: HostKeyPolicy;
  knownHosts?: string;
  argv: string[];
  reporters: Reporter[];
  /** Aborted by the caller on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export async function executeRun(opts: RunOptions): Promise<RunSummary> {
  const plan = await loadPlan(opts.plan, { extraVars: opts.extraVars });
  const inventory = opts.inventory ? await loadInventory(opts.inventory) : undefined;
  // Ignored ssh options and the like: worth knowing, not worth stopping for.
  for (const w of inventory?.warnings ?? []) process.stderr.write(`netdiag: warning: ${formatProblem(w)}\n`);
  const steps = selectSteps(plan, { tags: opts.tags, skipTags: opts.skipTags });
  const needsHosts = steps.filter((s) => s.hosts);
  if (needsHosts.length > 0 && !inventory) {
    const more = needsHosts.length > 5 ? ` (${needsHosts.length - 5} more steps like these)` : '';
    throw new InputError([
      ...needsHosts.slice(0, 5).map((s) => ({ ...s.loc, path: `steps[${s.index}].hosts`, message: `step "${s.name}" targets hosts "${s.hosts}" but no --inventory was given` })),
      {
        path: '--inventory',
        message: `${needsHosts.length} step(s) run on nodes over SSH${more}: give -i/--inventory with the nodes (Ansible YAML or INI), or leave them out with --tags/--skip-tags (\`netdiag list\` shows each step's tags and hosts)`,
      },
    ]);
  }

  // Every host pattern is resolved once up front so a typo is exit 3 before anything runs.
  if (inventory) {
    for (const s of needsHosts) {
      const where = { ...(s.fieldLocs?.hosts ?? s.loc), path: `steps[${s.index}].hosts` };
      // `k8s:nodes…` is resolved against the cluster once the run starts; only its syntax now.
      if (isClusterHostPattern(s.hosts!)) {
        const problems = clusterHostPatternProblems(s.hosts!, where);
        if (problems.length) throw new InputError(problems);
      } else selectHosts(inventory, s.hosts!, { where });
    }
    if (opts.limit) applyLimit([...inventory.hosts.values()], inventory, opts.limit);
  }

  const now = new Date();
  const runDir = await createRunDir(opts.out, plan.name, now);
  const manifest = new Manifest(runDir.dir, {
    netdiag: { version: netdiagVersion(), node: process.version },
    argv: opts.argv,
    plan: { name: plan.name, file: plan.file, sha256: plan.sha256 },
    inventory: inventory && { file: inventory.file, hosts: [...inventory.hosts.values()].map((h) => ({ name: h.name, address: h.address, port: h.port })) },
    check: opts.check,
    options: { limit: opts.limit, tags: opts.tags, skipTags: opts.skipTags, forks: opts.forks, hostKeyPolicy: opts.hostKeyPolicy ?? 'inventory, else accept-new', kubeconfig: opts.kubeconfig, context: opts.context },
    status: 'running',
    startedAt: now.toISOString(),
    runDir: runDir.dir,
    steps: [],
  });
  await manifest.save();

  const reporter = multiplex(opts.reporters);
  const cleanups: (() => Promise<void>)[] = [];
  const ssh = new SshPool({ hostKeyPolicy: opts.hostKeyPolicy, knownHostsFile: opts.knownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts') });
  let kubeSession: Promise<KubeSession | { error: string }> | undefined;
  const services: RunServices = {
    ssh,
    kube: {
      kubeconfig: opts.kubeconfig,
      context: opts.context,
      session: () => (kubeSession ??= import('../transport/kube-session.js').then(({ KubeSession }) => KubeSession.open({ kubeconfig: opts.kubeconfig, context: opts.context }))),
    },
    inventory,
    runDir: runDir.dir,
    check: opts.check,
    onRunEnd: (fn) => cleanups.push(fn),
  };
  reporter.onRunStart({ planName: plan.name, runDir: runDir.dir, steps: steps.length, check: opts.check });
  let summary: RunSummary | undefined;
  try {
    const clusterHosts = inventory ? await resolvePlanClusterHosts(steps, inventory, services.kube, opts.signal) : undefined;
    // Steps the cluster's RBAC would refuse are known before anything runs, not discovered half-way.
    const preflight = await preflightRun(steps, services.kube, { vars: { ...plan.vars, ...opts.extraVars }, check: opts.check, signal: opts.signal });
    for (const n of [...(clusterHosts?.notes ?? []), ...preflight.notes]) process.stderr.write(`netdiag: note: ${n}\n`);
    for (const [id, why] of preflight.denied) process.stderr.write(`netdiag: step ${id} will be skipped: ${why}\n`);
    const handlers = await loadHandlers(steps.map((s) => s.kind));
    summary = await runPlan({
      plan, steps, inventory, limit: opts.limit, forks: opts.forks, extraVars: opts.extraVars, stamp: runDir.stamp, manifest, services, handlers, reporter, signal: opts.signal,
      clusterHosts: clusterHosts?.byPattern, denied: preflight.denied,
    });
    return summary;
  } finally {
    // Probe workloads and the like are removed even after a failure or Ctrl-C.
    for (const fn of cleanups.reverse()) await fn().catch((err) => reporter.onLog(`cleanup failed: ${String(err)}`));
    await ssh.closeAll();
    manifest.data.hostKeys = ssh.hostKeyRecords();
    manifest.data.status = summary?.status ?? (opts.signal.aborted ? 'interrupted' : 'failed');
    manifest.data.endedAt = new Date().toISOString();
    await manifest.save();
    if (summary) reporter.onRunEnd(summary);
  }
}
