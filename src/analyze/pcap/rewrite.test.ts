import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arp, epb, ethernet, icmp, icmpEcho, idb, ipv4, pcapFile, pcapngBlock, shb, tcp, udp, vxlan } from '../../../test/fixtures/pcap/build.js';
import { internetChecksum, onesComplementSum } from './checksum.js';
import { decodePacket, type Frame } from './decode.js';
import { readCaptureSync } from './read.js';
import { rewriteCapture, rewriteCaptureToBuffer, type RewriteOptions } from './rewrite.js';

/** 198.18.200.N → 198.18.77.N, 198.19.200.N → 198.19.77.N; MACs get a fixed 02:ee:… prefix. */
const maps: Pick<RewriteOptions, 'mapIp' | 'mapMac'> = {
  mapIp: (ip) => ip.replace(/^(198\.1[89])\.200\./, '$1.77.'),
  mapMac: (mac) => `02:ee:ee:${mac.slice(9)}`,
};

const OUTER = { src: '198.18.200.1', dst: '198.18.200.18' };
const INNER = { src: '198.19.200.1', dst: '198.19.200.2' };

/** VXLAN (4789, outer UDP checksum set) carrying inner UDP (with checksum) or ICMP. */
function vxlanPacket(inner: 'udp' | 'icmp' | 'tcp'): Buffer {
  const payload = Buffer.from('payload that mentions 198.19.200.2 in text and more bytes');
  const l4 =
    inner === 'udp'
      ? udp({ srcPort: 5353, dstPort: 53, checksumFor: INNER }, payload)
      : inner === 'tcp'
        ? tcp({ ...INNER, srcPort: 40000, dstPort: 443, flags: 0x18 }, payload)
        : icmpEcho(8, 1, 1, payload);
  const protocol = { udp: 17, icmp: 1, tcp: 6 }[inner];
  const innerFrame = ethernet({ dst: '0a:58:c6:13:c8:02', src: '0a:58:c6:13:c8:01', etherType: 0x0800 }, ipv4({ ...INNER, protocol, id: 77 }, l4));
  const outer = ipv4({ ...OUTER, protocol: 17, id: 5 }, udp({ srcPort: 33333, dstPort: 4789, checksumFor: OUTER }, vxlan(4096, innerFrame)));
  return ethernet({ dst: '02:00:c6:12:c8:12', src: '02:00:c6:12:c8:01', etherType: 0x0800, vlans: [42] }, outer);
}

/** Every IPv4 header and TCP/UDP/ICMP checksum in a complete frame verifies. */
function expectValidChecksums(frame: Frame, data: Buffer): void {
  const ip = frame.ip;
  if (ip?.version !== 4) throw new Error('expected IPv4');
  expect(internetChecksum(data, ip.offset, ip.offset + ip.headerLength), 'IPv4 header').toBe(0);
  const end = ip.offset + ip.totalLength;
  const pseudo = Buffer.alloc(12);
  data.copy(pseudo, 0, ip.offset + 12, ip.offset + 20);
  pseudo.writeUInt16BE(ip.protocol, 8);
  pseudo.writeUInt16BE(end - ip.offset - ip.headerLength, 10);
  const l4 = frame.udp ?? frame.tcp;
  if (l4 && !(frame.udp && frame.udp.checksum === 0)) {
    expect(internetChecksum(data, l4.offset, end, onesComplementSum(pseudo, 0, 12)), 'transport checksum').toBe(0);
  }
  if (frame.icmp) expect(internetChecksum(data, frame.icmp.offset, end), 'ICMP checksum').toBe(0);
  if (frame.vxlan) expectValidChecksums(frame.vxlan.inner, data);
}

async function rewriteOne(data: Buffer, options: Partial<RewriteOptions> = {}) {
  const { output, result } = await rewriteCaptureToBuffer(pcapFile([{ data }]), { ...maps, ...options });
  return { result, packets: readCaptureSync(output).records.map((r) => r.data) };
}

