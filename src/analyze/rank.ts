/**
 * Ranking: a root cause that explains the observed symptoms comes first; the symptoms (and
 * lesser findings) it explains are folded under it (`explains`) and marked as symptoms; then
 * the rest by severity and confidence. "Explains" is the catalog's pattern table: which cause
 * can produce which symptom, and whether it must concern the same node(s).
 */
import type { Confidence, Finding, Severity } from './types.js';

type Scope = 'node' | 'any';

/** cause id → symptom id → whether the symptom must involve one of the cause's nodes. */
const EXPLAINS: Record<string, Record<string, Scope>> = {
  'overlay-port-blocked': { 'cross-node-pod-failure': 'node', 'vxlan-packets-lost': 'node', 'dns-internal-failure': 'node', 'clusterip-failure': 'node' },
  'forward-policy-drop': { 'cross-node-pod-failure': 'node', 'same-node-pod-failure': 'node', 'vxlan-not-sent': 'node', 'dns-internal-failure': 'node', 'dns-external-failure': 'node', 'clusterip-failure': 'node', 'pod-node-failure': 'node' },
  'ip-forward-disabled': { 'cross-node-pod-failure': 'node', 'vxlan-not-sent': 'node', 'pod-node-failure': 'node', 'dns-internal-failure': 'node', 'dns-external-failure': 'node', 'clusterip-failure': 'node' },
  'br-netfilter-missing': { 'clusterip-failure': 'node' },
  'mtu-mismatch': { 'large-packet-failure': 'node' },
  'vxlan-checksum-offload': { 'clusterip-failure': 'node' },
  'vtep-endpoint-wrong': { 'cross-node-pod-failure': 'node', 'vxlan-packets-lost': 'node', 'vxlan-not-sent': 'node', 'dns-internal-failure': 'node' },
  'vxlan-entries-missing': { 'cross-node-pod-failure': 'node', 'vxlan-not-sent': 'node', 'vxlan-packets-lost': 'node', 'dns-internal-failure': 'node', 'clusterip-failure': 'node' },
  'vtep-mac-stale': { 'cross-node-pod-failure': 'node', 'vxlan-packets-lost': 'node', 'dns-internal-failure': 'node', 'clusterip-failure': 'node' },
  'pod-cidr-invalid': { 'cross-node-pod-failure': 'node', 'same-node-pod-failure': 'node' },
  'cni0-address-mismatch': { 'same-node-pod-failure': 'node', 'cross-node-pod-failure': 'node', 'dns-internal-failure': 'node', 'dns-external-failure': 'node', 'clusterip-failure': 'node', 'pod-node-failure': 'node' },
  'kube-proxy-crashloop': { 'clusterip-failure': 'node', 'service-not-programmed': 'node', 'dns-internal-failure': 'node', 'dns-external-failure': 'node' },
  'service-not-programmed': { 'clusterip-failure': 'node', 'dns-internal-failure': 'node' },
  'service-no-endpoints': { 'clusterip-failure': 'any' },
  'coredns-forward-loop': { 'coredns-unavailable': 'any', 'service-no-endpoints': 'any', 'dns-internal-failure': 'any', 'dns-external-failure': 'any' },
  'coredns-unavailable': { 'service-no-endpoints': 'any', 'dns-internal-failure': 'any', 'dns-external-failure': 'any' },
  'coredns-upstream-unreachable': { 'dns-external-failure': 'any' },
  'calico-encapsulation-unsuited': { 'cross-node-pod-failure': 'any', 'vxlan-not-sent': 'any', 'dns-internal-failure': 'any', 'clusterip-failure': 'any' },
};

/** Without a cause to explain them, the more basic symptom leads: services and DNS ride on pod traffic. */
const SYMPTOM_ORDER = ['cross-node-pod-failure', 'same-node-pod-failure', 'pod-node-failure', 'vxlan-not-sent', 'vxlan-packets-lost', 'large-packet-failure', 'clusterip-failure', 'dns-internal-failure', 'dns-external-failure'];
const basicness = (f: Finding) => (SYMPTOM_ORDER.includes(f.id) ? SYMPTOM_ORDER.indexOf(f.id) : SYMPTOM_ORDER.length);

