/**
 * Reading capture files: pcap (either byte order, micro- or nanosecond magic) and pcapng
 * (sections of either byte order, several interfaces, EPB/SPB/obsolete packet blocks, unknown
 * blocks skipped). Files are read in chunks, so memory stays flat whatever the file size; a
 * Buffer source is handy in tests.
 */
import { open } from 'node:fs/promises';
import { CaptureParser, type CaptureUnit } from './parser.js';
import type { CaptureInfo, CaptureRecord } from './types.js';

export type { CaptureUnit } from './parser.js';

/** Tuning for {@link readCapture}. */
export interface ReadOptions {
  /** Bytes per read() from a file (default 1 MiB). Small values exercise chunk boundaries in tests. */
  chunkSize?: number;
  /** Aborting stops reading between chunks and rejects with the signal's reason. */
  signal?: AbortSignal;
}

const DEFAULT_CHUNK = 1024 * 1024;

/**
 * Streams a capture. Iterate it for packets (`for await (const rec of readCapture(path))`) or
 * call {@link CaptureReader.units} for every block as stored. `info` is filled as reading goes
 * and is complete once iteration ends: check `info.truncated` and `info.error` then.
 *
 * A record's `data` is a view into a read chunk: copy it if you keep many of them around, or
 * the chunks stay alive with them.
 */
export class CaptureReader implements AsyncIterable<CaptureRecord> {
  private readonly parser = new CaptureParser();

  constructor(
    private readonly source: string | Buffer,
    private readonly options: ReadOptions = {},
  ) {}

  /** What is known about the file so far (complete after iteration). */
  get info(): CaptureInfo {
    return this.parser.info;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<CaptureRecord> {
    for await (const batch of this.batches()) {
      for (const unit of batch) if (unit.kind === 'packet') yield unit.record;
    }
  }

  /** Every unit of the file in order: headers, interface blocks, packets, other blocks. */
  async *units(): AsyncGenerator<CaptureUnit> {
    for await (const batch of this.batches()) yield* batch;
  }

  /**
   * Units in batches, one batch per chunk read. Consumers that loop over a batch synchronously
   * avoid one await per packet — several times faster on captures with millions of packets.
   */
  async *batches(): AsyncGenerator<CaptureUnit[]> {
    if (Buffer.isBuffer(this.source)) {
      yield [...unitsOfBuffer(this.source, this.parser)];
      return;
    }
    let handle;
    try {
      handle = await open(this.source, 'r');
    } catch (err) {
      // A missing or unreadable capture is an expected outcome (the capture step failed).
      this.parser.info.error = `cannot open ${this.source}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
      return;
    }
    try {
      yield* this.batchesOfFile(handle);
    } finally {
      await handle.close();
    }
  }

  private async *batchesOfFile(handle: import('node:fs/promises').FileHandle): AsyncGenerator<CaptureUnit[]> {
    const chunkSize = Math.max(16, this.options.chunkSize ?? DEFAULT_CHUNK);
    let window = Buffer.alloc(0);
    let pos = 0;
    let windowOffset = 0; // file offset of window[0]
    let eof = false;
    let batch: CaptureUnit[] = [];
    for (;;) {
      const step = this.parser.step(window, pos, windowOffset + pos);
      if (step.kind === 'unit') {
        pos += step.length;
        batch.push(step.unit);
        continue;
      }
      if (batch.length > 0) {
        yield batch;
        batch = [];
      }
      if (step.kind === 'stop') return;
      if (eof) {
        this.parser.end(window.length - pos);
        return;
      }
      this.options.signal?.throwIfAborted();
      // Read at least what the parser asked for; keep only the unconsumed tail of the window.
      const missing = step.bytes - (window.length - pos);
      const size = Math.max(chunkSize, missing);
      const chunk = Buffer.allocUnsafe(size);
      const { bytesRead } = await handle.read(chunk, 0, size, null);
      if (bytesRead === 0) {
        eof = true;
        continue;
      }
      const tail = window.subarray(pos);
      windowOffset += pos;
      window = tail.length > 0 ? Buffer.concat([tail, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      pos = 0;
    }
  }
}

/** Opens a capture file (path) or parses a Buffer, lazily: nothing is read until iteration. */
export function readCapture(source: string | Buffer, options: ReadOptions = {}): CaptureReader {
  return new CaptureReader(source, options);
}

/** Synchronous variant for Buffers (tests, small fixtures): every record plus the file info. */
export function readCaptureSync(buffer: Buffer): { records: CaptureRecord[]; info: CaptureInfo } {
  const parser = new CaptureParser();
  const records: CaptureRecord[] = [];
  for (const unit of unitsOfBuffer(buffer, parser)) {
    if (unit.kind === 'packet') records.push(unit.record);
  }
  return { records, info: parser.info };
}

/** Drives a parser over one in-memory buffer (the whole input is available at once). */
function* unitsOfBuffer(buffer: Buffer, parser: CaptureParser): Generator<CaptureUnit> {
  let pos = 0;
  for (;;) {
    const step = parser.step(buffer, pos, pos);
    if (step.kind === 'unit') {
      pos += step.length;
      yield step.unit;
      continue;
    }
    if (step.kind === 'need') parser.end(buffer.length - pos);
    return;
  }
}
