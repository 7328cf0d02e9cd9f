/**
 * The analyzers' only I/O: builds an EvidenceSet from a run directory. Reads `run.json`
 * (each step × target: status, error, files — the first file is the target's stdout), the
 * connectivity matrix and the VXLAN flow table when present. Files are read with a size cap
 * and only from inside the run directory (a bundle from someone else is untrusted input).
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../errors.js';
import { parseConnectivityMatrix } from './parse/connectivity.js';
import type { CniMode, EvidenceSet, FlowVerdict, MissingEvidence, StepOutput, VxlanFlow, VxlanFlowTable } from './types.js';

/** Steps the default plan runs on every node (the evidence contract). */
export const NODE_STEPS = ['iptables_nat', 'iptables_filter', 'sysctls', 'links', 'addrs', 'routes', 'neigh', 'fdb', 'flannel_interfaces', 'resolv_conf', 'ethtool_tunnel', 'dmesg'] as const;
/** Steps the default plan runs once against the cluster (target `localhost`). */
export const CLUSTER_STEPS = ['nodes', 'coredns_pods', 'kube_proxy_pods', 'cni_pods', 'kube_system_events', 'services', 'endpointslices', 'flannel_config', 'calico_ippools', 'coredns_logs', 'kube_proxy_logs', 'cni_logs'] as const;

/** Default cap per evidence file: analyzers need the head of huge logs, not all of it. */
export const DEFAULT_MAX_BYTES = 8 * 1024 * 1024;

const MATRIX_NAMES = ['connectivity-matrix.json'];
const FLOW_NAMES = ['vxlan-flow-table.json', 'vxlan-flows.json', 'flow-table.json'];

interface RunTarget {
  target: string;
  status: string;
  error?: string;
  reason?: string;
  files?: { path: string }[];
}
interface RunStep {
  id: string;
  targets?: RunTarget[];
}

/** Reads at most `max` bytes of a file inside `root`; undefined if it does not exist. */
async function readCapped(root: string, rel: string, max: number): Promise<{ text: string; truncated: boolean } | undefined> {
  const abs = path.resolve(root, rel);
  if (abs !== root && !abs.startsWith(root + path.sep)) return undefined; // never outside the run
  let fh;
  try {
    fh = await open(abs, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = (await fh.stat()).size;
    const buf = Buffer.alloc(Math.min(size, max));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), truncated: size > max };
  } finally {
    await fh.close();
  }
}

function missingFor(step: string, t: RunTarget): MissingEvidence | undefined {
  const why = t.error ?? t.reason;
  switch (t.status) {
    case 'ok':
      return t.files?.length ? undefined : { step, target: t.target, kind: 'no-output', reason: `step ${step} saved no output for ${t.target}` };
    case 'unreachable':
      return { step, target: t.target, kind: 'unreachable', reason: `no SSH access to ${t.target}${why ? ` (${why})` : ''}` };
    case 'skipped':
    case 'would-run':
      return { step, target: t.target, kind: 'skipped', reason: `step ${step} skipped on ${t.target}${why ? `: ${why}` : ''}` };
    default:
      return { step, target: t.target, kind: 'failed', reason: `step ${step} ${t.status} on ${t.target}${why ? `: ${why.split('\n')[0].slice(0, 160)}` : ''}` };
  }
}

/**
 * Accepts the decoder's FlowTable JSON (`{hosts, rows, counts}`) and, leniently, a bare array
 * of rows; rows without from/to/verdict are dropped. Counts and hosts are recomputed.
 */
export function normaliseFlowTable(doc: unknown): VxlanFlowTable | undefined {
  const d = doc as { rows?: unknown; flows?: unknown } | unknown[] | null;
  const list: any[] | undefined = Array.isArray(d) ? d : Array.isArray(d?.rows) ? (d.rows as any[]) : Array.isArray(d?.flows) ? (d.flows as any[]) : undefined;
  if (!list) return undefined;
  const counts: Record<FlowVerdict, number> = { ok: 0, lost: 0, 'not-sent': 0, partial: 0, 'no-capture': 0 };
  const rows: VxlanFlow[] = [];
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  for (const r of list) {
    if (typeof r?.from !== 'string' || typeof r?.to !== 'string' || !(r.verdict in counts)) continue;
    const verdict = r.verdict as FlowVerdict;
    counts[verdict]++;
    rows.push({
      from: r.from,
      to: r.to,
      fromIp: String(r.fromIp ?? ''),
      toIp: String(r.toIp ?? ''),
      port: num(r.port),
      sent: num(r.sent),
      received: num(r.received),
      verdict,
      explanation: String(r.explanation ?? verdict),
    });
  }
  const hosts = [...new Set(rows.flatMap((r) => [r.from, r.to]))].sort();
  return { hosts, rows, counts };
}

