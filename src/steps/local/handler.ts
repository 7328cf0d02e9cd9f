/** `local:` steps: a command on the machine running netdiag (shell string or argv list). */
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { LocalStep } from '../../plan/types.js';
import { runLocal } from '../../transport/local-exec.js';
import { quoteArgv } from '../argv.js';

export const localHandler: Handler<LocalStep> = {
  describe: ({ step, renderShell, renderText }) =>
    typeof step.command === 'string' ? renderShell(step.command) : quoteArgv(step.command.map(renderText)),
  async run(exec): Promise<HandlerResult> {
    const { step } = exec;
    const command = typeof step.command === 'string' ? exec.renderShell(step.command) : step.command.map(exec.renderText);
    const outcome = await runLocal({
      command,
      stdout: exec.stdout,
      stderr: exec.stderr,
      signal: exec.signal,
      env: exec.target.kind === 'host' ? { NETDIAG_HOST: exec.target.name, NETDIAG_ADDRESS: exec.target.host.address } : undefined,
    });
    return { status: outcome.status, exitCode: outcome.exitCode, signal: outcome.signal, error: outcome.error };
  },
};
