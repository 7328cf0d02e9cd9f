/**
 * Packet-capture decoding for netdiag's analyzers, in TypeScript only (no tshark, no native
 * modules): read pcap/pcapng, decode Ethernet/SLL/SLL2/raw → IPv4/IPv6 → UDP/TCP/ICMP → VXLAN,
 * summarise VXLAN per capture, judge node pairs in a flow table, and rewrite addresses for
 * obfuscated bundles.
 */
export { LinkType, formatTimestamp, type CaptureFormat, type CaptureInfo, type CaptureInterface, type CaptureRecord } from './types.js';
export { CaptureReader, readCapture, readCaptureSync, type CaptureUnit, type ReadOptions } from './read.js';
export {
  DEFAULT_VXLAN_PORTS,
  EtherType,
  IpProtocol,
  decodeIpv4Header,
  decodePacket,
  decodeRecord,
  tcpFlagsText,
  type ArpHeader,
  type DecodeOptions,
  type Frame,
  type IcmpHeader,
  type IpHeader,
  type Ipv4Header,
  type Ipv6Header,
  type LinkHeader,
  type TcpHeader,
  type UdpHeader,
  type VxlanHeader,
} from './decode.js';
export {
  VxlanSummaryBuilder,
  buildFlowTable,
  formatFlowTable,
  formatVxlanSummary,
  summarizeRecords,
  type FlowRow,
  type FlowTable,
  type FlowTableInput,
  type FlowVerdict,
  type InnerFlowCount,
  type OuterPairCount,
  type VniPortCount,
  type VxlanAnalysisOptions,
  type VxlanCaptureSummary,
} from './vxlan-analysis.js';
export { summarizeCapture } from './summarize-file.js';
export { rewriteCapture, rewriteCaptureToBuffer, type AddressMaps, type RewriteOptions, type RewriteResult } from './rewrite.js';
export { formatIpv4, formatIpv6, formatMac, parseIpv4, parseMac } from './addresses.js';
