/**
 * The capture step's finish: once every node's capture is decoded, the cluster-wide VXLAN flow
 * table (for each ordered node pair, tunnel packets A sent toward B vs packets B received from
 * A). `vxlan-flow-table.json` is the name the analyzers' evidence loader reads at the run root.
 */
import type { StepCompletion } from '../../engine/types.js';
import type { FileRecord } from '../../artifacts/writer.js';
import type { CaptureStep } from '../../plan/types.js';
import { buildFlowTable, formatFlowTable, type FlowTable, type VxlanCaptureSummary } from '../../analyze/pcap/index.js';
import { underlayIpOf } from './command.js';
import type { CaptureData } from './run-capture.js';

/** File names at the run root (the JSON one is a contract with analyze/load-evidence.ts). */
export const FLOW_TABLE_JSON = 'vxlan-flow-table.json';
export const FLOW_TABLE_TEXT = 'vxlan-flow-table.txt';

function isCaptureData(value: unknown): value is CaptureData {
  const d = value as CaptureData | undefined;
  return typeof d?.host === 'string' && typeof d.underlayIp === 'string';
}

/**
 * Builds the table from every target of the step. A target without a capture (failed,
 * unreachable, skipped) is still a row partner, marked `no-capture`, so the table says what
 * could not be judged instead of silently leaving the node out.
 */
export function flowTableOf(done: Pick<StepCompletion<CaptureStep>, 'results'>): FlowTable {
  const captures: Record<string, VxlanCaptureSummary | undefined> = {};
  const underlay: Record<string, string> = {};
  for (const { target, data } of done.results) {
    if (target.kind !== 'host') continue;
    const d = isCaptureData(data) ? data : undefined;
    underlay[target.name] = d?.underlayIp ?? underlayIpOf(target.host);
    captures[target.name] = d?.summary;
  }
  return buildFlowTable({ captures, underlay });
}

/** Writes both files; returns their records for the step's manifest entry. */
export async function writeFlowTable(done: StepCompletion<CaptureStep>): Promise<FileRecord[]> {
  const table = flowTableOf(done);
  if (table.hosts.length === 0) return [];
  const json = await done.openFile(FLOW_TABLE_JSON);
  json.stream.end(`${JSON.stringify(table, null, 2)}\n`);
  const text = await done.openFile(FLOW_TABLE_TEXT);
  text.stream.end(formatFlowTable(table));
  return [await json.finish(), await text.finish()];
}
