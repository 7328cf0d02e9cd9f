/**
 * `netdiag lab up|status|down|faults|inject`: the local lab (see src/lab). The heavy modules
 * are imported inside the actions so `netdiag --help` stays fast.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors.js';
import { ExitCode } from '../exit-codes.js';
import type { RegisterCommand } from '../command.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

interface UpOptions {
  name: string;
  nodes: string;
  cni?: string;
  vxlanMode: string;
  fault: string[];
  nodesOnly?: boolean;
  api: boolean;
  json?: boolean;
}

/** Picks the lab a command means: --name, else the only lab that is up. */
async function resolveLab(name: string | undefined): Promise<{ file: string } | { error: string }> {
  const { listLabStates } = await import('../../lab/state.js');
  const labs = await listLabStates();
  if (name) {
    const hit = labs.find((l) => l.state.name === name);
    return hit ? { file: hit.file } : { error: `no lab named "${name}" is up${labs.length ? ` (up: ${labs.map((l) => l.state.name).join(', ')})` : ''}` };
  }
  if (labs.length === 1) return { file: labs[0].file };
  return { error: labs.length ? `several labs are up (${labs.map((l) => l.state.name).join(', ')}): pick one with --name` : 'no lab is up (netdiag lab up)' };
}

async function upAction(o: UpOptions): Promise<number> {
  const { labUp } = await import('../../lab/up.js');
  const { parseFault, faultSpec } = await import('../../lab/faults.js');
  const { labStatus, formatLabStatus } = await import('../../lab/status.js');
  const faults = o.fault.map((f) => parseFault(f));
  // A Calico fault without an explicit --cni means a Calico lab.
  const cni = o.cni ?? (faults.some((f) => faultSpec(f.name)?.cni === 'calico') ? 'calico' : 'flannel');
  if (cni !== 'flannel' && cni !== 'calico') throw new InputError({ path: '--cni', message: `"${cni}" is not one of flannel, calico` });
  if (!['Always', 'CrossSubnet', 'Never'].includes(o.vxlanMode)) throw new InputError({ path: '--vxlan-mode', message: `"${o.vxlanMode}" is not one of Always, CrossSubnet, Never` });
  const nodes = Number(o.nodes);
  const log = (line: string) => process.stderr.write(`netdiag lab: ${line}\n`);
  try {
    const { state, stateFile } = await labUp({
      name: o.name,
      nodes,
      cni,
      vxlanMode: o.vxlanMode as 'Always' | 'CrossSubnet' | 'Never',
      faults,
      nodesOnly: Boolean(o.nodesOnly),
      controlPlane: o.api,
      log,
    });
    const status = labStatus(state, stateFile);
    if (o.json) process.stdout.write(JSON.stringify(status, null, 2) + '\n');
    else {
      const hint = o.api ? `kubectl --kubeconfig ${state.files.kubeconfig} get pods -A -o wide` : `ssh -i ${state.files.sshKey} -o UserKnownHostsFile=${state.files.knownHosts} root@${state.nodes[0].address}`;
      process.stdout.write(formatLabStatus(status) + `\nup in ${((state.timings?.total ?? 0) / 1000).toFixed(1)} s — try: ${hint}\n`);
    }
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof InputError) throw err;
    process.stderr.write(`netdiag lab up: ${err instanceof Error ? err.message : String(err)}\n`);
    return ExitCode.internalError;
  }
}

async function statusAction(o: { name?: string; json?: boolean }): Promise<number> {
  const { listLabStates } = await import('../../lab/state.js');
  const { labStatus, formatLabStatus } = await import('../../lab/status.js');
  const labs = (await listLabStates()).filter((l) => !o.name || l.state.name === o.name);
  if (o.name && labs.length === 0) {
    process.stderr.write(`netdiag lab status: no lab named "${o.name}" is up\n`);
    return ExitCode.internalError;
  }
  const statuses = labs.map((l) => labStatus(l.state, l.file));
  if (o.json) process.stdout.write(JSON.stringify(o.name ? statuses[0] : statuses, null, 2) + '\n');
  else process.stdout.write(statuses.length ? statuses.map(formatLabStatus).join('\n') : 'no lab is up\n');
  return ExitCode.ok;
}

