/**
 * Obfuscating copy of a capture for support bundles (issue 6, `--obfuscate`): every IPv4
 * address and MAC in the packets goes through the caller's pseudonym functions, checksums stay
 * valid, and pcapng metadata that could name a machine (comments, descriptions, name-resolution
 * blocks, OS/hardware strings) is dropped. Streams block by block: memory stays flat.
 */
import { open, rename, rm } from 'node:fs/promises';
import { parseIpv4 } from './addresses.js';
import { BlockType, type CaptureUnit } from './parser.js';
import { encodeOptions, OptionCode, parseOptions, type PcapngOption } from './pcapng-options.js';
import { readCapture, type ReadOptions } from './read.js';
import { rewritePacket, type AddressMaps, type PacketRewritePolicy } from './rewrite-packet.js';

export type { AddressMaps } from './rewrite-packet.js';

/** Options of {@link rewriteCapture}. */
export interface RewriteOptions extends AddressMaps, ReadOptions {
  /** UDP ports whose payload is VXLAN (default 8472, 4789): inner frames are rewritten too. */
  vxlanPorts?: Iterable<number>;
  /** Zero payload bytes after the last decoded header (default true). Headers stay intact. */
  scrubPayloads?: boolean;
  /** Packets whose addresses cannot be rewritten (IPv6, LLDP, unknown link types): `drop` (default) or `scrub` (keep, zero past the link header). */
  unsupported?: 'drop' | 'scrub';
}

/** What a rewrite did. `ok: false` means the input could not be read at all (nothing written). */
export interface RewriteResult {
  ok: boolean;
  format?: 'pcap' | 'pcapng';
  packetsIn: number;
  packetsOut: number;
  /** Packets left out, by reason (e.g. `EtherType 0x86dd`). */
  dropped: Record<string, number>;
  /** pcapng blocks left out (name resolution, statistics, custom, unknown). */
  blocksDropped: number;
  /** Addresses replaced. */
  addresses: number;
  /** The input ended mid-record; the output holds the complete records. */
  truncated: boolean;
  error?: string;
}

const FLUSH_BYTES = 1024 * 1024;

/** Where rewritten bytes go: `push` is synchronous, `flush` is awaited once per read chunk. */
interface Sink {
  push(bytes: Buffer): void;
  flush(force: boolean): Promise<void>;
}

/** Rewrites `input` (path or Buffer) into the file `output` (written atomically: temp + rename). */
export async function rewriteCapture(input: string | Buffer, output: string, options: RewriteOptions): Promise<RewriteResult> {
  const temp = `${output}.partial-${process.pid}`;
  const handle = await open(temp, 'w');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const sink: Sink = {
    push(bytes) {
      pending.push(bytes);
      pendingBytes += bytes.length;
    },
    async flush(force) {
      if (pendingBytes === 0 || (!force && pendingBytes < FLUSH_BYTES)) return;
      const chunk = Buffer.concat(pending, pendingBytes);
      [pending, pendingBytes] = [[], 0];
      await handle.write(chunk);
    },
  };
  let result: RewriteResult | undefined;
  try {
    result = await rewriteUnits(input, options, sink);
  } finally {
    await handle.close();
    // Never leave a half-obfuscated file behind (a throwing map function is a caller bug).
    if (result?.ok) await rename(temp, output);
    else await rm(temp, { force: true });
  }
  return result;
}

/** In-memory variant (tests, small files): the rewritten capture as a Buffer. */
export async function rewriteCaptureToBuffer(input: string | Buffer, options: RewriteOptions): Promise<{ output: Buffer; result: RewriteResult }> {
  const parts: Buffer[] = [];
  const result = await rewriteUnits(input, options, { push: (bytes) => void parts.push(bytes), flush: async () => {} });
  return { output: Buffer.concat(parts), result };
}

async function rewriteUnits(input: string | Buffer, options: RewriteOptions, sink: Sink): Promise<RewriteResult> {
  const reader = readCapture(input, options);
  const policy: PacketRewritePolicy = {
    vxlanPorts: options.vxlanPorts ? new Set(options.vxlanPorts) : undefined,
    scrubPayloads: options.scrubPayloads ?? true,
    unsupported: options.unsupported ?? 'drop',
  };
  const cache = new Map<string, Buffer>();
  const result: RewriteResult = { ok: true, packetsIn: 0, packetsOut: 0, dropped: {}, blocksDropped: 0, addresses: 0, truncated: false };
  for await (const batch of reader.batches()) {
    for (const unit of batch) {
      const bytes = rewriteUnit(unit, options, policy, cache, result);
      if (bytes) sink.push(bytes);
    }
    await sink.flush(false);
  }
  await sink.flush(true);
  const info = reader.info;
  // A file cut or corrupted midway still yields a valid capture of what came before it.
  Object.assign(result, { ok: info.format !== undefined, format: info.format, truncated: info.truncated });
  if (info.error) result.error = info.error;
  return result;
}

