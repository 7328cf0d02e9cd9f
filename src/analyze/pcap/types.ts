/**
 * Shared shapes of the pcap/pcapng reader. Kept free of I/O so analyzers and the bundle
 * obfuscator can depend on them without pulling in `fs`.
 */

/** Link-layer header types (tcpdump.org/linktypes.html) the decoder understands. */
export const LinkType = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** Container format of a capture file. */
export type CaptureFormat = 'pcap' | 'pcapng';

/** One capture interface: the single pseudo-interface of a pcap file or a pcapng IDB. */
export interface CaptureInterface {
  /** Index within its pcapng section (0 for pcap). */
  id: number;
  /** pcapng section number the interface belongs to (0 for pcap and the first section). */
  section: number;
  linkType: number;
  /** Snap length announced by the file (0 = unlimited in pcapng). */
  snapLength: number;
  /** `if_name` option, when the file carries one. */
  name?: string;
}

/**
 * One captured packet. `data` holds only the captured bytes; `originalLength` is what was on
 * the wire, so `capturedLength < originalLength` means the snap length cut the packet.
 */
export interface CaptureRecord {
  /** 0-based position among the packets of the file. */
  index: number;
  /** Interface the packet came from (see {@link CaptureInterface}). */
  interfaceId: number;
  linkType: number;
  /** Whole seconds since the Unix epoch. */
  tsSec: number;
  /** Nanoseconds within the second (0 … 999 999 999). */
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  data: Buffer;
}

/** What the reader learned about a file, complete once iteration has finished. */
export interface CaptureInfo {
  /** Undefined until the first bytes were recognised (and for files that are not captures). */
  format?: CaptureFormat;
  /** Byte order of the (last) section: pcap/pcapng files may be written in either. */
  byteOrder?: 'LE' | 'BE';
  /** pcap only: true for the nanosecond-resolution magic. */
  nanosecond?: boolean;
  interfaces: CaptureInterface[];
  packets: number;
  /** pcapng blocks skipped because the reader does not need them (NRB, ISB, custom, …). */
  skippedBlocks: number;
  /** The file ended inside a record or block: everything before it was delivered. */
  truncated: boolean;
  /** The bytes stopped making sense (bad magic, impossible length): reading stopped there. */
  error?: string;
}

/** 0-based byte position of a problem, for error messages that point into the file. */
export function describeOffset(offset: number): string {
  return `at byte ${offset} (0x${offset.toString(16)})`;
}

/** Formats a record's timestamp as an ISO-8601 UTC string with microseconds. */
export function formatTimestamp(tsSec: number, tsNsec: number): string {
  const iso = new Date(tsSec * 1000).toISOString(); // 2026-12-03T07:17:38.000Z
  const micros = Math.floor(tsNsec / 1000).toString().padStart(6, '0');
  return `${iso.slice(0, 19)}.${micros}Z`;
}
