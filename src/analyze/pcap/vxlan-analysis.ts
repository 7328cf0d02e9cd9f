/**
 * Per-capture VXLAN summary: what one node's tcpdump saw of the overlay. Pure: records go in
 * (from read.ts, or from a test), a JSON-able summary and the text of
 * `vxlan-analysis-<host>.txt` come out. The cluster-wide flow table lives in flow-table.ts.
 */
import { DEFAULT_VXLAN_PORTS, decodeRecord, type Frame } from './decode.js';
import { formatTimestamp, type CaptureInfo, type CaptureRecord } from './types.js';
import { describeInnerFlow } from './vxlan-text.js';

export { formatVxlanSummary } from './vxlan-text.js';
export { buildFlowTable, formatFlowTable, type FlowRow, type FlowTable, type FlowTableInput, type FlowVerdict } from './flow-table.js';

/** Options of the VXLAN summary. */
export interface VxlanAnalysisOptions {
  /** UDP destination ports that are VXLAN (default 8472 and 4789). */
  vxlanPorts?: Iterable<number>;
  /** Inner flows listed in the summary (default 20). */
  topFlows?: number;
  /** Distinct inner flows tracked before the rest are only counted (bounds memory; default 50 000). */
  maxTrackedFlows?: number;
}

/** VXLAN packets for one VNI on one UDP port. */
export interface VniPortCount { vni: number; port: number; packets: number }

/** VXLAN packets between one pair of underlay (outer) addresses on one UDP port, in one direction. */
export interface OuterPairCount {
  src: string;
  dst: string;
  port: number;
  packets: number;
  vnis: number[];
  /** ISO-8601 UTC timestamps (µs) of the first and last packet. */
  first: string;
  last: string;
}

/** Packets of one inner (overlay) flow. */
export interface InnerFlowCount {
  vni: number;
  /** `icmp`, `tcp`, `udp`, `arp`, `ipv6`, `ip-proto-N`, or `unknown` when the inner headers were cut. */
  protocol: string;
  src: string;
  dst: string;
  /** ICMP type name or `srcPort→dstPort`. */
  detail: string;
  packets: number;
}

/** What one capture shows of the overlay. JSON-able. */
export interface VxlanCaptureSummary {
  host?: string;
  /** Capture file the summary was made from, as given by the caller. */
  source?: string;
  format?: 'pcap' | 'pcapng';
  linkTypes: number[];
  /** Largest snap length among the capture's interfaces (0 = unlimited). */
  snapLength?: number;
  truncated: boolean;
  /** The capture could not be read (fully): reason. */
  readError?: string;
  vxlanPorts: number[];
  packets: number;
  vxlanPackets: number;
  first?: string;
  last?: string;
  /** Packets whose captured length is below their wire length (normal with a small snap length). */
  cutBySnapLength: number;
  /** VXLAN packets whose inner IP header was not captured. */
  innerHeadersCut: number;
  /** Packets of a link type or encapsulation the decoder does not parse. */
  undecodable: number;
  /** The same VXLAN packet seen again on another interface (`tcpdump -i any`), counted once. */
  duplicatesIgnored: number;
  byVniPort: VniPortCount[];
  pairs: OuterPairCount[];
  innerFlows: InnerFlowCount[];
  /** Distinct inner flows tracked (≥ innerFlows.length), +1 when some went untracked. */
  innerFlowCount: number;
  /** Packets of flows beyond `maxTrackedFlows`, counted but not told apart. */
  untrackedFlowPackets: number;
  /** Human-readable remarks (zero VXLAN packets, cut headers, read problems). */
  notes: string[];
}

interface PairState { src: string; dst: string; port: number; packets: number; vnis: Set<number>; first: [number, number]; last: [number, number] }

/** Window in which the same packet on another interface counts as a duplicate. */
const DUPLICATE_WINDOW_MS = 50;
const RECENT_KEYS = 4096;

/**
 * Accumulates records one at a time (constant memory apart from the bounded flow table), then
 * {@link finish}es into a {@link VxlanCaptureSummary}.
 */
