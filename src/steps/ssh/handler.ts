/** `ssh:` steps: a shell command on each target host, output streamed to the step's files. */
import type { Handler, HandlerResult } from '../../engine/types.js';
import type { SshStep } from '../../plan/types.js';

export const sshHandler: Handler<SshStep> = {
  describe: ({ step, renderShell }) => renderShell(step.command),
  async run(exec): Promise<HandlerResult> {
    const { step, target } = exec;
    if (target.kind !== 'host') {
      return { status: 'failed', error: `ssh step "${step.name}" has no hosts: add a hosts: pattern` };
    }
    const outcome = await exec.services.ssh.exec(target.host, {
      command: exec.renderShell(step.command),
      stdout: exec.stdout,
      stderr: exec.stderr,
      signal: exec.signal,
      become: step.become || target.host.become,
      becomeUser: target.host.becomeUser,
    });
    return { status: outcome.status, exitCode: outcome.exitCode, signal: outcome.signal, error: outcome.error };
  },
};
