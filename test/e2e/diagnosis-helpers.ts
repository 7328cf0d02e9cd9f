/**
 * Shared by the diagnosis end-to-end tests: bring a lab up with one fault, run the default
 * plan against it with --check through the built CLI, and read back the verdict.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { runCli, runDirFrom } from '../helpers/cli.js';
import { netdiag } from '../helpers/lab.js';

export interface FaultCase {
  fault?: string;
  cni?: 'flannel' | 'calico';
  /** Finding id the verdict (top root cause) must have. */
  finding?: string;
  /** Nodes the verdict must name. */
  nodes?: string[];
}

export interface DiagnosisOutcome {
  exitCode: number;
  runDir: string;
  verdict?: { id: string; nodes: string[]; rootCause: boolean; title: string };
  findings: { id: string; nodes: string[]; rootCause: boolean; explains: string[] }[];
  report: string;
  stdout: string;
}

let counter = 0;

/** `lab up` (one fault), `run --check` with the default plan, `lab down`; returns what the run concluded. */
export async function diagnose(c: FaultCase): Promise<DiagnosisOutcome> {
  const name = `dx${process.pid % 10000}${counter++}`;
  const out = await mkdtemp(path.join(os.tmpdir(), `ndt-dx-${name}-`));
  const up = await netdiag(['lab', 'up', '--name', name, '--json', ...(c.cni ? ['--cni', c.cni] : []), ...(c.fault ? ['--fault', c.fault] : [])]);
  try {
    expect(up.exitCode, String(up.stderr)).toBe(0);
    const status = JSON.parse(String(up.stdout));
    const r = await runCli(['run', '-i', status.files.inventory, '--kubeconfig', status.files.kubeconfig, '--check', '-o', out, '--no-bundle'], { timeoutMs: 400_000 });
    const runDir = runDirFrom(r.stdout);
    const findings = JSON.parse(await readFile(path.join(runDir, 'findings.json'), 'utf8')).findings as DiagnosisOutcome['findings'];
    const folded = new Set(findings.flatMap((f) => f.explains));
    const verdict = findings.find((f) => f.rootCause && !folded.has(f.id)) as DiagnosisOutcome['verdict'];
    return { exitCode: r.exitCode, runDir, verdict, findings, report: await readFile(path.join(runDir, 'DIAGNOSIS-REPORT.md'), 'utf8'), stdout: r.stdout };
  } finally {
    await netdiag(['lab', 'down', '--name', name]);
    await rm(out, { recursive: true, force: true });
  }
}

/** The assertion every fault case makes: the report's top root cause names the fault and its node(s). */
export function expectVerdict(o: DiagnosisOutcome, c: FaultCase): void {
  const context = `verdict ${JSON.stringify(o.verdict)}\nall findings: ${o.findings.map((f) => `${f.id}[${f.nodes}]${f.rootCause ? '*' : ''}`).join(', ')}\n${o.stdout.slice(-1500)}`;
  expect(o.verdict?.id, context).toBe(c.finding);
  for (const n of c.nodes ?? []) expect(o.verdict!.nodes, context).toContain(n);
  expect(o.report).toContain(o.verdict!.title);
}
