/**
 * Incremental pcap / pcapng parser. It never reads: the driver (read.ts) hands it a window of
 * bytes and it answers "I need N bytes" or "here is one unit of L bytes". That keeps the format
 * logic identical for a Buffer in a test and a 1 GB file read in chunks.
 */
import {
  MICROSECONDS,
  OptionCode,
  convertTimestamp,
  decodeTsresol,
  parseOptions,
  type TimestampResolution,
} from './pcapng-options.js';
import { describeOffset, type CaptureInfo, type CaptureInterface, type CaptureRecord } from './types.js';

/** pcapng block types (draft-ietf-opsawg-pcapng §10.1). */
export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  PACKET_OBSOLETE: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
} as const;

/** Nothing legitimate is this big; a larger length means the bytes are not what we think. */
const MAX_UNIT_BYTES = 16 * 1024 * 1024;
const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
const PCAP_MAGIC_NANO = 0xa1b23c4d;
const PCAPNG_BOM = 0x1a2b3c4d;

/**
 * One piece of the file exactly as stored. `raw` is a view of the bytes (header included) so a
 * rewriter can patch packet bytes in place and write the unit back out.
 */
export type CaptureUnit =
  | { kind: 'pcap-header'; raw: Buffer }
  | { kind: 'section'; raw: Buffer; littleEndian: boolean }
  | { kind: 'interface'; raw: Buffer; littleEndian: boolean; iface: CaptureInterface }
  | { kind: 'packet'; raw: Buffer; littleEndian: boolean; blockType?: number; dataOffset: number; record: CaptureRecord }
  | { kind: 'other-block'; raw: Buffer; littleEndian: boolean; blockType: number };

/** Parser answer for the bytes available at the current position. */
export type ParseStep = { kind: 'need'; bytes: number } | { kind: 'unit'; length: number; unit: CaptureUnit } | { kind: 'stop' };

interface SectionInterface {
  global: CaptureInterface;
  resolution: TimestampResolution;
  offsetSeconds: bigint;
}

/** Stateful parser: call {@link step} until it says `stop` or needs bytes that never come. */
export class CaptureParser {
  readonly info: CaptureInfo = { interfaces: [], packets: 0, skippedBlocks: 0, truncated: false };
  private state: 'magic' | 'pcap-header' | 'pcap-record' | 'pcapng-block' | 'stopped' = 'magic';
  private littleEndian = true;
  private nano = false;
  private section = -1;
  private sectionInterfaces: SectionInterface[] = [];

  /** Looks at `buf[pos…]` (whose first byte is at `fileOffset` in the file). */
  step(buf: Buffer, pos: number, fileOffset: number): ParseStep {
    const available = buf.length - pos;
    switch (this.state) {
      case 'stopped':
        return { kind: 'stop' };
      case 'magic':
        if (available < 4) return { kind: 'need', bytes: 4 };
        // Recognising the magic consumes nothing: parse the header right away.
        return this.detectFormat(buf, pos) ?? this.step(buf, pos, fileOffset);
      case 'pcap-header':
        return available < 24 ? { kind: 'need', bytes: 24 } : this.pcapHeader(buf, pos);
      case 'pcap-record':
        return this.pcapRecord(buf, pos, available, fileOffset);
      case 'pcapng-block':
        return this.pcapngBlock(buf, pos, available, fileOffset);
    }
  }

  /**
   * The input ended with `available` unconsumed bytes. Between units that is a clean end;
   * inside one it is a truncated file (tcpdump killed mid-write, a capped download).
   */
  end(available: number): void {
    if (this.state === 'stopped') return;
    if (this.state === 'magic') {
      this.info.error = available === 0 ? 'empty file: not a pcap or pcapng capture' : `only ${available} bytes: not a pcap or pcapng capture`;
    } else if (available > 0 || this.state === 'pcap-header') this.info.truncated = true;
    this.state = 'stopped';
  }

  private fail(message: string): ParseStep {
    this.info.error = message;
    this.state = 'stopped';
    return { kind: 'stop' };
  }

