/**
 * The `kubectl` step kind's transport: the real `kubectl` binary, run locally without a shell,
 * with the run's kubeconfig/context put in front of the step's own arguments.
 */
import { runLocal, type LocalExecRequest } from './local-exec.js';
import type { ExecOutcome } from './types.js';

/** Cluster selection shared by all kubectl steps of a run, plus the usual stream/abort fields. */
export interface KubectlOptions extends Omit<LocalExecRequest, 'command'> {
  kubeconfig?: string;
  context?: string;
  /** Binary to run; default `kubectl` looked up on PATH. */
  kubectlPath?: string;
}

/** The argv actually executed (without the binary), e.g. for the manifest's `command`. */
export function kubectlArgv(args: string[], opts: Pick<KubectlOptions, 'kubeconfig' | 'context'>): string[] {
  return [
    ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []),
    ...(opts.context ? ['--context', opts.context] : []),
    ...args,
  ];
}

/** Run `kubectl <args>`; a missing binary is a `failed` outcome "kubectl not found on PATH". */
export function runKubectl(args: string[], opts: KubectlOptions): Promise<ExecOutcome> {
  const { kubeconfig, context, kubectlPath, ...local } = opts;
  return runLocal({ ...local, command: [kubectlPath ?? 'kubectl', ...kubectlArgv(args, { kubeconfig, context })] });
}
