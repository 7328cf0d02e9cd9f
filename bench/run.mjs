#!/usr/bin/env node
/**
 * `npm run bench`: netdiag against Ansible and raw parallel OpenSSH on the same lab nodes, plus
 * scale, streaming, end-to-end and startup measurements (issue 7). Writes bench/RESULTS.md
 * (its own section; other sections are kept) after every phase, so an interrupted run still
 * leaves what it measured. Every lab it brings up (`bench…`) is taken down again, also on
 * failure and Ctrl-C.
 *
 *   node bench/run.mjs [--sizes 10,20,50,100] [--runs 3] [--quick] [--ansible-max 20]
 *                      [--only sweep,stream,e2e,startup,profile]
 *
 * --quick: sizes 10,20, startup 10 runs, no profile. --ansible-max: largest node count Ansible
 * is run at (it needs minutes per run on a small machine; the target is at 20 nodes).
 */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { rmSync, mkdtempSync, readdirSync } from 'node:fs';
import { load1, median } from './lib/proc.mjs';
import { CLI, labUp, labDown } from './lib/lab.mjs';
import { runNetdiag, runAnsible, runRawSsh, COMMANDS, SWEEP_PLAN } from './lib/sweep.mjs';
import { startup, streaming, endToEnd } from './lib/phases.mjs';
import { summariseCpuProfile } from './lib/cpuprofile.mjs';
import { writeResults } from './lib/report.mjs';
import { evaluateTargets } from './lib/targets.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : dflt;
};
const quick = argv.includes('--quick');
const sizes = opt('--sizes', quick ? '10,20' : '10,20,50,100').split(',').map(Number);
const runs = Number(opt('--runs', '3'));
const ansibleMax = Number(opt('--ansible-max', '20'));
const only = new Set(opt('--only', quick ? 'startup,stream,sweep,e2e' : 'startup,stream,sweep,profile,e2e').split(','));
const log = (m) => process.stderr.write(`${m}\n`);

