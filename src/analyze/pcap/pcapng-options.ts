/**
 * pcapng option lists (TLV: code u16, length u16, value padded to 4 bytes) and the timestamp
 * arithmetic that depends on them. See draft-ietf-opsawg-pcapng §3.5 and §4.2.
 */

/** Option codes this package reads or rewrites. */
export const OptionCode = {
  END: 0,
  COMMENT: 1,
  IF_NAME: 2,
  IF_IPV4ADDR: 4,
  IF_MACADDR: 6,
  IF_TSRESOL: 9,
  IF_FCSLEN: 13,
  IF_TSOFFSET: 14,
} as const;

/** One option: its code and a view of its (unpadded) value. */
export interface PcapngOption {
  code: number;
  value: Buffer;
}

/**
 * Splits an option area into options. Stops at opt_endofopt or at the first option whose
 * length runs past the area (a malformed tail is ignored rather than fatal: options are
 * advisory and the packets are still readable).
 */
export function parseOptions(area: Buffer, littleEndian: boolean): PcapngOption[] {
  const options: PcapngOption[] = [];
  let pos = 0;
  while (pos + 4 <= area.length) {
    const code = littleEndian ? area.readUInt16LE(pos) : area.readUInt16BE(pos);
    const length = littleEndian ? area.readUInt16LE(pos + 2) : area.readUInt16BE(pos + 2);
    if (code === OptionCode.END) break;
    if (pos + 4 + length > area.length) break;
    options.push({ code, value: area.subarray(pos + 4, pos + 4 + length) });
    pos += 4 + length + ((4 - (length % 4)) % 4);
  }
  return options;
}

/** Serialises options (with the closing opt_endofopt), or an empty buffer for none. */
export function encodeOptions(options: PcapngOption[], littleEndian: boolean): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const option of options) {
    const padded = option.value.length + ((4 - (option.value.length % 4)) % 4);
    const part = Buffer.alloc(4 + padded);
    if (littleEndian) {
      part.writeUInt16LE(option.code, 0);
      part.writeUInt16LE(option.value.length, 2);
    } else {
      part.writeUInt16BE(option.code, 0);
      part.writeUInt16BE(option.value.length, 2);
    }
    option.value.copy(part, 4);
    parts.push(part);
  }
  parts.push(Buffer.alloc(4)); // opt_endofopt
  return Buffer.concat(parts);
}

/**
 * Timestamp resolution of an interface: `if_tsresol` with the high bit clear is a negative
 * power of ten, set a negative power of two; absent means microseconds.
 */
export interface TimestampResolution {
  base: 10 | 2;
  exponent: number;
}

/** Default pcapng resolution (microseconds). */
export const MICROSECONDS: TimestampResolution = { base: 10, exponent: 6 };

/** Decodes an `if_tsresol` byte. */
export function decodeTsresol(byte: number): TimestampResolution {
  return byte & 0x80 ? { base: 2, exponent: byte & 0x7f } : { base: 10, exponent: byte };
}

/**
 * Converts a pcapng 64-bit timestamp (in interface units) to seconds + nanoseconds.
 * BigInt because nanosecond timestamps since 1970 exceed 2^53.
 */
export function convertTimestamp(
  high: number,
  low: number,
  resolution: TimestampResolution,
  offsetSeconds: bigint,
): { tsSec: number; tsNsec: number } {
  const units = (BigInt(high) << 32n) | BigInt(low);
  let seconds: bigint;
  let nanos: bigint;
  if (resolution.base === 10) {
    const perSecond = 10n ** BigInt(resolution.exponent);
    seconds = units / perSecond;
    const rest = units % perSecond;
    nanos =
      resolution.exponent <= 9
        ? rest * 10n ** BigInt(9 - resolution.exponent)
        : rest / 10n ** BigInt(resolution.exponent - 9);
  } else {
    const exponent = BigInt(resolution.exponent);
    seconds = units >> exponent;
    nanos = ((units & ((1n << exponent) - 1n)) * 1_000_000_000n) >> exponent;
  }
  return { tsSec: Number(seconds + offsetSeconds), tsNsec: Number(nanos) };
}
