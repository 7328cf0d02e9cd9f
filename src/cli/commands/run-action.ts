/**
 * The body of `netdiag run`, loaded only when the command runs (keeps --version fast).
 * Owns SIGINT/SIGTERM for the run: the first one aborts, the run finishes writing and exits 130.
 */
import { setMaxListeners } from 'node:events';
import { executeRun, type RunOptions } from '../../engine/session.js';
import { exitCodeFor } from '../../engine/summary.js';
import { ConsoleReporter } from '../../report/console.js';
import { jsonSummary } from '../../report/json.js';
import type { HostKeyPolicy } from '../../transport/types.js';
import { ExitCode } from '../exit-codes.js';
import { afterRun, resolveBundleFlags, type AfterRunOptions, type RunBundleFlags } from './after-run.js';

/** What `netdiag run` parsed: the engine's options plus the CLI's own presentation flags. */
export type RunCliOptions = Pick<RunOptions, 'inventory' | 'plan' | 'check' | 'limit' | 'tags' | 'skipTags' | 'forks' | 'out' | 'kubeconfig' | 'context' | 'extraVars' | 'knownHosts'> &
  Omit<AfterRunOptions, 'bundle'> &
  RunBundleFlags & {
    /** Unset: each host's inventory setting, else accept-new. */
    sshHostKeys?: HostKeyPolicy;
    verbose: number;
    json: boolean;
  };

export async function runCommand(o: RunCliOptions): Promise<number> {
  const bundle = await resolveBundleFlags(o);
  const controller = new AbortController();
  // Every step × host listens on the run's signal: hundreds of listeners are expected, not a leak.
  setMaxListeners(0, controller.signal);
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nnetdiag: ${sig}: stopping — killing running commands and closing the manifest (again to force)\n`);
      controller.abort(new Error(`interrupted by ${sig}`));
    } else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progressOut = o.json ? process.stderr : process.stdout;
  const live = Boolean((progressOut as NodeJS.WriteStream).isTTY) && !process.env.CI;
  try {
    const summary = await executeRun({
      plan: o.plan,
      inventory: o.inventory,
      check: o.check,
      limit: o.limit,
      tags: o.tags,
      skipTags: o.skipTags,
      forks: o.forks,
      out: o.out,
      kubeconfig: o.kubeconfig,
      context: o.context,
      extraVars: o.extraVars,
      hostKeyPolicy: o.sshHostKeys,
      knownHosts: o.knownHosts,
      argv: process.argv.slice(2),
      reporters: [new ConsoleReporter({ out: progressOut, live, verbosity: o.verbose })],
      signal: controller.signal,
    });
    const after = await afterRun(summary, { templates: o.templates, failOn: o.failOn, bundle });
    const runCode = exitCodeFor(summary);
    const code = runCode === ExitCode.ok && after.failOnHit ? ExitCode.findings : runCode;
    if (o.json) process.stdout.write(JSON.stringify({ ...jsonSummary(summary, code), report: after.reportPath, bundle: after.bundlePath }, null, 2) + '\n');
    else process.stdout.write(after.lines.join('\n') + '\n');
    return code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