describe('rewriting packets', () => {
  for (const inner of ['udp', 'icmp', 'tcp'] as const) {
    it(`maps outer and inner addresses of VXLAN carrying ${inner}, keeping every checksum valid`, async () => {
      const original = vxlanPacket(inner);
      expectValidChecksums(decodePacket(1, original), original);
      for (const scrubPayloads of [true, false]) {
        const { packets, result } = await rewriteOne(original, { scrubPayloads });
        const out = decodePacket(1, packets[0]);
        expect(out.link).toMatchObject({ src: '02:ee:ee:12:c8:01', dst: '02:ee:ee:12:c8:12', vlans: [42] });
        expect(out.ip).toMatchObject({ src: '198.18.77.1', dst: '198.18.77.18' });
        expect(out.vxlan).toMatchObject({ vni: 4096, port: 4789 });
        expect(out.vxlan!.inner.link).toMatchObject({ src: '02:ee:ee:13:c8:01', dst: '02:ee:ee:13:c8:02' });
        expect(out.vxlan!.inner.ip).toMatchObject({ src: '198.19.77.1', dst: '198.19.77.2', id: 77 });
        expectValidChecksums(out, packets[0]);
        expect(packets[0].includes('198.19.200.2')).toBe(!scrubPayloads);
        expect(result).toMatchObject({ ok: true, packetsIn: 1, packetsOut: 1, addresses: 8 });
      }
    });
  }

  it('updates checksums incrementally when the snap length cut the payload', async () => {
    const full = vxlanPacket('udp');
    const { packets: [fromFull] } = await rewriteOne(full, { scrubPayloads: false });
    const { packets: [fromCut] } = await rewriteOne(full.subarray(0, 100), { scrubPayloads: false });
    // Same header bytes, checksums included, as if the whole packet had been there.
    expect(fromCut.toString('hex')).toBe(fromFull.subarray(0, 100).toString('hex'));
  });

  it('maps ARP sender and target, keeps broadcast and zero MACs, zeroes padding', async () => {
    const request = ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:c6:12:c8:01', etherType: 0x0806 }, Buffer.concat([arp({ op: 1, senderMac: '02:00:c6:12:c8:01', senderIp: '198.18.200.1', targetMac: '00:00:00:00:00:00', targetIp: '198.18.200.2' }), Buffer.alloc(18, 0xab)]));
    const { packets } = await rewriteOne(request);
    expect(decodePacket(1, packets[0]).arp).toEqual({ offset: 14, op: 1, senderMac: '02:ee:ee:12:c8:01', senderIp: '198.18.77.1', targetMac: '00:00:00:00:00:00', targetIp: '198.18.77.2' });
    expect(decodePacket(1, packets[0]).link?.dst).toBe('ff:ff:ff:ff:ff:ff');
    expect(packets[0].subarray(42).every((b) => b === 0)).toBe(true);
  });

  it('maps the packet quoted inside ICMP errors', async () => {
    const quoted = ipv4({ src: '198.18.200.18', dst: '198.18.200.1', protocol: 17 }, udp({ srcPort: 1, dstPort: 8472 }, Buffer.alloc(30)));
    const error = ethernet({ dst: '02:00:c6:12:c8:12', src: '02:00:c6:12:c8:01', etherType: 0x0800 }, ipv4({ src: '198.18.200.1', dst: '198.18.200.18', protocol: 1 }, icmp(3, 3, Buffer.concat([Buffer.alloc(4), quoted]))));
    const { packets } = await rewriteOne(error);
    const out = decodePacket(1, packets[0]);
    expect(out.icmp!.embedded).toMatchObject({ src: '198.18.77.18', dst: '198.18.77.1' });
    expect(internetChecksum(packets[0], out.icmp!.embedded!.offset, out.icmp!.embedded!.offset + 20)).toBe(0);
    expectValidChecksums(out, packets[0]);
  });

  it('drops packets it cannot rewrite (IPv6, unknown EtherTypes) unless told to scrub them', async () => {
    const v6 = ethernet({ dst: '33:33:00:00:00:16', src: '02:00:c6:12:c8:01', etherType: 0x86dd }, Buffer.concat([Buffer.from([0x60]), Buffer.alloc(39, 7)]));
    const lldp = ethernet({ dst: '01:80:c2:00:00:0e', src: '02:00:c6:12:c8:01', etherType: 0x88cc }, Buffer.alloc(30, 9));
    const file = pcapFile([{ data: v6 }, { data: lldp }, { data: vxlanPacket('icmp') }]);
    const dropped = await rewriteCaptureToBuffer(file, maps);
    expect(dropped.result).toMatchObject({ packetsIn: 3, packetsOut: 1, dropped: { 'IPv6 (addresses not mapped)': 1, 'EtherType 0x88cc': 1 } });
    const scrubbed = await rewriteCaptureToBuffer(file, { ...maps, unsupported: 'scrub' });
    const records = readCaptureSync(scrubbed.output).records;
    expect(records.map((r) => r.data.subarray(14).every((b) => b === 0))).toEqual([true, true, false]);
    expect(decodePacket(1, records[0].data).link?.src).toBe('02:ee:ee:12:c8:01');
  });
});

