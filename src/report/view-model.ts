/**
 * Turns an analysis and a manifest into the data the report templates render: the verdict,
 * the connectivity matrix as a grid, a Mermaid graph of failing links, per-area sections with
 * links to the evidence files, what was not checked, and remediation taken / that would run.
 * Pure: templates stay logic-free and can be overridden with --templates.
 */
import type { ManifestData } from '../artifacts/manifest.js';
import type { AnalysisResult, EvidenceSet, Finding } from '../analyze/types.js';

/** Report areas and the catalog rows (shared/CATALOG.md) that belong to each. */
const AREAS: { key: string; title: string; catalog: number[]; steps: string[] }[] = [
  { key: 'coredns', title: 'CoreDNS', catalog: [18], steps: ['coredns_pods', 'coredns_logs', 'coredns_describe', 'kube_system_events'] },
  { key: 'kube-proxy', title: 'kube-proxy', catalog: [15, 16, 4], steps: ['kube_proxy_pods', 'kube_proxy_logs', 'services', 'endpointslices'] },
  { key: 'iptables', title: 'iptables / NAT', catalog: [2, 12, 17], steps: ['iptables_nat', 'iptables_filter'] },
  { key: 'overlay', title: 'Overlay / VXLAN', catalog: [1, 5, 6, 7, 8, 9, 10, 11, 22, 23, 26], steps: ['nodes', 'cni_pods', 'daemonsets', 'cni_logs', 'flannel_config', 'calico_ippools', 'flannel_interfaces', 'links', 'routes', 'neigh', 'fdb', 'vxlan_capture'] },
  { key: 'dns', title: 'DNS', catalog: [19, 20, 21, 14], steps: ['resolv_conf', 'connectivity'] },
  { key: 'sysctls', title: 'Node sysctls', catalog: [3, 13, 24], steps: ['sysctls', 'ethtool_tunnel'] },
];

/** Several rules often lack the same evidence (every node rule without SSH): say it once. */
function groupNotChecked(items: AnalysisResult['notChecked']): ReportView['notChecked'] {
  const byReason = new Map<string, string[]>();
  for (const n of items) {
    const rules = byReason.get(n.reason) ?? [];
    if (!rules.includes(n.rule)) rules.push(n.rule);
    byReason.set(n.reason, rules);
  }
  return [...byReason].map(([reason, rules]) => ({ reason, rules }));
}

const STATUS_ICON: Record<string, string> = { ok: '✅', failed: '❌', timedout: '⏱️', unreachable: '🚫', skipped: '⏭️', 'would-run': '📝', interrupted: '⛔' };

export interface ReportView {
  planName: string;
  runDir: string;
  stamp: string;
  status: string;
  check: boolean;
  verdict?: Finding & { nodesText: string; others: Finding[] };
  healthy: boolean;
  findings: (Finding & { nodesText: string; symptoms: Finding[] })[];
  matrix?: { header: string[]; rows: { from: string; cells: string[] }[]; other: { test: string; from: string; to: string; icon: string; error?: string }[]; failed: number; total: number };
  mermaid?: string;
  areas: { title: string; findings: Finding[]; files: { label: string; path: string }[] }[];
  nodeFacts: { name: string; ipForward: string; tunnel: string; mtu: string; uplinkMtu: string; podCIDR: string; kubeServices: string }[];
  /** What could not be examined, one line per reason with the rules it stopped. */
  notChecked: { reason: string; rules: string[] }[];
  remediation: { name: string; status: string; icon: string; command?: string; target: string }[];
  steps: { name: string; ok: number; failed: number; other: number }[];
  bundle?: unknown;
}

const yesNo = (v: boolean | undefined) => (v === undefined ? '?' : v ? 'yes' : '**no**');

/** A Mermaid id must be a bare word. */
const mid = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');

function matrixView(evidence: EvidenceSet): ReportView['matrix'] {
  const m = evidence.connectivity?.matrix;
  if (!m) return undefined;
  const pods = m.pods.map((p) => p.name);
  const pair = new Map<string, boolean>();
  for (const r of m.results) if (r.test === 'pod-pod') pair.set(`${r.from}→${r.to}`, (pair.get(`${r.from}→${r.to}`) ?? true) && r.ok);
  const nodeOf = new Map(m.pods.map((p) => [p.name, p.node]));
  return {
    header: pods.map((p) => `${p} (${nodeOf.get(p)})`),
    rows: pods.map((from) => ({
      from: `${from} (${nodeOf.get(from)})`,
      cells: pods.map((to) => (from === to ? '—' : pair.has(`${from}→${to}`) ? (pair.get(`${from}→${to}`) ? '✅' : '❌') : '·')),
    })),
    other: m.results.filter((r) => r.test !== 'pod-pod').map((r) => ({ test: r.test, from: r.from, to: r.to, icon: r.ok ? '✅' : '❌', error: r.error })),
    failed: m.results.filter((r) => !r.ok).length,
    total: m.results.length,
  };
}

