/**
 * Wording of the per-capture VXLAN analysis: inner-flow descriptions and the text of
 * `vxlan-analysis-<host>.txt`. Kept apart from the counting so either can change alone.
 */
import type { Frame } from './decode.js';
import { tcpFlagsText } from './decode.js';
import { textTable } from './text-table.js';
import type { InnerFlowCount, VxlanCaptureSummary } from './vxlan-analysis.js';

const ICMP_NAMES: Record<number, string> = {
  0: 'echo-reply',
  3: 'dest-unreachable',
  5: 'redirect',
  8: 'echo-request',
  11: 'time-exceeded',
};

const LINK_NAMES: Record<number, string> = { 1: 'Ethernet', 101: 'raw IP', 113: 'Linux cooked v1', 228: 'raw IPv4', 229: 'raw IPv6', 276: 'Linux cooked v2' };

/** Protocol, endpoints and detail of an inner frame (counts are added by the caller). */
export function describeInnerFlow(vni: number, inner: Frame): Omit<InnerFlowCount, 'packets'> {
  if (inner.arp) {
    const detail = inner.arp.op === 1 ? 'request' : inner.arp.op === 2 ? 'reply' : `op ${inner.arp.op}`;
    return { vni, protocol: 'arp', src: inner.arp.senderIp, dst: inner.arp.targetIp, detail };
  }
  if (!inner.ip) {
    const macs = inner.link?.src ? `${inner.link.src}` : '?';
    return { vni, protocol: 'unknown', src: macs, dst: inner.link?.dst ?? '?', detail: inner.truncated ? `${inner.truncated} not captured` : inner.unsupported ?? '' };
  }
  const { src, dst } = inner.ip;
  if (inner.ip.version === 6) return { vni, protocol: 'ipv6', src, dst, detail: `next header ${inner.ip.protocol}` };
  if (inner.icmp) return { vni, protocol: 'icmp', src, dst, detail: ICMP_NAMES[inner.icmp.type] ?? `type ${inner.icmp.type}` };
  if (inner.tcp) return { vni, protocol: 'tcp', src, dst, detail: `${inner.tcp.srcPort}→${inner.tcp.dstPort}${inner.tcp.flags & 0x02 ? ` ${tcpFlagsText(inner.tcp.flags)}` : ''}` };
  if (inner.udp) return { vni, protocol: 'udp', src, dst, detail: `${inner.udp.srcPort}→${inner.udp.dstPort}` };
  const names: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };
  return { vni, protocol: names[inner.ip.protocol] ?? `ip-proto-${inner.ip.protocol}`, src, dst, detail: inner.truncated ? `${inner.truncated} not captured` : '' };
}

/** Text of `vxlan-analysis-<host>.txt`. */
export function formatVxlanSummary(s: VxlanCaptureSummary): string {
  const lines: string[] = [];
  lines.push(`VXLAN analysis${s.host ? ` — ${s.host}` : ''}`);
  const links = s.linkTypes.map((t) => `${LINK_NAMES[t] ?? 'link type'} (${t})`).join(', ') || 'no interfaces';
  const snap = s.snapLength === undefined ? '' : ` · snap length ${s.snapLength || 'unlimited'}`;
  lines.push(`Capture: ${s.source ?? '(in memory)'} · ${s.format ?? 'unreadable'} · ${links}${snap}`);
  lines.push(`Packets: ${s.packets} total, ${s.vxlanPackets} VXLAN (UDP destination ports ${s.vxlanPorts.join(', ')})`);
  if (s.first) lines.push(`Time: ${s.first} → ${s.last}`);

  lines.push('', 'VXLAN packets by VNI and port');
  if (s.byVniPort.length === 0) lines.push('  (none)');
  else lines.push(...textTable(['VNI', 'PORT', 'PACKETS'], s.byVniPort.map((v) => [v.vni, v.port, v.packets])));

  lines.push('', 'Underlay pairs (outer source → destination)');
  if (s.pairs.length === 0) lines.push('  (none)');
  else lines.push(...textTable(['SOURCE', 'DESTINATION', 'PORT', 'VNI', 'PACKETS', 'FIRST', 'LAST'], s.pairs.map((p) => [p.src, p.dst, p.port, p.vnis.join(','), p.packets, p.first, p.last])));

  lines.push('', `Inner flows (top ${s.innerFlows.length} of ${s.innerFlowCount})`);
  if (s.innerFlows.length === 0) lines.push('  (none)');
  else lines.push(...textTable(['VNI', 'PROTO', 'SOURCE', 'DESTINATION', 'PACKETS', 'DETAIL'], s.innerFlows.map((f) => [f.vni, f.protocol, f.src, f.dst, f.packets, f.detail])));

  if (s.cutBySnapLength > 0) lines.push('', `${s.cutBySnapLength} of ${s.packets} packets were cut by the snap length (payloads are deliberately not captured).`);
  if (s.notes.length > 0) lines.push('', 'Notes', ...s.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}
