/**
 * `netdiag demo`: the newcomer's first command. Brings up the built-in lab with a fault, runs
 * the default diagnosis against it with --check, prints the verdict and where the report is,
 * and takes the lab down again (also when something fails or on Ctrl-C).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { projectRoot, type RegisterCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

interface DemoOptions {
  fault: string;
  cni?: string;
  nodes: string;
  out: string;
  keep: boolean;
}

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('demo')
    .description('lab up with a fault → netdiag run --check → verdict and report → lab down (root, Debian)')
    .option('--fault <name[@node]>', 'fault to inject (netdiag lab faults lists them)', 'vxlan-blocked@node-2')
    .option('--cni <flannel|calico>', 'CNI of the lab (default: what the fault needs, else flannel)')
    .option('--nodes <n>', 'lab nodes', '3')
    .option('-o, --out <dir>', 'artifact root', 'artifacts')
    .option('--keep', 'leave the lab up afterwards (netdiag lab down --name demo removes it)', false)
    .action(async (o: DemoOptions) => setExitCode(await demo(o)));
};

async function demo(o: DemoOptions): Promise<number> {
  const { labUp } = await import('../../lab/up.js');
  const { labDown, findLab } = await import('../../lab/down.js');
  const { parseFault, faultSpec } = await import('../../lab/faults.js');
  const { runCommand } = await import('./run-action.js');
  const log = (line: string) => process.stderr.write(`netdiag demo: ${line}\n`);
  const fault = parseFault(o.fault);
  const cni = (o.cni ?? (faultSpec(fault.name)?.cni === 'calico' ? 'calico' : 'flannel')) as 'flannel' | 'calico';
  // A demo lab left behind by an earlier crash would collide with the new one.
  const stale = await findLab('demo');
  if (stale) await labDown(stale);
  log(`bringing up a ${o.nodes}-node ${cni} lab with fault ${o.fault}`);
  const { state, stateFile } = await labUp({ name: 'demo', nodes: Number(o.nodes), cni, vxlanMode: 'Always', faults: [fault], nodesOnly: false, controlPlane: true, log });
  try {
    log(`running the default diagnosis with --check: netdiag run -i ${state.files.inventory} --kubeconfig ${state.files.kubeconfig} --check`);
    const code = await runCommand({
      inventory: state.files.inventory,
      kubeconfig: state.files.kubeconfig,
      plan: path.join(projectRoot(), 'playbooks', 'network-diagnosis.yaml'),
      check: true,
      forks: 25,
      out: o.out,
      extraVars: {},
      sshHostKeys: 'accept-new',
      verbose: 0,
      json: false,
      bundle: true,
      obfuscate: false,
    });
    return code === ExitCode.interrupted ? code : ExitCode.ok;
  } finally {
    if (o.keep) log(`lab left up: netdiag lab down --name demo`);
    else {
      log('taking the lab down');
      await labDown(stateFile);
    }
  }
}
