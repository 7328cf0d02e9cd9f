/**
 * One target of a capture step: tcpdump over SSH, its pcap streamed into
 * `captures/<host>.pcap`, live until the traffic steps are done (the capture window), the
 * duration cap, tcpdump's own packet cap, or an abort (step timeout, Ctrl-C); then the pcap is
 * decoded into `vxlan-analysis-<host>.txt`.
 *
 * Every stop goes through the AbortController handed to the SSH transport, whose watchdog
 * TERMs then KILLs the remote process group: a capture never outlives its step. With
 * `--immediate-mode -U` tcpdump has already written every packet the node saw, so stopping
 * loses nothing.
 */
import type { HandlerResult, StepExecution } from '../../engine/types.js';
import type { CaptureStep } from '../../plan/types.js';
import { abortStatus } from '../../transport/abort.js';
import { formatVxlanSummary, summarizeCapture, type VxlanCaptureSummary } from '../../analyze/pcap/index.js';
import { capturePaths, tcpdumpCommand, underlayIpOf } from './command.js';
import { TcpdumpStderrWatch } from './stderr-watch.js';

/** What a capture registers per host (and what `afterStep` builds the flow table from). */
export interface CaptureData {
  host: string;
  /** Outer (tunnel) address of this node: host var `node_ip`, else its SSH address. */
  underlayIp: string;
  /** Undefined when tcpdump never produced a capture (not found, no permission, unreachable). */
  summary?: VxlanCaptureSummary;
  /** Packets the node's kernel dropped before tcpdump read them (tcpdump's exit statistics). */
  kernelDrops?: number;
}

/** Why the capture was stopped by netdiag (as opposed to tcpdump ending on its own). */
type StopReason = 'window' | 'duration';

export async function runCapture(exec: StepExecution<CaptureStep>): Promise<HandlerResult> {
  const { step, target } = exec;
  const window = exec.captureWindow;
  if (target.kind !== 'host') {
    window?.started();
    return { status: 'failed', error: `capture step "${step.name}" has no hosts: add a hosts: pattern` };
  }
  const host = target.host;
  const paths = capturePaths(host.name);
  const data: CaptureData = { host: host.name, underlayIp: underlayIpOf(host) };

  const pcap = await exec.openFile(paths.pcap);
  const stop = new AbortController();
  let stopReason: StopReason | undefined;
  const stopBecause = (reason: StopReason) => {
    // A timeout or Ctrl-C already under way stays what it is (the window also closes then).
    if (stopReason || stop.signal.aborted || exec.signal.aborted) return;
    stopReason = reason;
    stop.abort(new Error(`capture ${reason} ended`));
  };
  let durationTimer: NodeJS.Timeout | undefined;
  const stderr = new TcpdumpStderrWatch(exec.stderr, () => {
    window?.started();
    // The duration counts capture time, from the moment tcpdump listens.
    durationTimer = setTimeout(() => stopBecause('duration'), step.capture.durationMs);
    // A capture with no `during` steps is a passive one: only its duration (or -c) ends it.
    if (step.capture.during.length > 0) window?.done.then(() => stopBecause('window'));
  });

  const outcome = await exec.services.ssh.exec(host, {
    command: tcpdumpCommand(step.capture, exec.renderText),
    stdout: pcap.stream,
    stderr,
    signal: AbortSignal.any([exec.signal, stop.signal]),
    become: step.become || host.become,
    becomeUser: host.becomeUser,
  });
  clearTimeout(durationTimer);
  // tcpdump ended (or never started): the traffic steps must not wait for it.
  window?.started();

  const pcapFile = await pcap.finishUnlessEmpty();
  const files = pcapFile ? [pcapFile] : [];
  if (pcapFile) {
    data.summary = await summarizeCapture(pcap.absPath, { host: host.name, sourceName: paths.pcap });
    const analysis = await exec.openFile(paths.analysis);
    analysis.stream.end(formatVxlanSummary(data.summary));
    files.push(await analysis.finish());
  }
  data.kernelDrops = stderr.kernelDrops();
  if (data.kernelDrops) {
    exec.log(`${step.id} on ${host.name}: the kernel dropped ${data.kernelDrops} packets tcpdump could not read in time; "received" counts toward ${host.name} may be low`);
  }
  exec.stdout.write(describeResult(data, stopReason, pcapFile?.bytes));

  const result = toResult(exec.signal, stopReason, outcome, stderr);
  if (result.status === 'ok' && outcome.error?.includes('still open')) exec.log(`${step.id} on ${host.name}: ${outcome.error}`);
  return { ...result, files, data };
}

/** Maps the transport outcome to the step result: a stop by netdiag is the normal, ok end. */
function toResult(
  stepSignal: AbortSignal,
  stopReason: StopReason | undefined,
  outcome: { status: string; exitCode: number | null; signal?: string; error?: string },
  stderr: TcpdumpStderrWatch,
): HandlerResult {
  if (stepSignal.aborted && !stopReason) {
    return { status: abortStatus(stepSignal), exitCode: outcome.exitCode, signal: outcome.signal, error: outcome.error };
  }
  if (stopReason) return { status: 'ok', exitCode: outcome.exitCode };
  if (outcome.status === 'ok') return { status: 'ok', exitCode: 0 }; // -c reached
  if (outcome.status === 'unreachable') return { status: 'unreachable', exitCode: null, error: outcome.error };
  // tcpdump failed on its own: its message says why (not found, permission, no such device, bad filter).
  const why = stderr.problem() ?? outcome.error ?? 'no message';
  const how = outcome.exitCode !== null ? `exit code ${outcome.exitCode}` : `killed by ${outcome.signal ?? 'a signal'}`;
  const hint = outcome.exitCode === 127 ? 'tcpdump is not installed on this node (or not on the PATH of the SSH user): ' : '';
  return { status: 'failed', exitCode: outcome.exitCode, signal: outcome.signal, error: `${hint}tcpdump failed (${how}): ${why}` };
}

/** One line for the step's stdout file: what was captured and why it stopped. */
function describeResult(data: CaptureData, stopReason: StopReason | undefined, bytes: number | undefined): string {
  const s = data.summary;
  const why = stopReason === 'window' ? 'traffic steps done' : stopReason === 'duration' ? 'duration reached' : 'tcpdump ended';
  if (!s) return `${data.host}: no capture (${why})\n`;
  const drops = data.kernelDrops ? `, ${data.kernelDrops} dropped by the kernel` : '';
  return `${data.host}: ${s.packets} packets (${s.vxlanPackets} VXLAN${drops}), ${bytes ?? 0} bytes → ${capturePaths(data.host).pcap} (${why})\n`;
}
