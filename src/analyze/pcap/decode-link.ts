/**
 * Link-layer headers: Ethernet (with 802.1Q / 802.1ad tags), Linux cooked capture v1 and v2
 * (what `tcpdump -i any` writes) and raw IP. Each yields the EtherType of what follows and
 * where it starts, plus the MAC addresses it carries and their offsets (the rewriter needs them).
 */
import { formatMac } from './addresses.js';
import { LinkType } from './types.js';

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, VLAN: 0x8100, QINQ: 0x88a8, IPV6: 0x86dd } as const;

/** Decoded link-layer header. Offsets are into the packet's captured bytes. */
export interface LinkHeader {
  type: 'ethernet' | 'sll' | 'sll2' | 'raw';
  /** Destination MAC (Ethernet only: cooked captures do not record it). */
  dst?: string;
  dstOffset?: number;
  /** Source MAC (Ethernet; SLL/SLL2 when the link-layer address is 6 bytes long). */
  src?: string;
  srcOffset?: number;
  /** VLAN IDs, outermost first. */
  vlans: number[];
  /** EtherType of the payload, after any VLAN tags. */
  etherType: number;
  /** SLL/SLL2 packet type: 0 to us, 1 broadcast, 2 multicast, 3 to someone else, 4 sent by us. */
  packetType?: number;
  /** SLL2 only: the interface index the packet was seen on. */
  ifindex?: number;
  /** First byte after the link header (and any VLAN tags). */
  payloadOffset: number;
}

/** Outcome of link decoding: a header, or why there is none. */
export type LinkResult = { ok: true; link: LinkHeader } | { ok: false; truncated: boolean; reason: string };

/** The captured bytes end inside `header` (the reason is just the header's name). */
const cut = (header: string): LinkResult => ({ ok: false, truncated: true, reason: header });

/** Decodes an Ethernet II frame header starting at `offset` (also used for VXLAN inner frames). */
export function decodeEthernet(data: Buffer, offset = 0): LinkResult {
  if (data.length < offset + 14) return cut('Ethernet header');
  const link: LinkHeader = {
    type: 'ethernet',
    dst: formatMac(data, offset),
    dstOffset: offset,
    src: formatMac(data, offset + 6),
    srcOffset: offset + 6,
    vlans: [],
    etherType: data.readUInt16BE(offset + 12),
    payloadOffset: offset + 14,
  };
  return skipVlanTags(data, link);
}

/** Follows 802.1Q/802.1ad tags so `etherType` names the real payload. */
function skipVlanTags(data: Buffer, link: LinkHeader): LinkResult {
  while (link.etherType === EtherType.VLAN || link.etherType === EtherType.QINQ) {
    if (data.length < link.payloadOffset + 4) return cut('VLAN tag');
    link.vlans.push(data.readUInt16BE(link.payloadOffset) & 0x0fff);
    link.etherType = data.readUInt16BE(link.payloadOffset + 2);
    link.payloadOffset += 4;
  }
  return { ok: true, link };
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header). */
function decodeSll(data: Buffer): LinkResult {
  if (data.length < 16) return cut('Linux cooked (SLL) header');
  const addressLength = data.readUInt16BE(4);
  const link: LinkHeader = {
    type: 'sll',
    vlans: [],
    packetType: data.readUInt16BE(0),
    etherType: data.readUInt16BE(14),
    payloadOffset: 16,
  };
  if (addressLength === 6) Object.assign(link, { src: formatMac(data, 6), srcOffset: 6 });
  return skipVlanTags(data, link);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header, carries the ifindex). */
function decodeSll2(data: Buffer): LinkResult {
  if (data.length < 20) return cut('Linux cooked (SLL2) header');
  const link: LinkHeader = {
    type: 'sll2',
    vlans: [],
    etherType: data.readUInt16BE(0),
    ifindex: data.readUInt32BE(4),
    packetType: data[10],
    payloadOffset: 20,
  };
  if (data[11] === 6) Object.assign(link, { src: formatMac(data, 12), srcOffset: 12 });
  return skipVlanTags(data, link);
}

/** Raw IP: the version nibble decides (LINKTYPE_RAW), or the link type itself does. */
function decodeRaw(data: Buffer, linkType: number): LinkResult {
  if (data.length < 1) return cut('raw IP header');
  const version = linkType === LinkType.IPV4 ? 4 : linkType === LinkType.IPV6 ? 6 : data[0] >> 4;
  const etherType = version === 4 ? EtherType.IPV4 : version === 6 ? EtherType.IPV6 : 0;
  if (!etherType) return { ok: false, truncated: false, reason: `raw packet with IP version ${version}` };
  return { ok: true, link: { type: 'raw', vlans: [], etherType, payloadOffset: 0 } };
}

/** Decodes the link-layer header for one of the supported link types. */
export function decodeLink(linkType: number, data: Buffer): LinkResult {
  switch (linkType) {
    case LinkType.ETHERNET:
      return decodeEthernet(data, 0);
    case LinkType.LINUX_SLL:
      return decodeSll(data);
    case LinkType.LINUX_SLL2:
      return decodeSll2(data);
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return decodeRaw(data, linkType);
    default:
      return { ok: false, truncated: false, reason: `unsupported link type ${linkType}` };
  }
}