  /** Sets the format from the magic number; returns a step only when the magic is unknown. */
  private detectFormat(buf: Buffer, pos: number): ParseStep | undefined {
    const le = buf.readUInt32LE(pos);
    const be = buf.readUInt32BE(pos);
    if (be === BlockType.SECTION_HEADER) {
      this.info.format = 'pcapng';
      this.state = 'pcapng-block';
      return undefined;
    }
    for (const [value, littleEndian] of [[le, true], [be, false]] as const) {
      if (value === PCAP_MAGIC_MICRO || value === PCAP_MAGIC_NANO) {
        this.info.format = 'pcap';
        this.littleEndian = littleEndian;
        this.nano = value === PCAP_MAGIC_NANO;
        this.info.byteOrder = littleEndian ? 'LE' : 'BE';
        this.info.nanosecond = this.nano;
        this.state = 'pcap-header';
        return undefined;
      }
    }
    return this.fail(`not a pcap or pcapng capture (magic 0x${be.toString(16).padStart(8, '0')})`);
  }

  private u32(buf: Buffer, offset: number): number {
    return this.littleEndian ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
  }

  private u16(buf: Buffer, offset: number): number {
    return this.littleEndian ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
  }

  private pcapHeader(buf: Buffer, pos: number): ParseStep {
    // The upper bits of the link-type field carry FCS information (pcap draft §4).
    const linkType = this.u32(buf, pos + 20) & 0x0fffffff;
    const iface: CaptureInterface = { id: 0, section: 0, linkType, snapLength: this.u32(buf, pos + 16) };
    this.info.interfaces.push(iface);
    this.state = 'pcap-record';
    return { kind: 'unit', length: 24, unit: { kind: 'pcap-header', raw: buf.subarray(pos, pos + 24) } };
  }

  private pcapRecord(buf: Buffer, pos: number, available: number, fileOffset: number): ParseStep {
    if (available < 16) return { kind: 'need', bytes: 16 };
    const capturedLength = this.u32(buf, pos + 8);
    const originalLength = this.u32(buf, pos + 12);
    if (capturedLength > MAX_UNIT_BYTES) {
      return this.fail(`pcap record ${describeOffset(fileOffset)} claims ${capturedLength} captured bytes`);
    }
    if (available < 16 + capturedLength) return { kind: 'need', bytes: 16 + capturedLength };
    const fraction = this.u32(buf, pos + 4);
    const raw = buf.subarray(pos, pos + 16 + capturedLength);
    const record: CaptureRecord = {
      index: this.info.packets++,
      interfaceId: 0,
      linkType: this.info.interfaces[0].linkType,
      tsSec: this.u32(buf, pos),
      tsNsec: this.nano ? fraction : fraction * 1000,
      capturedLength,
      originalLength,
      data: raw.subarray(16),
    };
    const unit: CaptureUnit = { kind: 'packet', raw, littleEndian: this.littleEndian, dataOffset: 16, record };
    return { kind: 'unit', length: raw.length, unit };
  }

  private pcapngBlock(buf: Buffer, pos: number, available: number, fileOffset: number): ParseStep {
    if (available < 12) return { kind: 'need', bytes: 12 };
    if (buf.readUInt32BE(pos) === BlockType.SECTION_HEADER) {
      // A new section may switch byte order: the byte-order magic decides before the length.
      const bom = buf.readUInt32LE(pos + 8);
      if (bom === PCAPNG_BOM) this.littleEndian = true;
      else if (buf.readUInt32BE(pos + 8) === PCAPNG_BOM) this.littleEndian = false;
      else return this.fail(`pcapng section header ${describeOffset(fileOffset)} has no valid byte-order magic`);
    }
    const blockType = this.u32(buf, pos);
    const totalLength = this.u32(buf, pos + 4);
    if (totalLength < 12 || totalLength % 4 !== 0 || totalLength > MAX_UNIT_BYTES) {
      return this.fail(`pcapng block ${describeOffset(fileOffset)} has impossible length ${totalLength}`);
    }
    if (available < totalLength) return { kind: 'need', bytes: totalLength };
    const raw = buf.subarray(pos, pos + totalLength);
    if (this.u32(raw, totalLength - 4) !== totalLength) {
      return this.fail(`pcapng block ${describeOffset(fileOffset)}: trailing length does not match ${totalLength}`);
    }
    const unit = this.decodeBlock(raw, blockType, fileOffset);
    return unit ? { kind: 'unit', length: totalLength, unit } : { kind: 'stop' };
  }

