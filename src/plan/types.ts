/**
 * The normalised diagnosis plan: what `plan/load.ts` produces from YAML after validation.
 * Every step carries where it came from so later errors (template, `when`) can point at it.
 */

/** Where a node of the plan/inventory YAML sits in its file (1-based). */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

/** Fields every step kind shares (Ansible-shaped). Durations are milliseconds. */
export interface StepCommon {
  /** Human name (required in YAML). */
  name: string;
  /** Stable id: `id:` from YAML, else a slug of the name, unique within the plan. */
  id: string;
  /** Position in the plan's `steps` list (0-based). */
  index: number;
  /** Inventory host pattern; absent = runs once (locally / against the API). */
  hosts?: string;
  tags: string[];
  /** CEL expression over { vars, registered, facts, host }; step runs only when true. */
  when?: string;
  /** Name under which the result is registered for later `when`/templates. */
  register?: string;
  /** Template for the output file, relative to the run directory (never escapes it). */
  save?: string;
  timeoutMs: number;
  retries: number;
  /** CEL expression; with retries, repeat until true. */
  until?: string;
  delayMs: number;
  ignoreErrors: boolean;
  become: boolean;
  /** Changes the cluster/nodes: never runs under --check, reported as would-run. */
  remediation: boolean;
  runOnce: boolean;
  loc: SourceLocation;
  /**
   * Where each top-level field of the step was written (`hosts`, `when`, `save`, `ssh`, …), so
   * run-time errors can point at the field rather than the step. Added by plan/load.ts.
   */
  fieldLocs?: Partial<Record<string, SourceLocation>>;
}

/** Shell command run on each target host over SSH; `{{…}}` values are shell-quoted. */
export interface SshStep extends StepCommon {
  kind: 'ssh';
  command: string;
}

/** Command run on the machine running netdiag: a shell string or an argv list. */
export interface LocalStep extends StepCommon {
  kind: 'local';
  command: string | string[];
}

/** The kubectl binary with the run's kubeconfig/context; args as a list or one string. */
export interface KubectlStep extends StepCommon {
  kind: 'kubectl';
  args: string[] | string;
}

/** Kubernetes API operation through @kubernetes/client-node (see steps/k8s). */
export interface K8sStep extends StepCommon {
  kind: 'k8s';
  k8s: K8sOperation;
}

export interface K8sOperation {
  /** list / get: a resource, e.g. `pods`, `daemonsets.apps`, `ippools.crd.projectcalico.org`. */
  list?: string;
  get?: string;
  /** Object name for get/logs/exec/events, or `kind/name` for rolloutRestart/patch/delete. */
  name?: string;
  namespace?: string;
  allNamespaces?: boolean;
  labelSelector?: string;
  fieldSelector?: string;
  /** Pod logs: pod name (or use labelSelector). */
  logs?: string | boolean;
  container?: string;
  tailLines?: number;
  previous?: boolean;
  limitBytes?: number;
  /** Events, optionally for one object (`kind/name`). */
  events?: string | boolean;
  /** Exec into a pod: argv. */
  exec?: string[];
  pod?: string;
  /** Remediation: `daemonset/kube-proxy`. */
  rolloutRestart?: string;
  patch?: { target: string; type?: 'merge' | 'strategic' | 'json'; body: unknown };
  /** Probe workloads the plan creates and always removes at the end of the run. */
  apply?: unknown;
  delete?: string;
  output?: 'yaml' | 'json';
}

/** Connectivity matrix between probe pods (see steps/probe). */
export interface ProbeStep extends StepCommon {
  kind: 'probe';
  probe: {
    namespace?: string;
    selector?: string;
    deploy?: { image?: string; name?: string };
    tests?: string[];
    externalName?: string;
    parallel?: number;
    perTestTimeoutMs?: number;
  };
}

/** Coordinated tcpdump on target nodes while other steps (`during`) generate traffic. */
export interface CaptureStep extends StepCommon {
  kind: 'capture';
  capture: {
    interface: string;
    filter: string;
    snaplen: number;
    maxPackets: number;
    durationMs: number;
    /** Step ids that run while the capture is on. */
    during: string[];
  };
}

export type Step = SshStep | LocalStep | KubectlStep | K8sStep | ProbeStep | CaptureStep;
export type StepKind = Step['kind'];

export interface Plan {
  name: string;
  /** Absolute path and sha256 of the plan file, for the manifest. */
  file: string;
  sha256: string;
  description?: string;
  /**
   * `linear` (default): every step ends on all its hosts before the next begins. `free`: runs
   * of consecutive host steps proceed per host without waiting for the others (Ansible's free).
   */
  strategy: 'linear' | 'free';
  vars: Record<string, unknown>;
  steps: Step[];
}
