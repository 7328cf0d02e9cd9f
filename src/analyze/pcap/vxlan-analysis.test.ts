import { describe, expect, it } from 'vitest';
import { ethernet, icmpEcho, ipv4, pcapFile, tcp, udp, vxlan } from '../../../test/fixtures/pcap/build.js';
import { readCaptureSync } from './read.js';
import type { CaptureRecord } from './types.js';
import { buildFlowTable, formatFlowTable, formatVxlanSummary, summarizeRecords, type VxlanCaptureSummary } from './vxlan-analysis.js';

let ipId = 1;
/** One VXLAN packet src→dst (underlay) carrying an inner ping or TCP SYN. */
function tunnel(src: string, dst: string, o: { port?: number; vni?: number; inner?: 'ping' | 'syn'; innerId?: number } = {}): Buffer {
  const innerSrc = '198.19.0.1';
  const innerDst = '198.19.1.1';
  const l4 = o.inner === 'syn' ? tcp({ src: innerSrc, dst: innerDst, srcPort: 40000, dstPort: 80, flags: 0x02 }, Buffer.alloc(0)) : icmpEcho(8, 1, 1);
  const inner = ethernet({ dst: '0a:00:00:00:00:02', src: '0a:00:00:00:00:01', etherType: 0x0800 }, ipv4({ src: innerSrc, dst: innerDst, protocol: o.inner === 'syn' ? 6 : 1, id: o.innerId ?? ipId }, l4));
  const outer = ipv4({ src, dst, protocol: 17, id: ipId++ }, udp({ srcPort: 50000, dstPort: o.port ?? 8472 }, vxlan(o.vni ?? 1, inner)));
  return ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: 0x0800 }, outer);
}

function summaryOf(frames: Buffer[], host?: string, snap?: number): VxlanCaptureSummary {
  const file = pcapFile(frames.map((data, i) => ({ data: snap ? data.subarray(0, snap) : data, originalLength: data.length, tsSec: 1_790_000_000 + i })));
  const { records, info } = readCaptureSync(file);
  return summarizeRecords(records, info, { host });
}

const A = '198.18.0.1';
const B = '198.18.0.2';
const C = '198.18.0.3';

describe('VXLAN capture summary', () => {
  it('counts per VNI/port, per underlay pair (with first/last time) and inner flows', () => {
    const s = summaryOf([tunnel(A, B), tunnel(A, B), tunnel(B, A, { port: 4789, vni: 4096, inner: 'syn' }), ethernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: 0x0800 }, ipv4({ src: A, dst: B, protocol: 17 }, udp({ srcPort: 1, dstPort: 53 }, Buffer.alloc(4))))], 'node-a');
    expect(s).toMatchObject({ packets: 4, vxlanPackets: 3, vxlanPorts: [4789, 8472], truncated: false });
    expect(s.byVniPort).toEqual([{ vni: 1, port: 8472, packets: 2 }, { vni: 4096, port: 4789, packets: 1 }]);
    expect(s.pairs).toEqual([
      { src: A, dst: B, port: 8472, packets: 2, vnis: [1], first: '2026-09-21T14:13:20.000000Z', last: '2026-09-21T14:13:21.000000Z' },
      { src: B, dst: A, port: 4789, packets: 1, vnis: [4096], first: '2026-09-21T14:13:22.000000Z', last: '2026-09-21T14:13:22.000000Z' },
    ]);
    expect(s.innerFlows).toEqual([
      { vni: 1, protocol: 'icmp', src: '198.19.0.1', dst: '198.19.1.1', detail: 'echo-request', packets: 2 },
      { vni: 4096, protocol: 'tcp', src: '198.19.0.1', dst: '198.19.1.1', detail: '40000→80 SYN', packets: 1 },
    ]);
    expect(s.notes).toEqual([]);
  });

  it('notes captures without VXLAN and snap lengths too small for the inner headers', () => {
    const none = summaryOf([], 'node-c');
    expect(none.notes.join('\n')).toMatch(/no packets at all[\s\S]*No VXLAN packets/);
    const short = summaryOf([tunnel(A, B)], 'node-a', 70);
    expect(short).toMatchObject({ vxlanPackets: 1, innerHeadersCut: 1, cutBySnapLength: 1 });
    expect(short.innerFlows[0]).toMatchObject({ protocol: 'unknown', detail: 'IPv4 header not captured' });
    expect(formatVxlanSummary(short)).toMatch(/lack their inner IP header: use a snap length of at least 84/);
  });

  it('counts a packet seen on two interfaces of a cooked capture once', () => {
    const frame = tunnel(A, B);
    const record = (interfaceId: number, tsNsec: number): CaptureRecord => ({ index: 0, interfaceId, linkType: 1, tsSec: 1_790_000_000, tsNsec, capturedLength: frame.length, originalLength: frame.length, data: frame });
    const info = { interfaces: [], packets: 3, skippedBlocks: 0, truncated: false };
    const s = summarizeRecords([record(0, 0), record(1, 1000), record(0, 900_000_000)], info);
    expect(s).toMatchObject({ vxlanPackets: 2, duplicatesIgnored: 1 });
  });

  it('bounds the inner-flow table', () => {
    // Inner IP ids differ, but a flow is protocol + addresses + detail: one flow.
    const frames = Array.from({ length: 30 }, (_, i) => tunnel(A, B, { innerId: i }));
    const { records, info } = readCaptureSync(pcapFile(frames.map((data) => ({ data }))));
    const distinct = Array.from({ length: 30 }, (_, i) => tunnel(A, B, { vni: i + 1 }));
    const many = readCaptureSync(pcapFile(distinct.map((data) => ({ data }))));
    expect(summarizeRecords(records, info).innerFlowCount).toBe(1);
    const bounded = summarizeRecords(many.records, many.info, { maxTrackedFlows: 10, topFlows: 5 });
    expect([bounded.innerFlowCount, bounded.innerFlows.length, bounded.vxlanPackets, bounded.untrackedFlowPackets]).toEqual([11, 5, 30, 20]);
    expect(bounded.notes.join()).toMatch(/20 VXLAN packets belong to inner flows beyond the 10 tracked/);
  });
});

