/**
 * Packet decoding from the link layer up: IPv4 / IPv6 (basic extension headers), ARP, UDP,
 * TCP, ICMP / ICMPv6, and VXLAN on a configurable set of UDP destination ports (inner Ethernet,
 * inner IP, inner transport). Captures are taken with a small snap length, so every layer
 * tolerates missing bytes: decoding stops at the first header that was cut and says where.
 */
import { formatIpv4, formatIpv6, formatMac } from './addresses.js';
import { EtherType, decodeEthernet, decodeLink, type LinkHeader, type LinkResult } from './decode-link.js';
import type { CaptureRecord } from './types.js';

export { EtherType, type LinkHeader } from './decode-link.js';

/** IP protocol numbers the decoder looks into. */
export const IpProtocol = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/** flannel/Cilium (8472) and IANA/Calico (4789) VXLAN ports. */
export const DEFAULT_VXLAN_PORTS: ReadonlySet<number> = new Set([8472, 4789]);

/** IPv4 header. `offset` is where it starts in the captured bytes. */
export interface Ipv4Header {
  version: 4;
  offset: number;
  headerLength: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In bytes. Non-zero means a later fragment: no transport header follows. */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  src: string;
  dst: string;
}

/** IPv6 header; `protocol` is the upper-layer protocol after the extension headers skipped. */
export interface Ipv6Header {
  version: 6;
  offset: number;
  /** Fixed header plus the extension headers that were skipped. */
  headerLength: number;
  payloadLength: number;
  hopLimit: number;
  protocol: number;
  src: string;
  dst: string;
}

export type IpHeader = Ipv4Header | Ipv6Header;

export interface UdpHeader { offset: number; srcPort: number; dstPort: number; length: number; checksum: number }
export interface TcpHeader { offset: number; srcPort: number; dstPort: number; flags: number; headerLength: number }

/** ICMP (v4 or v6). For v4 error messages, `embedded` is the offending packet's IPv4 header. */
export interface IcmpHeader { offset: number; v6: boolean; type: number; code: number; checksum: number; embedded?: Ipv4Header }

/** Ethernet/IPv4 ARP. */
export interface ArpHeader { offset: number; op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string }

/** VXLAN header (RFC 7348) and the frame it carries. */
export interface VxlanHeader {
  offset: number;
  /** UDP destination port that identified it. */
  port: number;
  /** Flags byte; 0x08 (I) means the VNI is valid. */
  flags: number;
  vni: number;
  inner: Frame;
}

/** One decoded frame (the captured packet, or the inner frame of a VXLAN packet). */
export interface Frame {
  link?: LinkHeader;
  arp?: ArpHeader;
  ip?: IpHeader;
  udp?: UdpHeader;
  tcp?: TcpHeader;
  icmp?: IcmpHeader;
  vxlan?: VxlanHeader;
  /** Set when the snap length cut a header: names the header. */
  truncated?: string;
  /** Set when decoding stopped at something this decoder does not parse. */
  unsupported?: string;
  /** First byte not covered by a decoded header (payload, or the unparsed rest). */
  payloadOffset: number;
}

/** Decoder options. */
export interface DecodeOptions {
  /** UDP destination ports treated as VXLAN (default 8472 and 4789). */
  vxlanPorts?: ReadonlySet<number>;
}

/** Decodes a captured packet of the given link type. Never throws on malformed bytes. */
export function decodePacket(linkType: number, data: Buffer, options: DecodeOptions = {}): Frame {
  return decodeFrame(decodeLink(linkType, data), data, options.vxlanPorts ?? DEFAULT_VXLAN_PORTS, 0);
}

/** Convenience: {@link decodePacket} for a record from the reader. */
export function decodeRecord(record: CaptureRecord, options: DecodeOptions = {}): Frame {
  return decodePacket(record.linkType, record.data, options);
}

function decodeFrame(result: LinkResult, data: Buffer, vxlanPorts: ReadonlySet<number>, depth: number): Frame {
  if (!result.ok) return { [result.truncated ? 'truncated' : 'unsupported']: result.reason, payloadOffset: 0 };
  const frame: Frame = { link: result.link, payloadOffset: result.link.payloadOffset };
  const at = result.link.payloadOffset;
  switch (result.link.etherType) {
    case EtherType.IPV4:
      decodeIpv4Packet(frame, data, at, vxlanPorts, depth);
      break;
    case EtherType.IPV6:
      decodeIpv6Packet(frame, data, at);
      break;
    case EtherType.ARP:
      decodeArp(frame, data, at);
      break;
    default:
      frame.unsupported = `EtherType 0x${result.link.etherType.toString(16).padStart(4, '0')}`;
  }
  return frame;
}

/** Parses the fixed IPv4 header; undefined when fewer than 20 bytes were captured. */
export function decodeIpv4Header(data: Buffer, at: number): Ipv4Header | undefined {
  if (data.length < at + 20 || data[at] >> 4 !== 4) return undefined;
  const flagsFragment = data.readUInt16BE(at + 6);
  return {
    version: 4,
    offset: at,
    headerLength: (data[at] & 0x0f) * 4,
    totalLength: data.readUInt16BE(at + 2),
    id: data.readUInt16BE(at + 4),
    dontFragment: (flagsFragment & 0x4000) !== 0,
    moreFragments: (flagsFragment & 0x2000) !== 0,
    fragmentOffset: (flagsFragment & 0x1fff) * 8,
    ttl: data[at + 8],
    protocol: data[at + 9],
    checksum: data.readUInt16BE(at + 10),
    src: formatIpv4(data, at + 12),
    dst: formatIpv4(data, at + 16),
  };
}