/** Nodes as boxes, one edge per node pair: solid when pod traffic works, dotted ❌ when not. */
function mermaidView(evidence: EvidenceSet): string | undefined {
  const m = evidence.connectivity?.matrix;
  const edges = new Map<string, { from: string; to: string; ok: boolean }>();
  for (const r of m?.results ?? []) {
    if (r.test !== 'pod-pod' || !r.toNode || r.fromNode === r.toNode) continue;
    const key = `${r.fromNode}→${r.toNode}`;
    edges.set(key, { from: r.fromNode, to: r.toNode, ok: (edges.get(key)?.ok ?? true) && r.ok });
  }
  for (const row of evidence.flows?.table.rows ?? []) {
    const key = `${row.from}→${row.to}`;
    if (!edges.has(key) && row.verdict !== 'no-capture') edges.set(key, { from: row.from, to: row.to, ok: row.verdict === 'ok' });
  }
  if (edges.size === 0) return undefined;
  const nodes = new Set([...edges.values()].flatMap((e) => [e.from, e.to]));
  const lines = ['graph LR'];
  for (const n of nodes) lines.push(`  ${mid(n)}["${n}"]`);
  for (const e of edges.values()) lines.push(e.ok ? `  ${mid(e.from)} -->|ok| ${mid(e.to)}` : `  ${mid(e.from)} -.->|"❌ fails"| ${mid(e.to)}`);
  const failing = [...edges.values()].filter((e) => !e.ok);
  if (failing.length > 0) lines.push(`  linkStyle ${[...edges.values()].map((e, i) => (e.ok ? -1 : i)).filter((i) => i >= 0).join(',')} stroke:#d33,stroke-width:2px`);
  return lines.join('\n');
}

/** Findings not folded under a root cause, in rank order. */
export function topFindings(findings: Finding[]): Finding[] {
  const folded = new Set(findings.flatMap((f) => f.explains));
  return findings.filter((f) => !folded.has(f.id));
}

/** The report's verdict: the first unfolded root cause, else the first real symptom. */
export function pickVerdict<F extends Finding>(top: F[]): F | undefined {
  return top.find((f) => f.rootCause && f.severity !== 'info') ?? top.find((f) => f.severity !== 'info');
}

export function buildReportView(manifest: ManifestData, analysis: AnalysisResult, evidence: EvidenceSet): ReportView {
  const nodesText = (f: Finding) => (f.nodes.length ? f.nodes.join(', ') : 'cluster-wide');
  const findings = topFindings(analysis.findings).map((f) => ({ ...f, nodesText: nodesText(f), symptoms: analysis.findings.filter((s) => f.explains.includes(s.id) && s !== f) }));
  const cause = pickVerdict(findings);
  const files = (stepIds: string[]) =>
    manifest.steps
      .filter((s) => stepIds.includes(s.id))
      .flatMap((s) => s.targets.flatMap((t) => t.files.map((f) => ({ label: `${s.name} — ${t.target}`, path: f.path }))));
  return {
    planName: manifest.plan.name,
    runDir: manifest.runDir,
    stamp: manifest.startedAt,
    status: manifest.status,
    check: manifest.check,
    verdict: cause && { ...cause, nodesText: nodesText(cause), others: findings.filter((f) => f !== cause && f.rootCause) },
    healthy: !cause,
    findings,
    matrix: matrixView(evidence),
    mermaid: mermaidView(evidence),
    areas: AREAS.map((a) => ({
      title: a.title,
      findings: analysis.findings.filter((f) => a.catalog.includes(f.catalog) || (a.key === 'dns' && f.id.startsWith('dns'))),
      files: files(a.steps),
    })),
    nodeFacts: Object.values(analysis.facts.nodes).map((n) => ({
      name: n.name,
      ipForward: yesNo(n.ipForward),
      tunnel: n.tunnel ? `${n.tunnel.name} vni ${n.tunnel.vni ?? '?'} port ${n.tunnel.port ?? '?'} local ${n.tunnel.local ?? '?'}` : '—',
      mtu: String(n.tunnel?.mtu ?? '—'),
      uplinkMtu: String(n.uplinkMtu ?? '—'),
      podCIDR: n.podCIDR ?? '—',
      kubeServices: n.kubeServicesRules === undefined ? '?' : String(n.kubeServicesRules),
    })),
    notChecked: groupNotChecked(analysis.notChecked),
    remediation: manifest.steps
      .filter((s) => s.remediation)
      .flatMap((s) => s.targets.map((t) => ({ name: s.name, status: t.status, icon: STATUS_ICON[t.status] ?? '', command: t.command, target: t.target }))),
    steps: manifest.steps.map((s) => ({
      name: s.name,
      ok: s.targets.filter((t) => t.status === 'ok').length,
      failed: s.targets.filter((t) => ['failed', 'timedout', 'unreachable'].includes(t.status)).length,
      other: s.targets.filter((t) => !['ok', 'failed', 'timedout', 'unreachable'].includes(t.status)).length,
    })),
    bundle: manifest.bundle,
  };
}