/** Options for {@link loadEvidence}. */
export interface LoadOptions {
  maxBytes?: number;
  /** Overrides the CNI (e.g. from `--cni`); otherwise taken from run.json or inferred later. */
  cni?: CniMode;
}

/** Builds the EvidenceSet of a run directory. Throws InputError when run.json is unusable. */
export async function loadEvidence(runDir: string, opts: LoadOptions = {}): Promise<EvidenceSet> {
  const root = path.resolve(runDir);
  const max = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let manifest: any;
  const runJson = path.join(root, 'run.json');
  try {
    manifest = JSON.parse(await readFile(runJson, 'utf8'));
  } catch (e) {
    throw new InputError({ file: runJson, message: `cannot read the run manifest: ${(e as Error).message}` });
  }
  const steps: RunStep[] = Array.isArray(manifest?.steps) ? manifest.steps : [];
  const outputs = new Map<string, Map<string, StepOutput>>();
  const missing: MissingEvidence[] = [];
  const nodeTargets = new Set<string>();
  const allFiles: string[] = [];
  for (const step of steps) {
    if (typeof step?.id !== 'string') continue;
    const byTarget = outputs.get(step.id) ?? new Map<string, StepOutput>();
    for (const t of step.targets ?? []) {
      if ((NODE_STEPS as readonly string[]).includes(step.id)) nodeTargets.add(t.target);
      for (const f of t.files ?? []) allFiles.push(f.path);
      const gap = missingFor(step.id, t);
      if (gap) missing.push(gap);
      const first = t.files?.[0]?.path;
      const content = first ? await readCapped(root, first, max) : undefined;
      if (first && content) byTarget.set(t.target, { text: content.text, file: first, status: t.status, ...(t.error ? { error: t.error } : {}), ...(content.truncated ? { truncated: true } : {}) });
      else if (t.status !== 'ok') byTarget.set(t.target, { text: '', file: first ?? '', status: t.status, ...(t.error ? { error: t.error } : {}) });
    }
    outputs.set(step.id, byTarget);
  }
  for (const id of [...NODE_STEPS, ...CLUSTER_STEPS]) {
    if (!outputs.has(id)) missing.push({ step: id, kind: 'not-in-plan', reason: `${id} not collected (not in this run: absent from the plan, or excluded by --tags/--limit)` });
  }
  const hosts: { name: string; address: string }[] = Array.isArray(manifest?.inventory?.hosts) ? manifest.inventory.hosts : [];
  const nodes = nodeTargets.size ? [...nodeTargets] : hosts.map((h) => h.name);
  const evidence: EvidenceSet = {
    outputs,
    nodes: nodes.sort(),
    nodeAddresses: Object.fromEntries(hosts.map((h) => [h.name, h.address])),
    missing,
  };
  const cni = opts.cni ?? manifest?.cni ?? manifest?.options?.cni ?? manifest?.options?.vars?.cni;
  if (cni === 'flannel' || cni === 'calico') evidence.cni = cni;
  const find = (names: string[]) => allFiles.find((f) => names.includes(path.posix.basename(f))) ?? names[0];
  const matrixFile = find(MATRIX_NAMES);
  const matrixText = await readCapped(root, matrixFile, max);
  if (matrixText) {
    const m = parseConnectivityMatrix(matrixText.text);
    if (m.matrix) evidence.connectivity = { matrix: m.matrix, file: matrixFile };
    else missing.push({ step: 'connectivity', kind: 'failed', reason: `${matrixFile}: ${m.error}` });
  } else missing.push({ step: 'connectivity', kind: 'not-in-plan', reason: 'connectivity matrix not collected (no connectivity-matrix.json)' });
  const flowFile = find(FLOW_NAMES);
  const flowText = await readCapped(root, flowFile, max);
  if (flowText) {
    let table: VxlanFlowTable | undefined;
    try {
      table = normaliseFlowTable(JSON.parse(flowText.text));
    } catch {
      table = undefined;
    }
    if (table) evidence.flows = { table, file: flowFile };
    else missing.push({ step: 'vxlan_capture', kind: 'failed', reason: `${flowFile} is not a VXLAN flow table` });
  } else missing.push({ step: 'vxlan_capture', kind: 'not-in-plan', reason: 'VXLAN capture not collected (no flow table)' });
  return evidence;
}
