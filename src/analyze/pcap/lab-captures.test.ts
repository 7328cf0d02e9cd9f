/**
 * Decoding and VXLAN analysis of captures that real tcpdump records from real VXLAN devices in
 * network namespaces (see test/fixtures/pcap/netns-lab.ts). Needs root; under CI=true a missing
 * prerequisite fails the run instead of skipping it.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pcapToPcapng } from '../../../test/fixtures/pcap/build.js';
import { OVERLAY, UNDERLAY, destroyAllPcapLabs, missingPrerequisite, recordScenarios, type RecordedCaptures } from '../../../test/fixtures/pcap/netns-lab.js';
import { execa } from 'execa';
import { decodeRecord, type Frame } from './decode.js';
import { rewriteCapture } from './rewrite.js';
import { readCapture, readCaptureSync } from './read.js';
import { summarizeCapture } from './summarize-file.js';
import { buildFlowTable, formatFlowTable, formatVxlanSummary, type VxlanCaptureSummary } from './vxlan-analysis.js';

const missing = await missingPrerequisite();
if (missing && process.env.CI === 'true') throw new Error(`pcap lab tests cannot run: ${missing}`);
if (missing) console.warn(`SKIPPED pcap lab tests: ${missing}`);

const underlay = { 'node-a': UNDERLAY.a, 'node-b': UNDERLAY.b };
const flows = (s: VxlanCaptureSummary, protocol: string) => s.innerFlows.filter((f) => f.protocol === protocol).map((f) => `${f.vni} ${f.src}>${f.dst} ${f.detail} ×${f.packets}`).sort();

describe.skipIf(Boolean(missing))('captures recorded by tcpdump in namespaces', () => {
  let dir: string;
  let rec: RecordedCaptures;
  const summaries: Record<string, VxlanCaptureSummary> = {};
  const summary = async (path: string, host: string) => (summaries[path] ??= await summarizeCapture(path, { host }));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ndtpcap-lab-'));
    rec = await recordScenarios(dir);
  });
  afterAll(async () => {
    await destroyAllPcapLabs(); // normally already gone: recordScenarios cleans up after itself
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves no namespace or tcpdump process behind', async () => {
    const namespaces = String((await execa('ip', ['netns', 'list'])).stdout);
    for (const ns of rec.namespaces) expect(namespaces).not.toContain(ns);
    expect(rec.tcpdumpPids.length).toBe(11);
    for (const pid of rec.tcpdumpPids) {
      const comm = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => 'gone');
      expect(comm.trim(), `pid ${pid}`).not.toBe('tcpdump');
    }
  });

  it('decodes VNI, ports, outer and inner addresses and ICMP from the uplink capture', async () => {
    const reader = readCapture(rec.healthy.a);
    const vxlan = [];
    for await (const record of reader) {
      const frame = decodeRecord(record);
      if (frame.vxlan) vxlan.push({ record, frame });
    }
    expect(reader.info).toMatchObject({ format: 'pcap', truncated: false, interfaces: [{ linkType: 1, snapLength: 128 }] });
    const request = vxlan.find(({ frame }) => frame.vxlan!.inner.icmp?.type === 8 && frame.vxlan!.vni === 1)!;
    expect(request.frame.ip).toMatchObject({ src: UNDERLAY.a, dst: UNDERLAY.b, protocol: 17 });
    expect(request.frame.vxlan).toMatchObject({ port: 8472, flags: 0x08 });
    expect(request.frame.vxlan!.inner.ip).toMatchObject({ src: OVERLAY.vni1.a, dst: OVERLAY.vni1.b, protocol: 1 });
    expect(request.frame.vxlan!.inner.link!.src).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    // 14 + 20 + 8 + 8 + 14 + 20 + 8 + 56 = 148 bytes on the wire, 128 captured: inner ICMP header intact.
    expect([request.record.capturedLength, request.record.originalLength]).toEqual([128, 148]);
    const calico = vxlan.find(({ frame }) => frame.vxlan!.vni === 4096 && frame.vxlan!.inner.icmp)!;
    expect(calico.frame.vxlan!.port).toBe(4789);
    expect(calico.frame.udp!.checksum).not.toBe(0); // udpcsum on that device
    expect(calico.frame.vxlan!.inner.ip).toMatchObject({ src: OVERLAY.vni4096.a, dst: OVERLAY.vni4096.b });
  });

  it('summarises each node\'s capture per VNI/port, underlay pair and inner flow', async () => {
    const a = await summary(rec.healthy.a, 'node-a');
    expect(a.byVniPort.map((v) => [v.vni, v.port])).toEqual([[1, 8472], [4096, 4789]]);
    expect(a.pairs.map((p) => `${p.src}>${p.dst}:${p.port} vni ${p.vnis}`)).toEqual([
      `${UNDERLAY.a}>${UNDERLAY.b}:4789 vni 4096`,
      `${UNDERLAY.a}>${UNDERLAY.b}:8472 vni 1`,
      `${UNDERLAY.b}>${UNDERLAY.a}:4789 vni 4096`,
      `${UNDERLAY.b}>${UNDERLAY.a}:8472 vni 1`,
    ]);
    expect(flows(a, 'icmp')).toEqual([
      `1 ${OVERLAY.vni1.a}>${OVERLAY.vni1.b} echo-reply ×2`,
      `1 ${OVERLAY.vni1.a}>${OVERLAY.vni1.b} echo-request ×4`,
      `1 ${OVERLAY.vni1.b}>${OVERLAY.vni1.a} echo-reply ×4`,
      `1 ${OVERLAY.vni1.b}>${OVERLAY.vni1.a} echo-request ×2`,
      `4096 ${OVERLAY.vni4096.a}>${OVERLAY.vni4096.b} echo-request ×3`,
      `4096 ${OVERLAY.vni4096.b}>${OVERLAY.vni4096.a} echo-reply ×3`,
    ]);
    // First contact resolves the overlay neighbour with ARP carried inside the tunnel.
    expect(a.innerFlows.some((f) => f.protocol === 'arp' && f.vni === 1)).toBe(true);
    expect(a.innerHeadersCut).toBe(0);
    expect(a.cutBySnapLength).toBeGreaterThan(0);
    const text = formatVxlanSummary(a);
    expect(text).toContain('VXLAN analysis — node-a');
    expect(text).toMatch(new RegExp(`${UNDERLAY.a.replace(/\./g, '\\.')}\\s+${UNDERLAY.b.replace(/\./g, '\\.')}\\s+8472\\s+1\\s+\\d+\\s`));
  });

  it('reads Linux cooked captures from tcpdump -i any (SLL2 and SLL) to the same VXLAN counts', async () => {
    const eth = await summary(rec.healthy.a, 'node-a');
    for (const [path, linkType] of [[rec.healthy.anySll2, 276], [rec.healthy.anySll, 113]] as const) {
      const cooked = await summary(path, 'node-a');
      expect(cooked.linkTypes).toEqual([linkType]);
      expect(cooked.byVniPort).toEqual(eth.byVniPort);
      expect(cooked.pairs.map((p) => [p.src, p.dst, p.packets])).toEqual(eth.pairs.map((p) => [p.src, p.dst, p.packets]));
      expect(flows(cooked, 'icmp')).toEqual(flows(eth, 'icmp'));
    }
  });

  it('reads the same capture converted to pcapng (both byte orders)', async () => {
    const pcap = await readFile(rec.healthy.a);
    const plain = await summarizeCapture(pcap);
    for (const littleEndian of [true, false]) {
      const ng = pcapToPcapng(pcap, littleEndian);
      const { info, records } = readCaptureSync(ng);
      expect(info).toMatchObject({ format: 'pcapng', byteOrder: littleEndian ? 'LE' : 'BE', truncated: false });
      expect(records.length).toBe(readCaptureSync(pcap).records.length);
      const converted = await summarizeCapture(ng);
      expect({ ...converted, format: 'pcap' }).toEqual(plain);
    }
  });

  it('flow table: healthy pairs are ok both ways', async () => {
    const table = buildFlowTable({ captures: { 'node-a': await summary(rec.healthy.a, 'node-a'), 'node-b': await summary(rec.healthy.b, 'node-b') }, underlay });
    expect(table.rows.map((r) => [r.from, r.to, r.port, r.verdict])).toEqual([
      ['node-a', 'node-b', 4789, 'ok'],
      ['node-a', 'node-b', 8472, 'ok'],
      ['node-b', 'node-a', 4789, 'ok'],
      ['node-b', 'node-a', 8472, 'ok'],
    ]);
    for (const row of table.rows) expect(row.sent).toBe(row.received);
  });

  it('flow table: packets that leave A and never arrive at B are "lost"', async () => {
    const a = await summary(rec.lost.a, 'node-a');
    const b = await summary(rec.lost.b, 'node-b');
    const table = buildFlowTable({ captures: { 'node-a': a, 'node-b': b }, underlay });
    expect(table.rows.map((r) => `${r.from}>${r.to}:${r.port}`)).toEqual(['node-a>node-b:8472', 'node-b>node-a:8472']);
    const ab = table.rows[0];
    expect(ab).toMatchObject({ verdict: 'lost', received: 0 });
    expect(ab.sent).toBeGreaterThanOrEqual(6); // 3 requests + 3 replies to B's pings
    expect(ab.explanation).toMatch(/leave node-a, never arrive at node-b.*UDP 8472/);
    expect(table.rows.find((r) => r.from === 'node-b')).toMatchObject({ verdict: 'ok', sent: 3, received: 3 });
    expect(formatFlowTable(table)).toMatch(/node-a\s+node-b\s+198\.18\.200\.1\s+198\.18\.200\.18\s+8472\s+\d+\s+0\s+lost/);
  });

  it('flow table: half the packets dropped on the path is "partial"', async () => {
    const table = buildFlowTable({ captures: { 'node-a': await summary(rec.partial.a, 'node-a'), 'node-b': await summary(rec.partial.b, 'node-b') }, underlay });
    expect(table.rows.map((r) => `${r.from}>${r.to}:${r.port}`)).toEqual(['node-a>node-b:4789', 'node-b>node-a:4789']);
    expect(table.rows[0]).toMatchObject({ verdict: 'partial', sent: 10, received: 5 });
    expect(table.rows[1]).toMatchObject({ verdict: 'ok', sent: 5, received: 5 });
  });

  it('flow table: no traffic is "not-sent", a node without capture is "no-capture"; idle captures get a note', async () => {
    const a = await summary(rec.idle.a, 'node-a');
    const table = buildFlowTable({
      captures: { 'node-a': a, 'node-b': await summary(rec.idle.b, 'node-b'), 'node-c': undefined },
      underlay: { ...underlay, 'node-c': '198.18.200.19' },
    });
    expect(table.rows.map((r) => `${r.from}>${r.to} ${r.verdict}`)).toEqual([
      'node-a>node-b not-sent',
      'node-a>node-c no-capture',
      'node-b>node-a not-sent',
      'node-b>node-c no-capture',
      'node-c>node-a no-capture',
      'node-c>node-b no-capture',
    ]);
    expect(a.vxlanPackets).toBe(0);
    expect(formatVxlanSummary(a)).toMatch(/No VXLAN packets \(UDP destination ports 4789, 8472\) in this capture/);
  });

  describe('rewrite for obfuscated bundles', () => {
    const mapIp = (ip: string) => (/^198\.1[89]\.200\./.test(ip) ? ip.replace('.200.', '.77.') : `198.18.99.${ip.split('.')[3]}`);
    const mapMac = (mac: string) => `02:${createHash('sha256').update(mac).digest('hex').slice(0, 10).replace(/(..)(?!$)/g, '$1:')}`;

    /** Every IPv4 address and MAC a frame carries (outer, ARP, inner), as text. */
    function addressesOf(frame: Frame, into: { ips: Set<string>; macs: Set<string> }): void {
      for (const mac of [frame.link?.src, frame.link?.dst, frame.arp?.senderMac, frame.arp?.targetMac]) if (mac) into.macs.add(mac);
      for (const ip of [frame.arp?.senderIp, frame.arp?.targetIp, frame.ip?.version === 4 ? frame.ip.src : undefined, frame.ip?.version === 4 ? frame.ip.dst : undefined]) if (ip) into.ips.add(ip);
      if (frame.vxlan) addressesOf(frame.vxlan.inner, into);
    }

    /** Addresses in a capture; `keptOnly` leaves out the IPv6 packets the rewrite drops. */
    async function originalAddresses(path: string, keptOnly = false) {
      const found = { ips: new Set<string>(), macs: new Set<string>() };
      for (const record of readCaptureSync(await readFile(path)).records) {
        const frame = decodeRecord(record);
        if (!(keptOnly && frame.ip?.version === 6)) addressesOf(frame, found);
      }
      found.macs.delete('ff:ff:ff:ff:ff:ff');
      found.macs.delete('00:00:00:00:00:00');
      return found;
    }

    /** Lines in which tcpdump -vv complains about a checksum, and how many it verified. */
    async function tcpdumpChecksums(path: string) {
      const out = await execa('tcpdump', ['-nn', '-vv', '-r', path], { reject: false });
      expect(out.exitCode, out.stderr).toBe(0);
      const lines = String(out.stdout).split('\n');
      return { bad: lines.filter((l) => /bad (udp |tcp |icmp )?cksum|wrong icmp cksum|incorrect/i.test(l)), ok: lines.filter((l) => /sum ok|\(correct\)/.test(l) && !/icmp6/.test(l)).length, packets: lines.filter((l) => /^\d\d:/.test(l)).length };
    }

    it('leaves no original IP or MAC in whole-packet captures and keeps every checksum valid (tcpdump -vv)', async () => {
      const out = join(dir, 'full-obfuscated.pcap');
      const result = await rewriteCapture(rec.healthy.fullA, out, { mapIp, mapMac, scrubPayloads: false });
      expect(result.ok).toBe(true);
      const bytes = await readFile(out);
      const original = await originalAddresses(rec.healthy.fullA);
      expect([...original.ips]).toEqual(expect.arrayContaining([UNDERLAY.a, UNDERLAY.b, OVERLAY.vni1.a, OVERLAY.vni4096.b]));
      expect(original.macs.size).toBeGreaterThanOrEqual(6); // A's and R's uplink, two VTEPs per node
      for (const ip of original.ips) expect(bytes.includes(Buffer.from(ip.split('.').map(Number))), ip).toBe(false);
      for (const mac of original.macs) expect(bytes.includes(Buffer.from(mac.replace(/:/g, ''), 'hex')), mac).toBe(false);

      const mapped = await originalAddresses(out);
      const kept = await originalAddresses(rec.healthy.fullA, true);
      expect([...mapped.ips].sort()).toEqual([...kept.ips].map(mapIp).sort());
      expect([...mapped.macs].sort()).toEqual([...kept.macs].map(mapMac).sort());

      const before = await tcpdumpChecksums(rec.healthy.fullA);
      const after = await tcpdumpChecksums(out);
      expect(before.bad).toEqual([]);
      expect(after.bad).toEqual([]);
      expect(after.ok).toBe(before.ok); // IPv4 checksums tcpdump verified (IPv6 packets are dropped)
      expect(before.ok).toBeGreaterThan(0); // VNI 4096 carries outer UDP checksums
      expect(after.packets).toBe(result.packetsOut);
      expect(result.packetsIn - result.packetsOut).toBe(Object.values(result.dropped).reduce((a, b) => a + b, 0));
    });

    it('rewrites the snap-length-128 captures (Ethernet, SLL, SLL2, pcapng) without leaks', async () => {
      const pcapng = join(dir, 'healthy-a.pcapng');
      await writeFile(pcapng, pcapToPcapng(await readFile(rec.healthy.a)));
      for (const path of [rec.healthy.a, rec.healthy.anySll2, rec.healthy.anySll, pcapng]) {
        const out = `${path}.obfuscated`;
        const result = await rewriteCapture(path, out, { mapIp, mapMac });
        expect(result).toMatchObject({ ok: true, truncated: false });
        const bytes = await readFile(out);
        const original = await originalAddresses(path);
        for (const ip of original.ips) expect(bytes.includes(Buffer.from(ip.split('.').map(Number))), `${path}: ${ip}`).toBe(false);
        for (const mac of original.macs) expect(bytes.includes(Buffer.from(mac.replace(/:/g, ''), 'hex')), `${path}: ${mac}`).toBe(false);
        expect((await tcpdumpChecksums(out)).bad).toEqual([]);
        const before = await summarizeCapture(path);
        const after = await summarizeCapture(out);
        expect(after.vxlanPackets).toBe(before.vxlanPackets);
        expect(after.pairs.map((p) => [p.src, p.dst, p.port, p.packets])).toEqual(before.pairs.map((p) => [mapIp(p.src), mapIp(p.dst), p.port, p.packets]));
      }
    });

    it('the flow table reaches the same verdicts on obfuscated captures', async () => {
      const captures: Record<string, VxlanCaptureSummary> = {};
      for (const [host, path] of [['node-a', rec.lost.a], ['node-b', rec.lost.b]] as const) {
        const out = join(dir, `${host}-lost.obfuscated.pcap`);
        expect((await rewriteCapture(path, out, { mapIp, mapMac })).ok).toBe(true);
        captures[host] = await summarizeCapture(out, { host });
      }
      const obfuscated = buildFlowTable({ captures, underlay: { 'node-a': mapIp(UNDERLAY.a), 'node-b': mapIp(UNDERLAY.b) } });
      const original = buildFlowTable({ captures: { 'node-a': await summary(rec.lost.a, 'node-a'), 'node-b': await summary(rec.lost.b, 'node-b') }, underlay });
      expect(obfuscated.rows.map((r) => [r.port, r.sent, r.received, r.verdict])).toEqual(original.rows.map((r) => [r.port, r.sent, r.received, r.verdict]));
      expect(obfuscated.counts).toEqual({ ok: 1, lost: 1, 'not-sent': 0, partial: 0, 'no-capture': 0 });
    });
  });
});