const sh = (c) => {
  try {
    return execFileSync('sh', ['-c', c], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};
const r = {
  commandLine: `node bench/run.mjs ${argv.join(' ')}`.trim(),
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length + ` (nproc ${sh('nproc')}, ${os.cpus()[0]?.model ?? '?'})`,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    kernel: `${os.release()}`,
    node: process.version,
    ansible: sh('ansible-playbook --version 2>/dev/null | head -1'),
    openssh: sh('ssh -V 2>&1'),
    'load average at start': os.loadavg().map((l) => l.toFixed(2)).join(', '),
  },
  notes: [],
  commands: [],
};
let maxLoad = load1();
const track = (res) => {
  maxLoad = Math.max(maxLoad, res.loadMax ?? 0);
  r.noisy = maxLoad > 1;
  return res;
};
const save = () => {
  r.targets = evaluateTargets(r);
  writeResults(r);
};

async function sweepSize(n) {
  const name = `bench${n}`;
  log(`node sweep: ${n} nodes (lab ${name})`);
  const lab = await labUp(name, n);
  try {
    const all = { raw: [], netdiag: [], ansible: n <= ansibleMax ? [] : undefined };
    const files = {};
    const split = { startup: [], collect: [], after: [] };
    let rss = 0;
    let load = 0;
    for (let i = 0; i < runs; i++) {
      // Interleaved so slow drifts of the shared machine's load hit all three alike.
      const raw = track(await runRawSsh(lab, n));
      all.raw.push(raw.ms);
      files.raw = raw.files;
      const nd = track(await runNetdiag(lab, n));
      if (nd.code !== 0) log(`  netdiag exit ${nd.code}: ${nd.stderr.slice(-600)}`);
      all.netdiag.push(nd.ms);
      files.netdiag = nd.files;
      rss = Math.max(rss, nd.peakRssMiB);
      for (const k of Object.keys(split)) split[k].push(nd[`${k}Ms`]);
      load = Math.max(load, raw.loadMax, nd.loadMax);
      let line = `  run ${i + 1}: raw ${(raw.ms / 1000).toFixed(1)} s, netdiag ${(nd.ms / 1000).toFixed(1)} s (collect ${(nd.collectMs / 1000).toFixed(1)} s, RSS ${nd.peakRssMiB.toFixed(0)} MiB)`;
      if (all.ansible) {
        const an = track(await runAnsible(lab, n));
        if (an.code !== 0) log(`  ansible exit ${an.code}: ${an.stdout.slice(-600)}`);
        all.ansible.push(an.ms);
        files.ansible = an.files;
        load = Math.max(load, an.loadMax);
        line += `, ansible ${(an.ms / 1000).toFixed(1)} s`;
        if (i === 0 && n === sizes[0]) r.commands.push(`# ansible (${n} nodes)`, an.command);
      }
      log(`${line}; load ${load.toFixed(1)}`);
      if (i === 0 && n === sizes[0]) r.commands.push(`# raw ssh (${n} nodes)`, raw.command, `# netdiag (${n} nodes)`, nd.command);
    }
    return {
      nodes: n,
      runs,
      labUpMs: lab.upMs,
      raw: median(all.raw),
      netdiag: median(all.netdiag),
      ansible: all.ansible ? median(all.ansible) : undefined,
      startup: median(split.startup),
      collect: median(split.collect),
      after: median(split.after),
      rss,
      load,
      files,
      all,
    };
  } finally {
    labDown(name);
  }
}

async function profile(n) {
  const name = `bench${n}`;
  log(`profile: netdiag at ${n} nodes with --cpu-prof`);
  const lab = await labUp(name, n);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndbench-prof-'));
  try {
    const nd = track(await runNetdiag(lab, n, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] }));
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error('no .cpuprofile written');
    return { nodes: n, wallMs: nd.ms, ...summariseCpuProfile(path.join(dir, file)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    labDown(name);
  }
}

log(`bench: sizes ${sizes.join(',')}, ${runs} runs, ansible up to ${ansibleMax} nodes, phases ${[...only].join(',')}; load ${load1().toFixed(2)}`);
r.notes.push(
  `Node sweep commands: ${COMMANDS.map((c) => `\`${c}\``).join(', ')}. On a \`--nodes-only\` lab there is no flannel.1/cni0, so 3 of the 8 fail on every node for all three tools alike.`,
  `netdiag plan: \`${path.relative(process.cwd(), SWEEP_PLAN)}\` (8 ssh steps, hosts: all, ignore_errors), forks = N, --no-bundle. The netdiag wall time is what a user waits for: it includes startup, the steps, and analysis + report (split out from run.json timestamps).`,
  `Ansible runs only up to ${ansibleMax} nodes (--ansible-max): each run takes minutes on a small shared machine and the Ansible target is at 20 nodes.`,
  'Peak RSS: VmHWM of the measured node process from /proc/<pid>/status, sampled every 20 ms.',
);
try {
  if (only.has('startup')) {
    log('startup');
    r.startup = track(await startup(quick ? 10 : 15));
    save();
  }
  if (only.has('stream')) {
    log('streaming 1 GiB');
    r.streaming = (await streaming(log)).map(track);
    r.commands.push('# streaming', ...r.streaming.map((t) => t.command));
    save();
  }
  if (only.has('sweep')) {
    r.sweep = [];
    for (const n of sizes) {
      r.sweep.push(await sweepSize(n));
      save();
    }
  }
  if (only.has('profile')) {
    r.profile = track(await profile(Math.max(...sizes)));
    r.commands.push(`# profile`, `node --cpu-prof --cpu-prof-dir DIR ${CLI} run -i <lab inventory> -p ${SWEEP_PLAN} -f N --no-bundle -o DIR`);
    save();
  }
  if (only.has('e2e')) {
    log('default plan end to end');
    r.e2e = track(await endToEnd(log));
    r.commands.push('# end to end', r.e2e.command);
    save();
  }
} catch (err) {
  r.notes.push(`The run stopped early: ${String(err.message ?? err).split('\n')[0]}`);
  save();
  log(String(err.stack ?? err));
  process.exitCode = 1;
}
save();
log(`bench: wrote bench/RESULTS.md (max load during measurements ${maxLoad.toFixed(1)})`);