/** Output bytes for one unit, or undefined when it is left out (counted in `result`). */
function rewriteUnit(original: CaptureUnit, maps: AddressMaps, policy: PacketRewritePolicy, cache: Map<string, Buffer>, result: RewriteResult): Buffer | undefined {
  // Copy: a Buffer source belongs to the caller and must not change under it.
  const unit = { ...original, raw: Buffer.from(original.raw) } as CaptureUnit;
  switch (unit.kind) {
    case 'pcap-header':
      return unit.raw;
    case 'section':
      return sectionHeaderBlock(unit.raw, unit.littleEndian);
    case 'interface':
      return interfaceBlock(unit.raw, unit.littleEndian, maps);
    case 'other-block':
      result.blocksDropped += 1;
      return undefined;
    case 'packet': {
      result.packetsIn += 1;
      const data = unit.raw.subarray(unit.dataOffset, unit.dataOffset + unit.record.capturedLength);
      const outcome = rewritePacket(unit.record.linkType, data, maps, policy, cache);
      if (!outcome.keep) {
        result.dropped[outcome.reason] = (result.dropped[outcome.reason] ?? 0) + 1;
        return undefined;
      }
      result.addresses += outcome.addresses;
      result.packetsOut += 1;
      const keepAsIs = unit.blockType === undefined || unit.blockType === BlockType.SIMPLE_PACKET;
      return keepAsIs ? unit.raw : enhancedPacketBlock(unit, data);
    }
  }
}

/** Assembles a pcapng block: type, total length, body padded to 4 bytes, total length. */
function block(type: number, body: Buffer, littleEndian: boolean): Buffer {
  const padded = body.length + ((4 - (body.length % 4)) % 4);
  const out = Buffer.alloc(12 + padded);
  const w32 = (value: number, at: number) => (littleEndian ? out.writeUInt32LE(value, at) : out.writeUInt32BE(value, at));
  w32(type, 0);
  w32(out.length, 4);
  body.copy(out, 8);
  w32(out.length, out.length - 4);
  return out;
}

/** SHB without options (shb_hardware/os/userappl/comment may name the machine); length unknown. */
function sectionHeaderBlock(raw: Buffer, littleEndian: boolean): Buffer {
  const body = Buffer.alloc(16, 0xff);
  raw.copy(body, 0, 8, 16); // byte-order magic, major, minor version
  return block(BlockType.SECTION_HEADER, body, littleEndian);
}

/** IDB keeping only timing/FCS options and the interface name; interface addresses mapped. */
function interfaceBlock(raw: Buffer, littleEndian: boolean, maps: AddressMaps): Buffer {
  const kept: PcapngOption[] = [];
  for (const option of parseOptions(raw.subarray(16, raw.length - 4), littleEndian)) {
    switch (option.code) {
      case OptionCode.IF_NAME:
      case OptionCode.IF_TSRESOL:
      case OptionCode.IF_TSOFFSET:
      case OptionCode.IF_FCSLEN:
        kept.push(option);
        break;
      case OptionCode.IF_IPV4ADDR: {
        if (option.value.length !== 8) break;
        const mapped = parseIpv4(maps.mapIp(option.value.subarray(0, 4).join('.')));
        if (mapped) kept.push({ code: option.code, value: Buffer.concat([mapped, option.value.subarray(4)]) });
        break;
      }
      case OptionCode.IF_MACADDR:
        // Dropped rather than mapped: nothing downstream needs it and it is one less leak to test.
        break;
    }
  }
  return block(BlockType.INTERFACE_DESCRIPTION, Buffer.concat([raw.subarray(8, 16), encodeOptions(kept, littleEndian)]), littleEndian);
}

/** EPB (also for obsolete packet blocks) without options: comments and hashes could leak. */
function enhancedPacketBlock(unit: Extract<CaptureUnit, { kind: 'packet' }>, data: Buffer): Buffer {
  const { raw, littleEndian } = unit;
  const head = Buffer.alloc(20);
  const r32 = (at: number) => (littleEndian ? raw.readUInt32LE(at) : raw.readUInt32BE(at));
  const w32 = (value: number, at: number) => (littleEndian ? head.writeUInt32LE(value, at) : head.writeUInt32BE(value, at));
  const localInterface = unit.blockType === BlockType.PACKET_OBSOLETE ? (littleEndian ? raw.readUInt16LE(8) : raw.readUInt16BE(8)) : r32(8);
  w32(localInterface, 0);
  w32(r32(12), 4);
  w32(r32(16), 8);
  w32(data.length, 12);
  w32(unit.record.originalLength, 16);
  return block(BlockType.ENHANCED_PACKET, Buffer.concat([head, data]), littleEndian);
}
