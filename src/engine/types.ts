/**
 * Contracts between the engine and step handlers. A handler runs one step against one target
 * and reports an outcome *value*; it never throws for expected failures (non-zero exit,
 * timeout, unreachable, permission denied).
 */
import type { Writable } from 'node:stream';
import type { Host, Inventory } from '../inventory/types.js';
import type { Step, StepKind } from '../plan/types.js';
import type { ArtifactFile } from '../artifacts/writer.js';
import type { TargetStatus } from '../artifacts/manifest.js';
import type { SshPool } from '../transport/ssh-pool.js';
import type { KubeSession } from '../transport/kube-session.js';

/** What a step runs against: an inventory host, or once for the whole run (local / API). */
export type Target = { kind: 'host'; name: string; host: Host } | { kind: 'run'; name: 'localhost' };

/** Template/condition context for one step × target. */
export interface TemplateContext {
  vars: Record<string, unknown>;
  registered: Record<string, unknown>;
  facts: Record<string, unknown>;
  host?: Record<string, unknown>;
  step: { id: string; name: string };
  run: { stamp: string; dir: string; check: boolean };
}

/** Services shared by every handler in a run (lazily created where expensive). */
export interface RunServices {
  ssh: SshPool;
  /** The run's Kubernetes target; `session()` connects lazily, once, and reports why it cannot. */
  kube: { kubeconfig?: string; context?: string; session(): Promise<KubeSession | { error: string }> };
  inventory?: Inventory;
  runDir: string;
  check: boolean;
  /** Cleanup callbacks run at the end of the run, also on failure or Ctrl-C (LIFO). */
  onRunEnd(cleanup: () => Promise<void>): void;
}

/** Everything a handler gets for one execution. */
export interface StepExecution<S extends Step = Step> {
  step: S;
  target: Target;
  ctx: TemplateContext;
  /** Renders a template whose result reaches a shell: interpolated values are shell-quoted. */
  renderShell(template: string): string;
  /** Renders plain text (names, selectors, paths inside API calls). */
  renderText(template: string): string;
  /** Main output (the step's `save:` file or `<step-id>/<target>.txt`), streamed. */
  stdout: Writable;
  stderr: Writable;
  /** Opens an additional artifact file relative to the run directory (confined to it). */
  openFile(relPath: string): Promise<ArtifactFile>;
  signal: AbortSignal;
  services: RunServices;
  log(message: string): void;
  /**
   * Only for steps that other steps run `during` (captures): call `started()` once listening,
   * then end when `done` resolves (the traffic-generating steps have finished).
   */
  captureWindow?: { started(): void; done: Promise<void> };
}

export interface HandlerResult {
  status: Exclude<TargetStatus, 'skipped' | 'would-run'>;
  exitCode?: number | null;
  signal?: string;
  error?: string;
  /** Files the handler wrote itself through openFile (already finished). */
  files?: import('../artifacts/writer.js').FileRecord[];
  /** Structured data registered for later steps/analyzers (e.g. parsed API objects). */
  data?: unknown;
}

/** A step kind's implementation. */
export interface Handler<S extends Step> {
  /** The exact command/operation, shown in the manifest and for would-run under --check. */
  describe(exec: Pick<StepExecution<S>, 'step' | 'target' | 'renderShell' | 'renderText' | 'services'>): string;
  run(exec: StepExecution<S>): Promise<HandlerResult>;
  /**
   * Optional step-level finish after every target ran (e.g. the cluster-wide VXLAN flow table
   * built from all nodes' captures). Files it writes are recorded on the step.
   */
  afterStep?(done: StepCompletion<S>): Promise<import('../artifacts/writer.js').FileRecord[]>;
}

export interface StepCompletion<S extends Step> {
  step: S;
  results: { target: Target; status: string; data?: unknown }[];
  openFile(relPath: string): Promise<ArtifactFile>;
  services: RunServices;
}

/** One handler per step kind; a kind without a handler fails to compile. */
export type HandlerTable = { [K in StepKind]: Handler<Extract<Step, { kind: K }>> };
