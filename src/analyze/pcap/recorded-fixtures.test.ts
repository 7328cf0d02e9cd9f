/**
 * Decoder and analysis checks on lab captures recorded earlier by real tcpdump
 * (test/fixtures/pcap/recorded, see its README): these run without root.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { summarizeCapture } from './summarize-file.js';
import { buildFlowTable, formatFlowTable, formatVxlanSummary } from './vxlan-analysis.js';

const recorded = (name: string) => fileURLToPath(new URL(`../../../test/fixtures/pcap/recorded/${name}.pcap`, import.meta.url));
const underlay = { 'node-a': '198.18.200.1', 'node-b': '198.18.200.18' };

describe('recorded lab captures', () => {
  it('healthy: both directions ok on both ports, inner ICMP and ARP decoded', async () => {
    const a = await summarizeCapture(recorded('healthy-a'), { host: 'node-a' });
    const b = await summarizeCapture(recorded('healthy-b'), { host: 'node-b' });
    expect(a.byVniPort).toEqual([{ vni: 1, port: 8472, packets: expect.any(Number) }, { vni: 4096, port: 4789, packets: expect.any(Number) }]);
    expect(a.innerFlows.filter((f) => f.protocol === 'icmp').reduce((n, f) => n + f.packets, 0)).toBe(18);
    expect(a.innerFlows.some((f) => f.protocol === 'arp')).toBe(true);
    const table = buildFlowTable({ captures: { 'node-a': a, 'node-b': b }, underlay });
    expect(table.counts).toMatchObject({ ok: 4 });
    expect(formatVxlanSummary(a)).toContain('Inner flows (top');
  });

  it('tcpdump -i any (SLL2) counts the same tunnel packets as the uplink capture', async () => {
    const eth = await summarizeCapture(recorded('healthy-a'));
    const any = await summarizeCapture(recorded('healthy-any-sll2'));
    expect(any.linkTypes).toEqual([276]);
    expect(any.pairs.map((p) => [p.src, p.dst, p.port, p.packets])).toEqual(eth.pairs.map((p) => [p.src, p.dst, p.port, p.packets]));
  });

  it('lost and partial: the flow table names the direction and port that fails', async () => {
    const lost = buildFlowTable({
      captures: { 'node-a': await summarizeCapture(recorded('lost-a')), 'node-b': await summarizeCapture(recorded('lost-b')) },
      underlay,
    });
    expect(lost.rows.map((r) => [r.from, r.to, r.port, r.received === 0, r.verdict])).toEqual([
      ['node-a', 'node-b', 8472, true, 'lost'],
      ['node-b', 'node-a', 8472, false, 'ok'],
    ]);
    expect(formatFlowTable(lost)).toContain('leave node-a, never arrive at node-b');
    const partial = buildFlowTable({
      captures: { 'node-a': await summarizeCapture(recorded('partial-a')), 'node-b': await summarizeCapture(recorded('partial-b')) },
      underlay,
    });
    expect(partial.rows[0]).toMatchObject({ port: 4789, sent: 10, received: 5, verdict: 'partial' });
  });
});