export class VxlanSummaryBuilder {
  private readonly ports: ReadonlySet<number>;
  private packets = 0;
  private vxlanPackets = 0;
  private cutBySnapLength = 0;
  private innerHeadersCut = 0;
  private undecodable = 0;
  private duplicatesIgnored = 0;
  private first?: [number, number];
  private last?: [number, number];
  private readonly byVniPort = new Map<string, VniPortCount>();
  private readonly pairs = new Map<string, PairState>();
  private readonly flows = new Map<string, InnerFlowCount>();
  private untrackedFlowPackets = 0;
  private readonly recent = new Map<string, { interfaceId: number; ms: number }>();

  constructor(private readonly options: VxlanAnalysisOptions = {}) {
    this.ports = options.vxlanPorts ? new Set(options.vxlanPorts) : DEFAULT_VXLAN_PORTS;
  }

  /** Adds one captured packet. */
  add(record: CaptureRecord): void {
    this.packets += 1;
    const ts: [number, number] = [record.tsSec, record.tsNsec];
    if (!this.first || compareTs(ts, this.first) < 0) this.first = ts;
    if (!this.last || compareTs(ts, this.last) > 0) this.last = ts;
    if (record.capturedLength < record.originalLength) this.cutBySnapLength += 1;
    const frame = decodeRecord(record, { vxlanPorts: this.ports });
    if (frame.unsupported && !frame.ip) this.undecodable += 1;
    if (!frame.vxlan || frame.ip?.version !== 4) return;
    if (this.isDuplicate(record, frame)) return;
    this.countVxlan(frame, ts);
  }

  /**
   * `tcpdump -i any` sees a tunnel packet once per interface it crosses (e.g. a bridge and its
   * uplink). Counting it twice would make "sent" look larger than "received", so a packet with
   * the same outer addresses, IP id and UDP source port on another interface within 50 ms is
   * counted once.
   */
  private isDuplicate(record: CaptureRecord, frame: Frame): boolean {
    const ip = frame.ip!;
    const innerIp = frame.vxlan!.inner.ip;
    // The inner IP id too: tunnel packets with DF set may all carry outer id 0.
    const key = `${ip.src}|${ip.dst}|${ip.version === 4 ? ip.id : 0}|${frame.udp!.srcPort}|${frame.vxlan!.vni}|${innerIp?.version === 4 ? innerIp.id : '-'}`;
    const interfaceId = frame.link?.ifindex ?? record.interfaceId;
    const ms = record.tsSec * 1000 + record.tsNsec / 1e6; // µs precision is plenty for a 50 ms window
    const seen = this.recent.get(key);
    if (seen && seen.interfaceId !== interfaceId && Math.abs(ms - seen.ms) < DUPLICATE_WINDOW_MS) {
      this.duplicatesIgnored += 1;
      return true;
    }
    this.recent.delete(key);
    this.recent.set(key, { interfaceId, ms });
    if (this.recent.size > RECENT_KEYS) this.recent.delete(this.recent.keys().next().value!);
    return false;
  }

  private countVxlan(frame: Frame, ts: [number, number]): void {
    const { vxlan, ip } = frame as Required<Pick<Frame, 'vxlan' | 'ip'>>;
    this.vxlanPackets += 1;
    const vniKey = `${vxlan.vni}|${vxlan.port}`;
    const vniCount = this.byVniPort.get(vniKey) ?? { vni: vxlan.vni, port: vxlan.port, packets: 0 };
    vniCount.packets += 1;
    this.byVniPort.set(vniKey, vniCount);

    const pairKey = `${ip.src}>${ip.dst}:${vxlan.port}`;
    let pair = this.pairs.get(pairKey);
    if (!pair) {
      pair = { src: ip.src, dst: ip.dst, port: vxlan.port, packets: 0, vnis: new Set(), first: ts, last: ts };
      this.pairs.set(pairKey, pair);
    }
    pair.packets += 1;
    pair.vnis.add(vxlan.vni);
    if (compareTs(ts, pair.first) < 0) pair.first = ts;
    if (compareTs(ts, pair.last) > 0) pair.last = ts;

    const inner = vxlan.inner;
    if (!inner.ip && !inner.arp) this.innerHeadersCut += 1;
    const flow = describeInnerFlow(vxlan.vni, inner);
    const flowKey = `${flow.vni}|${flow.protocol}|${flow.src}|${flow.dst}|${flow.detail}`;
    const existing = this.flows.get(flowKey);
    if (existing) existing.packets += 1;
    else if (this.flows.size < (this.options.maxTrackedFlows ?? 50_000)) this.flows.set(flowKey, { ...flow, packets: 1 });
    else this.untrackedFlowPackets += 1;
  }