const SEVERITY: Record<Severity, number> = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
const CONFIDENCE: Record<Confidence, number> = { high: 3, medium: 2, low: 1 };

/** Unique reference to a finding within a result: its id, plus `@nodes` when the id repeats. */
export function findingKey(f: Finding, all: Finding[]): string {
  return all.filter((x) => x.id === f.id).length > 1 ? `${f.id}@${f.nodes.join('+') || 'cluster'}` : f.id;
}

/** Share (0…1) of a symptom's pairs/nodes that involve the cause's nodes. */
function coverage(cause: Finding, symptom: Finding, scope: Scope): number {
  if (scope === 'any' || cause.nodes.length === 0) return 1;
  const mine = new Set(cause.nodes);
  if (symptom.pairs?.length) return symptom.pairs.filter(([a, b]) => mine.has(a) || mine.has(b)).length / symptom.pairs.length;
  if (symptom.nodes.length === 0) return 1;
  return symptom.nodes.filter((n) => mine.has(n)).length / symptom.nodes.length;
}

function explainScope(cause: Finding, symptom: Finding): Scope | undefined {
  if (cause === symptom || !cause.rootCause) return undefined;
  return EXPLAINS[cause.id]?.[symptom.id];
}

/**
 * Orders findings and fills `explains`. Returns new objects; the input is not modified.
 * Order: causes that explain something (by weighted coverage of what they explain, then
 * severity, confidence), then unexplained findings by severity/confidence, then folded ones.
 */
export function rankFindings(input: Finding[]): Finding[] {
  const all = input.map((f) => ({ ...f, explains: [...f.explains] }));
  const weight = new Map<Finding, number>();
  for (const c of all) {
    let w = 0;
    for (const s of all) {
      const scope = explainScope(c, s);
      if (!scope) continue;
      const cov = coverage(c, s, scope);
      if (cov > 0) w += cov * SEVERITY[s.severity];
    }
    weight.set(c, w);
  }
  const byStrength = (a: Finding, b: Finding) =>
    (weight.get(b) ?? 0) - (weight.get(a) ?? 0) ||
    Number(b.rootCause) - Number(a.rootCause) ||
    SEVERITY[b.severity] - SEVERITY[a.severity] ||
    CONFIDENCE[b.confidence] - CONFIDENCE[a.confidence] ||
    a.id.localeCompare(b.id) ||
    a.nodes.join().localeCompare(b.nodes.join());
  // Strongest causes claim their symptoms first; a claimed finding cannot claim others.
  const folded = new Set<Finding>();
  const keys = new Map(all.map((f) => [f, findingKey(f, all)]));
  for (const c of [...all].sort(byStrength)) {
    if (folded.has(c) || (weight.get(c) ?? 0) === 0) continue;
    for (const s of all) {
      if (folded.has(s) || s === c) continue;
      const scope = explainScope(c, s);
      if (!scope || coverage(c, s, scope) === 0) continue;
      c.explains.push(keys.get(s)!);
      folded.add(s);
      s.rootCause = false;
    }
  }
  const top = all.filter((f) => !folded.has(f));
  const explaining = top.filter((f) => f.explains.length > 0).sort(byStrength);
  const rest = top
    .filter((f) => f.explains.length === 0)
    .sort((a, b) => SEVERITY[b.severity] - SEVERITY[a.severity] || Number(b.rootCause) - Number(a.rootCause) || basicness(a) - basicness(b) || byStrength(a, b));
  const symptoms = all.filter((f) => folded.has(f)).sort((a, b) => SEVERITY[b.severity] - SEVERITY[a.severity] || a.id.localeCompare(b.id));
  return [...explaining, ...rest, ...symptoms];
}
