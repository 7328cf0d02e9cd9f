/** `netdiag run`: run a diagnosis plan against the inventory's nodes and the cluster. */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { InputError } from '../../errors.js';
import { projectRoot, type RegisterCommand } from '../command.js';
import { parseExtraVars } from '../extra-vars.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];
const csv = (value: string, prev: string[] = []) => [...prev, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('run')
    .description('run a diagnosis plan: collect evidence into artifacts/<plan>/<stamp>/')
    .option('-i, --inventory <file>', 'Ansible-style YAML inventory of the nodes to reach over SSH')
    .option('-p, --plan <file>', 'diagnosis plan', path.join(projectRoot(), 'playbooks', 'network-diagnosis.yaml'))
    .option('-C, --check', 'read-only: never run remediation steps (reported as would-run)', false)
    .option('-l, --limit <pattern>', "further limit hosts, e.g. 'workers:!gpu-3'")
    .option('-t, --tags <tags>', 'only steps with these tags (comma-separated, repeatable)', csv)
    .option('--skip-tags <tags>', 'skip steps with these tags', csv)
    .option('-f, --forks <n>', 'parallel step×host executions', (v) => Number.parseInt(v, 10), 25)
    .option('-o, --out <dir>', 'artifact root', 'artifacts')
    .option('--kubeconfig <file>', 'kubeconfig for API and kubectl steps (default: KUBECONFIG, ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('-e, --extra-vars <k=v|@file|json>', 'set plan variables (repeatable)', collect)
    .addOption(new Option('--ssh-host-keys <policy>', "SSH host key checking for every host (default: the inventory's StrictHostKeyChecking / ansible_host_key_checking, else accept-new)").choices(['strict', 'accept-new', 'off']))
    .option('--known-hosts <file>', 'known_hosts file (default ~/.ssh/known_hosts; inventories may set UserKnownHostsFile)')
    .option('-v, --verbose', 'more output (repeatable)', (_v, prev: number) => prev + 1, 0)
    .option('--json', 'print the run result as JSON on stdout (progress goes to stderr)', false)
    .option('--templates <dir>', 'report templates overriding the built-in ones')
    .option('--no-bundle', 'do not pack the redacted support bundle at the end')
    .option('--obfuscate', 'bundle: replace IPs, MACs and host names by consistent pseudonyms', false)
    .option('--redact-pattern <regex>', 'bundle: also redact matches of this regex (repeatable)', collect)
    .option('--redactors <file>', 'bundle: YAML list of {name, regex, replace?} to redact as well')
    .option('--bundle-max-file-size <size>', 'bundle: per-file cap; logs keep their newest part', '20MiB')
    .option('--bundle-max-total-size <size>', 'bundle: total budget over uncompressed content', '200MiB')
    .addOption(new Option('--fail-on <severity>', 'exit 5 when a finding of this severity or worse is found').choices(['critical', 'high', 'medium', 'low', 'info']))
    .action(async (o) => {
      if (!Number.isInteger(o.forks) || o.forks < 1) throw new InputError({ path: '--forks', message: `expected a positive integer, got ${o.forks}` });
      const { runCommand } = await import('./run-action.js');
      setExitCode(await runCommand({ ...o, extraVars: await parseExtraVars(o.extraVars ?? []) }));
    });
};