describe('rewriting files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ndtpcap-rewrite-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps pcapng structure but drops metadata that could name machines', async () => {
    const ipOption = { code: 4, value: Buffer.from([198, 18, 200, 1, 255, 255, 255, 240]) };
    const comment = { code: 1, value: Buffer.from('captured on node-a.example.internal') };
    for (const littleEndian of [true, false]) {
      const epbWithComment = epb({ interfaceId: 0, timestamp: 5n, data: vxlanPacket('icmp'), littleEndian, options: [comment] });
      const input = Buffer.concat([
        shb(littleEndian, [comment, { code: 2, value: Buffer.from('node-a hardware') }]),
        pcapngBlock(1, Buffer.concat([Buffer.from(littleEndian ? [1, 0, 0, 0, 128, 0, 0, 0] : [0, 1, 0, 0, 0, 0, 0, 128]), optionBytes([ipOption, comment, { code: 2, value: Buffer.from('eth0') }, { code: 9, value: Buffer.from([9]) }], littleEndian)]), littleEndian),
        pcapngBlock(4, Buffer.from('node-a.example.internal 198.18.200.1'), littleEndian),
        epbWithComment,
        idb({ linkType: 1, littleEndian }),
        epb({ interfaceId: 1, timestamp: 1_790_000_000_000_000n, data: vxlanPacket('udp'), littleEndian }),
      ]);
      const { output, result } = await rewriteCaptureToBuffer(input, maps);
      expect(result).toMatchObject({ ok: true, format: 'pcapng', packetsIn: 2, packetsOut: 2, blocksDropped: 1 });
      expect(output.includes('node-a')).toBe(false);
      expect(output.includes(Buffer.from([198, 18, 200, 1]))).toBe(false);
      const { info, records } = readCaptureSync(output);
      expect(info).toMatchObject({ byteOrder: littleEndian ? 'LE' : 'BE', truncated: false });
      expect(info.interfaces.map((i) => [i.linkType, i.name])).toEqual([[1, 'eth0'], [1, undefined]]);
      expect(records.map((r) => [r.interfaceId, r.tsNsec])).toEqual([[0, 5], [1, 0]]);
      expect(decodePacket(1, records[1].data).vxlan!.inner.ip?.src).toBe('198.19.77.1');
    }
  });

  it('writes atomically, copes with truncated input and leaves nothing behind on failure', async () => {
    const file = pcapFile([{ data: vxlanPacket('icmp') }, { data: vxlanPacket('udp') }]);
    const out = join(dir, 'out.pcap');
    const result = await rewriteCapture(file.subarray(0, file.length - 10), out, maps);
    expect(result).toMatchObject({ ok: true, truncated: true, packetsOut: 1 });
    expect(readCaptureSync(await import('node:fs/promises').then((fs) => fs.readFile(out))).records).toHaveLength(1);

    const notCapture = await rewriteCapture(Buffer.from('not a capture at all'), join(dir, 'bad.pcap'), maps);
    expect(notCapture).toMatchObject({ ok: false });
    await expect(rewriteCapture(file, join(dir, 'throws.pcap'), { ...maps, mapIp: () => 'not-an-ip' })).rejects.toThrow(/mapIp\(198\.18\.200\.1\) returned "not-an-ip"/);
    expect((await readdir(dir)).sort()).toEqual(['out.pcap']);
  });
});

function optionBytes(options: Array<{ code: number; value: Buffer }>, littleEndian: boolean): Buffer {
  const parts = options.map(({ code, value }) => {
    const head = Buffer.alloc(4);
    if (littleEndian) head.writeUInt16LE(code, 0), head.writeUInt16LE(value.length, 2);
    else head.writeUInt16BE(code, 0), head.writeUInt16BE(value.length, 2);
    return Buffer.concat([head, value, Buffer.alloc((4 - (value.length % 4)) % 4)]);
  });
  return Buffer.concat([...parts, Buffer.alloc(4)]);
}