  private decodeBlock(raw: Buffer, blockType: number, fileOffset: number): CaptureUnit | undefined {
    const littleEndian = this.littleEndian;
    switch (blockType) {
      case BlockType.SECTION_HEADER:
        if (raw.length < 28) return void this.fail(`pcapng section header ${describeOffset(fileOffset)} is too short`);
        this.section += 1;
        this.sectionInterfaces = [];
        this.info.byteOrder = littleEndian ? 'LE' : 'BE';
        return { kind: 'section', raw, littleEndian };
      case BlockType.INTERFACE_DESCRIPTION:
        return this.interfaceBlock(raw, fileOffset);
      case BlockType.ENHANCED_PACKET:
      case BlockType.PACKET_OBSOLETE:
        return this.timestampedPacket(raw, blockType, fileOffset);
      case BlockType.SIMPLE_PACKET:
        return this.simplePacket(raw, fileOffset);
      default:
        this.info.skippedBlocks += 1;
        return { kind: 'other-block', raw, littleEndian, blockType };
    }
  }

  private interfaceBlock(raw: Buffer, fileOffset: number): CaptureUnit | undefined {
    if (raw.length < 20) return void this.fail(`pcapng interface block ${describeOffset(fileOffset)} is too short`);
    const iface: CaptureInterface = {
      id: this.info.interfaces.length,
      section: Math.max(this.section, 0),
      linkType: this.u16(raw, 8),
      snapLength: this.u32(raw, 12),
    };
    let resolution = MICROSECONDS;
    let offsetSeconds = 0n;
    for (const option of parseOptions(raw.subarray(16, raw.length - 4), this.littleEndian)) {
      if (option.code === OptionCode.IF_TSRESOL && option.value.length >= 1) resolution = decodeTsresol(option.value[0]);
      if (option.code === OptionCode.IF_NAME) iface.name = option.value.toString('utf8').replace(/\0+$/, '');
      if (option.code === OptionCode.IF_TSOFFSET && option.value.length >= 8) {
        offsetSeconds = this.littleEndian ? option.value.readBigInt64LE(0) : option.value.readBigInt64BE(0);
      }
    }
    this.info.interfaces.push(iface);
    this.sectionInterfaces.push({ global: iface, resolution, offsetSeconds });
    return { kind: 'interface', raw, littleEndian: this.littleEndian, iface };
  }

  private timestampedPacket(raw: Buffer, blockType: number, fileOffset: number): CaptureUnit | undefined {
    const obsolete = blockType === BlockType.PACKET_OBSOLETE;
    if (raw.length < 32) return void this.fail(`pcapng packet block ${describeOffset(fileOffset)} is too short`);
    const localId = obsolete ? this.u16(raw, 8) : this.u32(raw, 8);
    const iface = this.sectionInterfaces[localId];
    if (!iface) {
      return void this.fail(`pcapng packet block ${describeOffset(fileOffset)} names interface ${localId}, which the section never declared`);
    }
    const capturedLength = this.u32(raw, 20);
    if (28 + capturedLength > raw.length - 4) {
      return void this.fail(`pcapng packet block ${describeOffset(fileOffset)}: captured length ${capturedLength} exceeds the block`);
    }
    const ts = convertTimestamp(this.u32(raw, 12), this.u32(raw, 16), iface.resolution, iface.offsetSeconds);
    const record: CaptureRecord = {
      index: this.info.packets++,
      interfaceId: iface.global.id,
      linkType: iface.global.linkType,
      ...ts,
      capturedLength,
      originalLength: this.u32(raw, 24),
      data: raw.subarray(28, 28 + capturedLength),
    };
    return { kind: 'packet', raw, littleEndian: this.littleEndian, blockType, dataOffset: 28, record };
  }

  private simplePacket(raw: Buffer, fileOffset: number): CaptureUnit | undefined {
    const iface = this.sectionInterfaces[0];
    if (!iface) return void this.fail(`pcapng simple packet block ${describeOffset(fileOffset)} precedes any interface block`);
    const originalLength = this.u32(raw, 8);
    // SPB has no captured-length field: it is the smaller of the wire length, the space in the
    // block and the interface snap length (pcapng §4.4).
    let capturedLength = Math.min(originalLength, raw.length - 16);
    if (iface.global.snapLength > 0) capturedLength = Math.min(capturedLength, iface.global.snapLength);
    const record: CaptureRecord = {
      index: this.info.packets++,
      interfaceId: iface.global.id,
      linkType: iface.global.linkType,
      tsSec: 0,
      tsNsec: 0,
      capturedLength,
      originalLength,
      data: raw.subarray(12, 12 + capturedLength),
    };
    return { kind: 'packet', raw, littleEndian: this.littleEndian, blockType: BlockType.SIMPLE_PACKET, dataOffset: 12, record };
  }
}