function decodeIpv4Packet(frame: Frame, data: Buffer, at: number, vxlanPorts: ReadonlySet<number>, depth: number): void {
  const ip = decodeIpv4Header(data, at);
  if (!ip) {
    if (data.length < at + 20) frame.truncated = 'IPv4 header';
    else frame.unsupported = `IP version ${data[at] >> 4} in an IPv4 frame`;
    return;
  }
  frame.ip = ip;
  const l4 = at + ip.headerLength;
  frame.payloadOffset = Math.min(l4, data.length);
  if (ip.headerLength < 20) return void (frame.unsupported = `IPv4 header length ${ip.headerLength}`);
  if (data.length < l4) return void (frame.truncated = 'IPv4 options');
  if (ip.fragmentOffset !== 0) return; // later fragment: no transport header
  decodeTransport(frame, data, l4, ip.protocol, vxlanPorts, depth);
}

const NO_PORTS: ReadonlySet<number> = new Set();

/** Extension headers skipped to reach the upper layer: hop-by-hop, routing, fragment, dst opts. */
const IPV6_EXTENSIONS = new Set([0, 43, 44, 60]);

function decodeIpv6Packet(frame: Frame, data: Buffer, at: number): void {
  if (data.length < at + 40) return void (frame.truncated = 'IPv6 header');
  let protocol = data[at + 6];
  let next = at + 40;
  while (IPV6_EXTENSIONS.has(protocol)) {
    if (data.length < next + 8) return void (frame.truncated = 'IPv6 extension header');
    const length = protocol === 44 ? 8 : (data[next + 1] + 1) * 8;
    protocol = data[next];
    next += length;
  }
  frame.ip = {
    version: 6,
    offset: at,
    headerLength: next - at,
    payloadLength: data.readUInt16BE(at + 4),
    hopLimit: data[at + 7],
    protocol,
    src: formatIpv6(data, at + 8),
    dst: formatIpv6(data, at + 24),
  };
  frame.payloadOffset = Math.min(next, data.length);
  if (data.length < next) return void (frame.truncated = 'IPv6 extension header');
  // No VXLAN over an IPv6 underlay here: the lab and the clusters netdiag targets use IPv4.
  decodeTransport(frame, data, next, protocol, NO_PORTS, 1);
}

function decodeArp(frame: Frame, data: Buffer, at: number): void {
  if (data.length < at + 28) return void (frame.truncated = 'ARP packet');
  if (data.readUInt16BE(at + 2) !== EtherType.IPV4 || data[at + 4] !== 6 || data[at + 5] !== 4) {
    return void (frame.unsupported = 'ARP for something other than Ethernet/IPv4');
  }
  frame.arp = {
    offset: at,
    op: data.readUInt16BE(at + 6),
    senderMac: formatMac(data, at + 8),
    senderIp: formatIpv4(data, at + 14),
    targetMac: formatMac(data, at + 18),
    targetIp: formatIpv4(data, at + 24),
  };
  frame.payloadOffset = at + 28;
}

/** ICMPv4 types whose body starts with the offending packet's IP header (RFC 792). */
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

function decodeTransport(frame: Frame, data: Buffer, at: number, protocol: number, vxlanPorts: ReadonlySet<number>, depth: number): void {
  switch (protocol) {
    case IpProtocol.UDP: {
      if (data.length < at + 8) return void (frame.truncated = 'UDP header');
      const udp: UdpHeader = {
        offset: at,
        srcPort: data.readUInt16BE(at),
        dstPort: data.readUInt16BE(at + 2),
        length: data.readUInt16BE(at + 4),
        checksum: data.readUInt16BE(at + 6),
      };
      frame.udp = udp;
      frame.payloadOffset = at + 8;
      if (depth === 0 && vxlanPorts.has(udp.dstPort)) decodeVxlan(frame, data, at + 8, udp.dstPort, vxlanPorts);
      return;
    }
    case IpProtocol.TCP: {
      if (data.length < at + 20) return void (frame.truncated = 'TCP header');
      const headerLength = (data[at + 12] >> 4) * 4;
      frame.tcp = { offset: at, srcPort: data.readUInt16BE(at), dstPort: data.readUInt16BE(at + 2), flags: data[at + 13], headerLength };
      frame.payloadOffset = Math.min(at + headerLength, data.length);
      return;
    }
    case IpProtocol.ICMP:
    case IpProtocol.ICMPV6: {
      if (data.length < at + 8) return void (frame.truncated = 'ICMP header');
      const v6 = protocol === IpProtocol.ICMPV6;
      const icmp: IcmpHeader = { offset: at, v6, type: data[at], code: data[at + 1], checksum: data.readUInt16BE(at + 2) };
      if (!v6 && ICMP_ERRORS.has(icmp.type)) icmp.embedded = decodeIpv4Header(data, at + 8);
      frame.icmp = icmp;
      frame.payloadOffset = at + 8;
      return;
    }
    default:
      frame.unsupported = `IP protocol ${protocol}`;
  }
}

function decodeVxlan(frame: Frame, data: Buffer, at: number, port: number, vxlanPorts: ReadonlySet<number>): void {
  if (data.length < at + 8) return void (frame.truncated = 'VXLAN header');
  const inner = decodeFrame(decodeEthernet(data, at + 8), data, vxlanPorts, 1);
  frame.vxlan = { offset: at, port, flags: data[at], vni: data.readUIntBE(at + 4, 3), inner };
  frame.payloadOffset = at + 8;
}

/** `SYN,ACK`-style text for TCP flags. */
export function tcpFlagsText(flags: number): string {
  const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];
  return names.filter((_, bit) => flags & (1 << bit)).join(',') || 'none';
}