  /** Builds the summary; `info` comes from the reader once iteration has finished. */
  finish(info: CaptureInfo, meta: { host?: string; source?: string } = {}): VxlanCaptureSummary {
    const ports = [...this.ports].sort((a, b) => a - b);
    const summary: VxlanCaptureSummary = {
      ...meta,
      format: info.format,
      linkTypes: [...new Set(info.interfaces.map((i) => i.linkType))],
      snapLength: info.interfaces.length ? Math.max(...info.interfaces.map((i) => i.snapLength)) : undefined,
      truncated: info.truncated,
      readError: info.error,
      vxlanPorts: ports,
      packets: this.packets,
      vxlanPackets: this.vxlanPackets,
      first: this.first && formatTimestamp(...this.first),
      last: this.last && formatTimestamp(...this.last),
      cutBySnapLength: this.cutBySnapLength,
      innerHeadersCut: this.innerHeadersCut,
      undecodable: this.undecodable,
      duplicatesIgnored: this.duplicatesIgnored,
      byVniPort: [...this.byVniPort.values()].sort((a, b) => a.vni - b.vni || a.port - b.port),
      pairs: [...this.pairs.values()]
        .map((p) => ({ src: p.src, dst: p.dst, port: p.port, packets: p.packets, vnis: sorted(p.vnis), first: formatTimestamp(...p.first), last: formatTimestamp(...p.last) }))
        .sort((a, b) => a.src.localeCompare(b.src) || a.dst.localeCompare(b.dst) || a.port - b.port),
      innerFlows: [...this.flows.values()].sort((a, b) => b.packets - a.packets || a.src.localeCompare(b.src)).slice(0, this.options.topFlows ?? 20),
      innerFlowCount: this.flows.size + (this.untrackedFlowPackets > 0 ? 1 : 0),
      untrackedFlowPackets: this.untrackedFlowPackets,
      notes: [],
    };
    summary.notes = notesFor(summary);
    return summary;
  }
}

/** Pure convenience: summary of an in-memory list of records. */
export function summarizeRecords(records: Iterable<CaptureRecord>, info: CaptureInfo, options: VxlanAnalysisOptions & { host?: string; source?: string } = {}): VxlanCaptureSummary {
  const builder = new VxlanSummaryBuilder(options);
  for (const record of records) builder.add(record);
  return builder.finish(info, { host: options.host, source: options.source });
}

function notesFor(s: VxlanCaptureSummary): string[] {
  const notes: string[] = [];
  const ports = s.vxlanPorts.join(', ');
  if (s.readError) notes.push(`The capture could not be read completely: ${s.readError}.`);
  if (s.truncated) notes.push('The capture file ends in the middle of a packet (tcpdump stopped mid-write?): counts cover the complete packets only.');
  if (s.packets === 0) notes.push('The capture holds no packets at all: the capture ran on an idle or wrong interface, or its filter matched nothing.');
  if (s.vxlanPackets === 0) {
    notes.push(`No VXLAN packets (UDP destination ports ${ports}) in this capture: no cross-node overlay traffic left or reached this node while it ran. Either none was generated, the capture was on the wrong interface, or encapsulation is not in use (e.g. Calico vxlanMode Never/CrossSubnet routing directly).`);
  }
  if (s.innerHeadersCut > 0) notes.push(`${s.innerHeadersCut} VXLAN packets lack their inner IP header: use a snap length of at least 84 bytes (more with VLAN tags or cooked captures).`);
  if (s.untrackedFlowPackets > 0) notes.push(`${s.untrackedFlowPackets} VXLAN packets belong to inner flows beyond the ${s.innerFlowCount - 1} tracked: counted, not listed.`);
  if (s.duplicatesIgnored > 0) notes.push(`${s.duplicatesIgnored} packets were seen twice on different interfaces (tcpdump -i any) and counted once.`);
  return notes;
}

function compareTs(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

function sorted(values: Set<number>): number[] {
  return [...values].sort((a, b) => a - b);
}
