/**
 * Captures in a bundle: cut to a byte budget at a record/block boundary (a pcap cut mid-record
 * confuses every reader), and — with `--obfuscate` — rewritten by the capture rewriter
 * (src/analyze/pcap/rewrite.ts) so IPs and MACs in the packets use the bundle's pseudonyms.
 */
import { Transform, type TransformCallback } from 'node:stream';

/**
 * Passes whole pcap records (or pcapng blocks) while they fit in `limit` bytes, then swallows
 * the rest. Unknown formats are cut at the byte limit.
 */
export class CaptureLimiter extends Transform {
  private buf: Buffer = Buffer.alloc(0);
  private passed = 0;
  private full = false;
  private headerDone = false;
  private littleEndian = true;

  constructor(
    private readonly format: 'pcap' | 'pcapng' | false,
    private readonly limit: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.full) return done();
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      const size = this.nextUnitSize();
      if (size === undefined || this.buf.length < size) break;
      if (this.passed + size > this.limit) {
        this.full = true;
        this.buf = Buffer.alloc(0);
        break;
      }
      this.push(this.buf.subarray(0, size));
      this.passed += size;
      this.buf = this.buf.subarray(size);
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // A trailing partial record is dropped: the output stays a valid capture.
    done();
  }

  /** Size of the next complete unit, or undefined until enough bytes are buffered to know it. */
  private nextUnitSize(): number | undefined {
    const b = this.buf;
    if (this.format === 'pcap') {
      if (!this.headerDone) {
        if (b.length < 24) return undefined;
        const magic = b.readUInt32LE(0);
        this.littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
        this.headerDone = true;
        return 24;
      }
      if (b.length < 16) return undefined;
      return 16 + (this.littleEndian ? b.readUInt32LE(8) : b.readUInt32BE(8));
    }
    if (this.format === 'pcapng') {
      if (b.length < 12) return undefined;
      if (b.readUInt32LE(0) === 0x0a0d0d0a) this.littleEndian = b.readUInt32LE(8) === 0x1a2b3c4d;
      const len = this.littleEndian ? b.readUInt32LE(4) : b.readUInt32BE(4);
      return len >= 12 ? len : Number.MAX_SAFE_INTEGER; // corrupt: stop here
    }
    // Unknown binary: fixed slices up to the limit.
    return Math.min(b.length, Math.max(1, this.limit - this.passed)) || undefined;
  }
}

export interface CaptureRewriteOutcome {
  ok: boolean;
  /** Why the capture could not be rewritten (it must then be left out of an obfuscated bundle). */
  error?: string;
  packetsIn?: number;
  packetsOut?: number;
}

/**
 * THE call site of the capture rewriter: copies `input` to `output` with every IPv4 address and
 * MAC mapped through the bundle's pseudonym functions (checksums kept valid, payloads scrubbed).
 */
export async function rewriteCaptureFile(
  input: string,
  output: string,
  maps: { mapIp(ip: string): string; mapMac(mac: string): string },
): Promise<CaptureRewriteOutcome> {
  try {
    // Loaded on first use: only obfuscated bundles with captures need the pcap codec.
    const { rewriteCapture } = await import('../analyze/pcap/rewrite.js');
    const r = await rewriteCapture(input, output, { mapIp: maps.mapIp, mapMac: maps.mapMac });
    return r.ok ? { ok: true, packetsIn: r.packetsIn, packetsOut: r.packetsOut } : { ok: false, error: r.error ?? 'unreadable capture' };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
