/**
 * The one I/O entry point of the VXLAN analysis: stream a capture file through the summary
 * builder. Memory stays flat whatever the file size (records are not kept).
 */
import { readCapture, type ReadOptions } from './read.js';
import { VxlanSummaryBuilder, type VxlanAnalysisOptions, type VxlanCaptureSummary } from './vxlan-analysis.js';

/**
 * Reads `source` (a path or a Buffer) and summarises its VXLAN traffic. A missing, empty or
 * corrupt file gives a summary with `readError` set (never a rejection), so one bad capture
 * does not stop the analysis of the others.
 */
export async function summarizeCapture(
  source: string | Buffer,
  options: VxlanAnalysisOptions & ReadOptions & { host?: string; sourceName?: string } = {},
): Promise<VxlanCaptureSummary> {
  const reader = readCapture(source, options);
  const builder = new VxlanSummaryBuilder(options);
  for await (const batch of reader.batches()) {
    for (const unit of batch) if (unit.kind === 'packet') builder.add(unit.record);
  }
  const name = options.sourceName ?? (typeof source === 'string' ? source : undefined);
  return builder.finish(reader.info, { host: options.host, source: name });
}