async function downAction(o: { name?: string; all?: boolean }): Promise<number> {
  const { labDown, labDownAll } = await import('../../lab/down.js');
  if (o.all) {
    const r = await labDownAll();
    process.stdout.write(`removed ${r.labs.length} lab(s)${r.labs.length ? ` (${r.labs.join(', ')})` : ''}, ${r.netns.length} namespace(s), ${r.links.length} interface(s), ${r.killed.length} process(es)\n`);
    return ExitCode.ok;
  }
  const lab = await resolveLab(o.name);
  if ('error' in lab) {
    process.stderr.write(`netdiag lab down: ${lab.error}\n`);
    return ExitCode.internalError;
  }
  const r = await labDown(lab.file);
  process.stdout.write(`lab ${r.labs.join(', ')} is down: removed ${r.netns.length} namespace(s), ${r.links.length} interface(s), ${r.killed.length} process(es)\n`);
  return ExitCode.ok;
}

async function injectAction(fault: string, o: { name?: string }): Promise<number> {
  const { parseFault } = await import('../../lab/faults.js');
  const { injectFault } = await import('../../lab/actions.js');
  const parsed = parseFault(fault, 'fault');
  const lab = await resolveLab(o.name);
  if ('error' in lab) {
    process.stderr.write(`netdiag lab inject: ${lab.error}\n`);
    return ExitCode.internalError;
  }
  const applied = await injectFault(lab.file, parsed);
  process.stdout.write(`injected ${applied.name}${applied.node ? `@${applied.node}` : ''}\n`);
  return ExitCode.ok;
}

export const register: RegisterCommand = (program: Command, setExitCode) => {
  const lab = program.command('lab').description('a local lab: real Kubernetes-style data plane in network namespaces, emulated API server, named faults');
  lab
    .command('up')
    .description('build a lab (needs root)')
    .option('--name <name>', 'lab name', 'default')
    .option('--nodes <n>', 'number of nodes', '3')
    .option('--cni <cni>', 'flannel or calico (default flannel; calico when a calico-* fault is asked for)')
    .option('--vxlan-mode <mode>', 'Calico IPPool vxlanMode: Always, CrossSubnet or Never', 'Always')
    .option('--fault <name[@node]>', 'inject a fault (repeatable; see `netdiag lab faults`)', collect, [])
    .option('--nodes-only', 'only nodes with sshd: no overlay, pods or services (large benchmarks)')
    .option('--no-api', 'do not start the emulated API server (data plane only)')
    .option('--json', 'print the status as JSON')
    .action(async (o: UpOptions) => setExitCode(await upAction(o)));
  lab
    .command('status')
    .description('nodes, pods, faults and the inventory/kubeconfig paths of running labs')
    .option('--name <name>', 'only this lab')
    .option('--json', 'machine-readable output')
    .action(async (o: { name?: string; json?: boolean }) => setExitCode(await statusAction(o)));
  lab
    .command('down')
    .description('remove a lab: its processes, namespaces, interfaces and files')
    .option('--name <name>', 'lab name (default: the only lab that is up)')
    .option('--all', 'remove every lab and any leftovers of crashed labs (ndl<slot>- prefix)')
    .action(async (o: { name?: string; all?: boolean }) => setExitCode(await downAction(o)));
  lab
    .command('faults')
    .description('list the faults `lab up --fault` can inject, with their symptoms')
    .action(async () => {
      const { formatFaultList } = await import('../../lab/status.js');
      process.stdout.write(formatFaultList());
      setExitCode(ExitCode.ok);
    });
  lab
    .command('inject')
    .description('inject a fault into a running lab')
    .argument('<fault>', 'fault name, optionally @node-N')
    .option('--name <name>', 'lab name (default: the only lab that is up)')
    .action(async (fault: string, o: { name?: string }) => setExitCode(await injectAction(fault, o)));
};
