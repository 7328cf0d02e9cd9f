/** `kubectl:` steps: the kubectl binary with the run's kubeconfig and context. */
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { KubectlStep } from '../../plan/types.js';
import { kubectlArgv, runKubectl } from '../../transport/kubectl.js';
import { quoteArgv, splitArgs } from '../argv.js';

/** Args as given (a list) or split like a shell would, without running one. */
function kubectlArgs(step: KubectlStep, renderText: (t: string) => string): string[] {
  return Array.isArray(step.args) ? step.args.map(renderText) : splitArgs(renderText(step.args));
}

export const kubectlHandler: Handler<KubectlStep> = {
  describe: ({ step, renderText, services }) => quoteArgv(['kubectl', ...kubectlArgv(kubectlArgs(step, renderText), services.kube)]),
  async run(exec): Promise<HandlerResult> {
    const outcome = await runKubectl(kubectlArgs(exec.step, exec.renderText), {
      kubeconfig: exec.services.kube.kubeconfig,
      context: exec.services.kube.context,
      stdout: exec.stdout,
      stderr: exec.stderr,
      signal: exec.signal,
    });
    return { status: outcome.status, exitCode: outcome.exitCode, signal: outcome.signal, error: outcome.error };
  },
};