describe('flow table', () => {
  const withPairs = (pairs: Array<[string, string, number]>, extra: Partial<VxlanCaptureSummary> = {}): VxlanCaptureSummary => ({
    ...summaryOf([]),
    notes: [],
    vxlanPackets: pairs.reduce((n, p) => n + p[2], 0),
    pairs: pairs.map(([src, dst, packets]) => ({ src, dst, port: 8472, packets, vnis: [1], first: '', last: '' })),
    ...extra,
  });
  const underlay = { a: A, b: B, c: C };
  const verdicts = (captures: Record<string, VxlanCaptureSummary | undefined>, tolerance?: { packets?: number; fraction?: number }) =>
    Object.fromEntries(buildFlowTable({ captures, underlay, tolerance }).rows.map((r) => [`${r.from}>${r.to}`, `${r.verdict} ${r.sent ?? '-'}/${r.received ?? '-'}`]));

  it('judges every ordered pair', () => {
    const a = withPairs([[A, B, 100], [A, C, 50], [B, A, 10]]);
    const b = withPairs([[A, B, 99], [B, A, 10], [B, C, 20], [C, B, 7]]);
    const c = withPairs([[A, C, 0], [C, B, 7]]);
    expect(verdicts({ a, b, c })).toEqual({
      'a>b': 'ok 100/99', // within tolerance: captures stop at slightly different moments
      'a>c': 'lost 50/0',
      'b>a': 'ok 10/10',
      'b>c': 'lost 20/0',
      'c>a': 'not-sent 0/0',
      'c>b': 'ok 7/7',
    });
    expect(verdicts({ a, b: withPairs([[A, B, 60]]), c: undefined })).toMatchObject({ 'a>b': 'partial 100/60', 'a>c': 'no-capture 50/-', 'c>a': 'no-capture -/0' });
    expect(verdicts({ a, b: withPairs([[A, B, 60]]), c }, { fraction: 0.5 })).toMatchObject({ 'a>b': 'ok 100/60' });
  });

  it('does not blame the path when only the receiver saw traffic, and treats unreadable captures as missing', () => {
    const table = buildFlowTable({ captures: { a: withPairs([]), b: withPairs([[A, B, 5]]) }, underlay: { a: A, b: B } });
    expect(table.rows[0]).toMatchObject({ verdict: 'ok', sent: 0, received: 5 });
    expect(table.rows[0].explanation).toMatch(/captured on another interface/);
    const unreadable = withPairs([], { readError: 'not a pcap or pcapng capture', packets: 0 });
    expect(buildFlowTable({ captures: { a: unreadable, b: withPairs([]) }, underlay: { a: A, b: B } }).counts['no-capture']).toBe(2);
    expect(formatFlowTable(buildFlowTable({ captures: {}, underlay: { a: A } }))).toMatch(/fewer than two hosts/);
  });
});
