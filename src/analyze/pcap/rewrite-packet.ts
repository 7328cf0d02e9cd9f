/**
 * Rewrites the addresses of one captured packet in place: MACs (Ethernet, cooked-capture
 * source, inner VXLAN Ethernet, ARP), IPv4 addresses (outer, inner VXLAN, ARP, the offending
 * header quoted by ICMP errors, ICMP redirect gateways). Checksums stay valid: IPv4 header
 * checksums are recomputed, TCP/UDP/ICMP checksums are updated incrementally from the exact
 * bytes changed — the snap length rarely leaves the whole payload a checksum covers.
 */
import { parseIpv4, parseMac } from './addresses.js';
import { adjustChecksum, addOnesComplement, internetChecksum, replacementDelta } from './checksum.js';
import { decodePacket, IpProtocol, type Frame, type Ipv4Header } from './decode.js';

/** Caller-supplied pseudonym functions (must be deterministic; results are cached). */
export interface AddressMaps {
  /** Maps a dotted-quad IPv4 address to another dotted quad. */
  mapIp(ip: string): string;
  /** Maps a lower-case `aa:bb:cc:dd:ee:ff` MAC to another MAC. */
  mapMac(mac: string): string;
}

/** Per-packet policy shared by every packet of a file. */
export interface PacketRewritePolicy {
  vxlanPorts?: ReadonlySet<number>;
  /** Zero bytes past the last decoded header (payloads may quote addresses: DNS, BGP, HTTP). */
  scrubPayloads: boolean;
  /** What to do with packets whose addresses cannot be rewritten (IPv6, unknown EtherTypes, link types). */
  unsupported: 'drop' | 'scrub';
}

/** Outcome for one packet: kept (possibly changed) or to be dropped, with why. */
export type PacketOutcome = { keep: true; addresses: number } | { keep: false; reason: string };

/** Addresses that carry no identity (unspecified, broadcast) and are kept as they are. */
const KEEP_IPS = new Set(['0.0.0.0', '255.255.255.255']);
const KEEP_MACS = new Set(['00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff']);
const ICMP_ERRORS = new Set([3, 4, 5, 11, 12]);

/** Records every byte change with its checksum effect, so enclosing checksums can be fixed. */
class Patcher {
  readonly changes: Array<{ offset: number; delta: number }> = [];
  addresses = 0;
  constructor(readonly data: Buffer) {}

  write(offset: number, bytes: Buffer): void {
    if (this.data.subarray(offset, offset + bytes.length).equals(bytes)) return;
    this.changes.push({ offset, delta: replacementDelta(this.data, offset, bytes) });
    bytes.copy(this.data, offset);
  }

  zeroFrom(offset: number): void {
    if (offset < this.data.length) this.write(offset, Buffer.alloc(this.data.length - offset));
  }

  /** Combined checksum effect of the changes at offsets in [start, end). */
  deltaWithin(start: number, end: number): number {
    return this.changes.filter((c) => c.offset >= start && c.offset < end).reduce((sum, c) => addOnesComplement(sum, c.delta), 0);
  }
}

/** Rewrites a packet of `linkType` in place. `cache` memoises the caller's map functions. */
export function rewritePacket(linkType: number, data: Buffer, maps: AddressMaps, policy: PacketRewritePolicy, cache: Map<string, Buffer>): PacketOutcome {
  const frame = decodePacket(linkType, data, { vxlanPorts: policy.vxlanPorts });
  const patcher = new Patcher(data);
  const ctx = { maps, policy, cache, patcher };
  if (!frame.link) {
    if (!frame.truncated && policy.unsupported === 'drop') return { keep: false, reason: frame.unsupported ?? 'undecodable' };
    patcher.zeroFrom(0); // a cut link header may hold part of a MAC
    return { keep: true, addresses: 0 };
  }
  const supported = rewriteFrame(frame, ctx);
  if (!supported && policy.unsupported === 'drop') {
    return { keep: false, reason: frame.ip?.version === 6 ? 'IPv6 (addresses not mapped)' : (frame.unsupported ?? 'unsupported') };
  }
  return { keep: true, addresses: patcher.addresses };
}

interface Context {
  maps: AddressMaps;
  policy: PacketRewritePolicy;
  cache: Map<string, Buffer>;
  patcher: Patcher;
}

function mapped(ctx: Context, kind: 'ip' | 'mac', text: string): Buffer {
  const key = `${kind}:${text}`;
  let bytes = ctx.cache.get(key);
  if (!bytes) {
    const out = kind === 'ip' ? ctx.maps.mapIp(text) : ctx.maps.mapMac(text);
    bytes = kind === 'ip' ? parseIpv4(out) : parseMac(out);
    if (!bytes) throw new Error(`${kind === 'ip' ? 'mapIp' : 'mapMac'}(${text}) returned ${JSON.stringify(out)}, which is not a valid ${kind === 'ip' ? 'IPv4' : 'MAC'} address`);
    if (ctx.cache.size > 100_000) ctx.cache.clear();
    ctx.cache.set(key, bytes);
  }
  return bytes;
}

function patchMac(ctx: Context, offset: number | undefined, mac: string | undefined): void {
  if (offset === undefined || mac === undefined || KEEP_MACS.has(mac)) return;
  ctx.patcher.write(offset, mapped(ctx, 'mac', mac));
  ctx.patcher.addresses += 1;
}

function patchIp(ctx: Context, offset: number, ip: string): void {
  if (KEEP_IPS.has(ip)) return;
  ctx.patcher.write(offset, mapped(ctx, 'ip', ip));
  ctx.patcher.addresses += 1;
}

