/**
 * `capture:` steps: coordinated tcpdump on every target node while the steps listed in
 * `during` generate traffic (the runner opens that window once every capture listens). Per
 * node: `captures/<host>.pcap` and `vxlan-analysis-<host>.txt`; for the step: the cluster-wide
 * `vxlan-flow-table.{json,txt}`.
 */
import type { Handler } from '../../engine/types.js';
import type { CaptureStep } from '../../plan/types.js';
import { tcpdumpCommand } from './command.js';
import { writeFlowTable } from './flow-table.js';
import { runCapture } from './run-capture.js';

export type { CaptureData } from './run-capture.js';
export { FLOW_TABLE_JSON, FLOW_TABLE_TEXT, flowTableOf } from './flow-table.js';
export { tcpdumpCommand, underlayIpOf } from './command.js';

export const captureHandler: Handler<CaptureStep> = {
  describe: ({ step, renderText }) => tcpdumpCommand(step.capture, renderText),
  run: runCapture,
  afterStep: writeFlowTable,
};
