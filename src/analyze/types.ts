/**
 * The analyzers' contract: what the loader hands in (EvidenceSet), what rules return
 * (Finding / NotChecked) and what `analyze()` gives the report (AnalysisResult).
 * Everything here is plain data: no I/O, no classes, so bundles can be re-analysed anywhere.
 */

/** The CNIs whose data plane the rules understand. */
export type CniMode = 'flannel' | 'calico';

/** One step × target output: stdout text, the artifact file it came from, the step status. */
export interface StepOutput {
  text: string;
  /** Path relative to the run directory, e.g. `iptables-node-1.txt` (what evidence cites). */
  file: string;
  /** run.json target status: ok | failed | skipped | unreachable | timedout | … */
  status: string;
  /** Error text of a failed target, when recorded. */
  error?: string;
  /** The file was larger than the loader's cap and was cut. */
  truncated?: boolean;
}

/** stepId → target (inventory host name, or `localhost` for cluster steps) → output. */
export type StepOutputs = Map<string, Map<string, StepOutput>>;

/** Why a piece of evidence is absent. */
export type MissingKind = 'unreachable' | 'failed' | 'skipped' | 'not-in-plan' | 'no-output';

/** Evidence that was NOT collected: a step (for one target, or for all when `target` is absent). */
export interface MissingEvidence {
  step: string;
  target?: string;
  kind: MissingKind;
  /** Human reason, e.g. `no SSH access to node-2 (connect ETIMEDOUT)`. */
  reason: string;
}

/** Probe kinds of the connectivity matrix (the probe step writes exactly these). */
export type ConnectivityTest =
  | 'pod-pod'
  | 'pod-pod-large'
  | 'pod-pod-small'
  | 'pod-clusterip'
  | 'pod-node'
  | 'dns-internal'
  | 'dns-fqdn'
  | 'dns-external';

/** One probe result. `to` is a pod name, a ClusterIP, a node or a DNS name depending on `test`. */
export interface ConnectivityResult {
  test: ConnectivityTest;
  from: string;
  fromNode: string;
  to: string;
  toNode?: string;
  sameNode?: boolean;
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/** `connectivity-matrix.json`, the probe step's output (the contract with src/steps/probe). */
export interface ConnectivityMatrix {
  pods: { name: string; node: string; ip: string }[];
  results: ConnectivityResult[];
}

/**
 * The cluster-wide VXLAN flow table is the pcap decoder's type (src/analyze/pcap/flow-table.ts):
 * per ordered node pair (and VXLAN port) A→B, packets A sent toward B vs packets B received
 * from A, with a verdict ok | lost | not-sent | partial | no-capture.
 */
export type { FlowRow as VxlanFlow, FlowTable as VxlanFlowTable, FlowVerdict } from './pcap/flow-table.js';
import type { FlowTable } from './pcap/flow-table.js';

/**
 * Everything collected by one run, in memory. Built by `load-evidence.ts` from a run directory
 * (or by tests directly). Rules read only this.
 */
export interface EvidenceSet {
  outputs: StepOutputs;
  /** Node targets (inventory host names) the plan ran node steps against. */
  nodes: string[];
  /** Inventory address of each node target, to match Kubernetes nodes by InternalIP. */
  nodeAddresses?: Record<string, string>;
  /** CNI in use when known (plan var, lab); otherwise rules infer it from the evidence. */
  cni?: CniMode;
  connectivity?: { matrix: ConnectivityMatrix; file: string };
  flows?: { table: FlowTable; file: string };
  /** What was not collected, and why. */
  missing: MissingEvidence[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export type Confidence = 'high' | 'medium' | 'low';

/** A pointer into an artifact file that supports a finding. */
export interface EvidenceRef {
  /** Path relative to the run directory. */
  file: string;
  /** 1-based line, when the file is line-oriented (JSON from `ip -j` is one line: 1). */
  line?: number;
  excerpt: string;
}

/** One conclusion of the analysis. */
export interface Finding {
  /** Kebab-case rule outcome id, e.g. `overlay-port-blocked`. */
  id: string;
  /** Row of shared/CATALOG.md (0 for matrix symptoms that have no row of their own). */
  catalog: number;
  severity: Severity;
  title: string;
  summary: string;
  /** Nodes the finding is about (Kubernetes node names when known, else inventory names). */
  nodes: string[];
  /** Ordered node pairs affected (from → to). */
  pairs?: [string, string][];
  evidence: EvidenceRef[];
  /** Fix steps / commands for the CNI in use. */
  fix: string[];
  /** A cause (true) or an observed symptom (false). */
  rootCause: boolean;
  confidence: Confidence;
  /** Ids of symptom findings this root cause explains (filled in by the ranking). */
  explains: string[];
  /** netdiag may apply the fix as a remediation step (catalog "yes"). */
  remediable?: boolean;
}

/** A rule that could not run (or only partly) for lack of evidence. */
export interface NotChecked {
  /** Rule id, e.g. `ip-forward`. */
  rule: string;
  /** e.g. `not checked: no SSH access to node-2`. */
  reason: string;
}

/** Per-node digest for the report's per-area sections. */
export interface NodeFacts {
  name: string;
  ipForward?: boolean;
  bridgeNfCallIptables?: boolean;
  tunnel?: { name: string; mtu?: number; local?: string; port?: number; vni?: number; mac?: string };
  uplinkMtu?: number;
  cni0Addresses?: string[];
  podCIDR?: string;
  internalIP?: string;
  kubeServicesRules?: number;
  conntrack?: { count: number; max: number };
}

/** Facts `when:` expressions and templates read (e.g. `facts.kubeProxy.crashLooping`). */
export interface AnalysisFacts {
  cni?: CniMode;
  kubeProxy: { crashLooping: boolean; nodes: string[] };
  coredns: { crashLooping: boolean; ready: number; total: number };
  matrix?: { total: number; failed: number; sameNodeFailed: number; crossNodeFailed: number };
  nodes: Record<string, NodeFacts>;
}

/** What `analyze()` returns: ranked findings (root causes first), gaps, facts. */
export interface AnalysisResult {
  findings: Finding[];
  notChecked: NotChecked[];
  facts: AnalysisFacts;
}