/** Rewrites one frame (outer or VXLAN inner). Returns false when its network layer is unsupported. */
function rewriteFrame(frame: Frame, ctx: Context): boolean {
  const link = frame.link!;
  patchMac(ctx, link.dstOffset, link.dst);
  patchMac(ctx, link.srcOffset, link.src);
  if (frame.arp) {
    const { arp } = frame;
    patchMac(ctx, arp.offset + 8, arp.senderMac);
    patchIp(ctx, arp.offset + 14, arp.senderIp);
    patchMac(ctx, arp.offset + 18, arp.targetMac);
    patchIp(ctx, arp.offset + 24, arp.targetIp);
    ctx.patcher.zeroFrom(frame.payloadOffset); // Ethernet padding
    return true;
  }
  if (frame.ip?.version === 4 && frame.ip.headerLength >= 20) {
    rewriteIpv4(frame, frame.ip, ctx);
    return true;
  }
  // IPv6, unknown EtherType, or a cut IPv4 header: nothing past the link header is trusted.
  ctx.patcher.zeroFrom(link.payloadOffset);
  return Boolean(frame.truncated);
}

function rewriteIpv4(frame: Frame, ip: Ipv4Header, ctx: Context): void {
  const { patcher } = ctx;
  patchIp(ctx, ip.offset + 12, ip.src);
  patchIp(ctx, ip.offset + 16, ip.dst);
  const pseudoHeaderDelta = patcher.deltaWithin(ip.offset + 12, ip.offset + 20);
  const l4 = frame.udp ?? frame.tcp ?? frame.icmp;

  if (frame.vxlan) {
    const inner = frame.vxlan.inner;
    if (inner.link) rewriteFrame(inner, ctx);
    else patcher.zeroFrom(frame.vxlan.offset + 8); // cut inner Ethernet header
  } else if (frame.icmp && !frame.icmp.v6 && ICMP_ERRORS.has(frame.icmp.type)) {
    rewriteIcmpError(frame, ctx);
  } else if (ctx.policy.scrubPayloads || !l4) {
    // Without a transport header (other protocols, later fragments) the rest is opaque.
    patcher.zeroFrom(frame.payloadOffset);
  }

  if (l4 && l4.offset % 2 === 0) fixTransportChecksum(frame, ip, pseudoHeaderDelta, ctx);
  if (patcher.data.length >= ip.offset + ip.headerLength) {
    const header = Buffer.from(patcher.data.subarray(ip.offset, ip.offset + ip.headerLength));
    header.writeUInt16BE(0, 10);
    const sum = Buffer.alloc(2);
    sum.writeUInt16BE(internetChecksum(header, 0, header.length));
    patcher.write(ip.offset + 10, sum);
  }
}

/** ICMP errors quote the offending packet's IP header (+8 bytes); redirects name a gateway. */
function rewriteIcmpError(frame: Frame, ctx: Context): void {
  const icmp = frame.icmp!;
  const { patcher } = ctx;
  if (icmp.type === 5 && patcher.data.length >= icmp.offset + 8) {
    patchIp(ctx, icmp.offset + 4, `${patcher.data.subarray(icmp.offset + 4, icmp.offset + 8).join('.')}`);
  }
  const quoted = icmp.embedded;
  if (!quoted) return patcher.zeroFrom(icmp.offset + 8);
  patchIp(ctx, quoted.offset + 12, quoted.src);
  patchIp(ctx, quoted.offset + 16, quoted.dst);
  if (patcher.data.length >= quoted.offset + quoted.headerLength) {
    const header = Buffer.from(patcher.data.subarray(quoted.offset, quoted.offset + quoted.headerLength));
    header.writeUInt16BE(0, 10);
    const sum = Buffer.alloc(2);
    sum.writeUInt16BE(internetChecksum(header, 0, header.length));
    patcher.write(quoted.offset + 10, sum);
  }
  // Keep the quoted transport ports (8 bytes) the RFC guarantees; anything after is payload.
  if (ctx.policy.scrubPayloads) patcher.zeroFrom(quoted.offset + quoted.headerLength + 8);
}

/** Incremental update of the TCP/UDP/ICMP checksum for every change inside the datagram. */
function fixTransportChecksum(frame: Frame, ip: Ipv4Header, pseudoHeaderDelta: number, ctx: Context): void {
  const { patcher } = ctx;
  const end = Math.min(patcher.data.length, ip.offset + Math.max(ip.totalLength, ip.headerLength));
  let field: number | undefined;
  let delta = 0;
  let udp = false;
  if (frame.udp) {
    if (frame.udp.checksum === 0) return; // "no checksum" (what Linux VXLAN sends by default)
    [field, udp] = [frame.udp.offset + 6, true];
    delta = addOnesComplement(pseudoHeaderDelta, patcher.deltaWithin(frame.udp.offset, end));
  } else if (frame.tcp) {
    field = frame.tcp.offset + 16;
    delta = addOnesComplement(pseudoHeaderDelta, patcher.deltaWithin(frame.tcp.offset, end));
  } else if (frame.icmp && ip.protocol === IpProtocol.ICMP) {
    field = frame.icmp.offset + 2; // ICMPv4 has no pseudo-header
    delta = patcher.deltaWithin(frame.icmp.offset, end);
  }
  if (field === undefined || patcher.data.length < field + 2) return;
  const updated = Buffer.alloc(2);
  updated.writeUInt16BE(adjustChecksum(patcher.data.readUInt16BE(field), delta, udp));
  patcher.write(field, updated);
}
