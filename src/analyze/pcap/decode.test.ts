import { describe, expect, it } from 'vitest';
import { arp, ethernet, icmp, icmpEcho, ipv4, tcp, udp, vxlan } from '../../../test/fixtures/pcap/build.js';
import { formatIpv6 } from './addresses.js';
import { decodePacket, tcpFlagsText } from './decode.js';

const MAC_A = '02:00:c6:12:c8:01';
const MAC_B = '02:00:c6:12:c8:02';
const INNER_A = '0a:58:c6:13:c8:01';
const INNER_B = '0a:58:c6:13:c8:02';

/** Outer 198.18.200.1 → .2 VXLAN (dst port `port`) carrying inner ICMP echo 198.19.200.1 → .2. */
function vxlanPing(port = 8472, vni = 1, vlans?: number[]): Buffer {
  const inner = ethernet({ dst: INNER_B, src: INNER_A, etherType: 0x0800 }, ipv4({ src: '198.19.200.1', dst: '198.19.200.2', protocol: 1 }, icmpEcho(8, 7, 1)));
  const outer = ipv4({ src: '198.18.200.1', dst: '198.18.200.2', protocol: 17 }, udp({ srcPort: 40000, dstPort: port }, vxlan(vni, inner)));
  return ethernet({ dst: MAC_B, src: MAC_A, etherType: 0x0800, vlans }, outer);
}

describe('decodePacket', () => {
  it('decodes Ethernet → IPv4 → UDP → VXLAN → inner Ethernet → IPv4 → ICMP', () => {
    const frame = decodePacket(1, vxlanPing());
    expect(frame.link).toMatchObject({ type: 'ethernet', src: MAC_A, dst: MAC_B, vlans: [], etherType: 0x0800 });
    expect(frame.ip).toMatchObject({ version: 4, src: '198.18.200.1', dst: '198.18.200.2', protocol: 17, offset: 14 });
    expect(frame.udp).toMatchObject({ srcPort: 40000, dstPort: 8472, offset: 34 });
    expect(frame.vxlan).toMatchObject({ port: 8472, vni: 1, flags: 0x08, offset: 42 });
    const inner = frame.vxlan!.inner;
    expect(inner.link).toMatchObject({ src: INNER_A, dst: INNER_B, srcOffset: 56, dstOffset: 50 });
    expect(inner.ip).toMatchObject({ src: '198.19.200.1', dst: '198.19.200.2', protocol: 1 });
    expect(inner.icmp).toMatchObject({ type: 8, code: 0 });
    expect(frame.truncated ?? inner.truncated).toBeUndefined();
  });

  it('follows 802.1Q and QinQ tags', () => {
    const frame = decodePacket(1, vxlanPing(4789, 4096, [100, 200]));
    expect(frame.link?.vlans).toEqual([100, 200]);
    expect(frame.vxlan).toMatchObject({ port: 4789, vni: 4096 });
    expect(frame.vxlan!.inner.ip).toMatchObject({ dst: '198.19.200.2' });
  });

  it('only treats the configured ports as VXLAN', () => {
    expect(decodePacket(1, vxlanPing(4789)).vxlan).toBeDefined();
    expect(decodePacket(1, vxlanPing(4789), { vxlanPorts: new Set([8472]) }).vxlan).toBeUndefined();
    expect(decodePacket(1, vxlanPing(9999), { vxlanPorts: new Set([9999]) }).vxlan?.vni).toBe(1);
  });

  it('decodes Linux cooked captures v1 and v2 (tcpdump -i any)', () => {
    const ethernetFrame = vxlanPing();
    const ipPacket = ethernetFrame.subarray(14);
    const sll = Buffer.concat([Buffer.from([0, 4, 0, 1, 0, 6]), Buffer.from(MAC_A.split(':').map((h) => parseInt(h, 16))), Buffer.alloc(2), Buffer.from([0x08, 0x00]), ipPacket]);
    const v1 = decodePacket(113, sll);
    expect(v1.link).toMatchObject({ type: 'sll', src: MAC_A, srcOffset: 6, packetType: 4, etherType: 0x0800 });
    expect(v1.vxlan?.inner.ip?.src).toBe('198.19.200.1');

    const sll2 = Buffer.alloc(20);
    sll2.writeUInt16BE(0x0800, 0);
    sll2.writeUInt32BE(3, 4);
    sll2.writeUInt16BE(1, 8);
    sll2[10] = 0; // to us
    sll2[11] = 6;
    Buffer.from(MAC_B.replace(/:/g, ''), 'hex').copy(sll2, 12);
    const v2 = decodePacket(276, Buffer.concat([sll2, ipPacket]));
    expect(v2.link).toMatchObject({ type: 'sll2', ifindex: 3, packetType: 0, src: MAC_B, srcOffset: 12 });
    expect(v2.vxlan?.vni).toBe(1);
  });

  it('decodes raw IP link types', () => {
    const ipPacket = vxlanPing().subarray(14);
    for (const linkType of [101, 228]) expect(decodePacket(linkType, ipPacket).vxlan?.inner.icmp?.type).toBe(8);
  });

  it('handles a snap length that cuts headers, saying which one', () => {
    const full = vxlanPing();
    // 128-byte snap length: everything up to the inner ICMP header is present.
    expect(decodePacket(1, full.subarray(0, 128)).vxlan?.inner.icmp?.type).toBe(8);
    const cases: Array<[number, string | undefined, string | undefined]> = [
      [84, undefined, 'ICMP header'], // outer 50 + inner Ethernet 14 + inner IPv4 20: inner IP present, ICMP cut
      [80, undefined, 'IPv4 header'],
      [60, undefined, 'Ethernet header'],
      [45, 'VXLAN header', undefined],
      [30, 'IPv4 header', undefined],
      [10, 'Ethernet header', undefined],
    ];
    for (const [length, outerCut, innerCut] of cases) {
      const frame = decodePacket(1, full.subarray(0, length));
      expect(frame.truncated, `outer at ${length}`).toBe(outerCut);
      expect(frame.vxlan?.inner.truncated, `inner at ${length}`).toBe(innerCut);
    }
    const at84 = decodePacket(1, full.subarray(0, 84)).vxlan!.inner;
    expect(at84.ip?.dst).toBe('198.19.200.2');
    expect(at84.truncated).toBe('ICMP header');
  });

  it('decodes TCP, ARP, ICMP errors and reports what it does not parse', () => {
    const syn = ethernet({ dst: MAC_B, src: MAC_A, etherType: 0x0800 }, ipv4({ src: '198.18.200.1', dst: '198.18.200.2', protocol: 6 }, tcp({ src: '198.18.200.1', dst: '198.18.200.2', srcPort: 5555, dstPort: 443, flags: 0x12 }, Buffer.alloc(0))));
    const t = decodePacket(1, syn).tcp!;
    expect([t.srcPort, t.dstPort, tcpFlagsText(t.flags)]).toEqual([5555, 443, 'SYN,ACK']);

    const request = ethernet({ dst: 'ff:ff:ff:ff:ff:ff', src: MAC_A, etherType: 0x0806 }, arp({ op: 1, senderMac: MAC_A, senderIp: '198.18.200.1', targetMac: '00:00:00:00:00:00', targetIp: '198.18.200.2' }));
    expect(decodePacket(1, request).arp).toMatchObject({ op: 1, senderMac: MAC_A, senderIp: '198.18.200.1', targetIp: '198.18.200.2' });

    const offending = ipv4({ src: '198.18.200.2', dst: '198.18.200.9', protocol: 17 }, udp({ srcPort: 1, dstPort: 8472 }, Buffer.alloc(8)));
    const unreachable = ethernet({ dst: MAC_B, src: MAC_A, etherType: 0x0800 }, ipv4({ src: '198.18.200.1', dst: '198.18.200.2', protocol: 1 }, icmp(3, 3, Buffer.concat([Buffer.alloc(4), offending.subarray(0, 28)]))));
    expect(decodePacket(1, unreachable).icmp?.embedded).toMatchObject({ src: '198.18.200.2', dst: '198.18.200.9', protocol: 17 });

    expect(decodePacket(1, ethernet({ dst: MAC_B, src: MAC_A, etherType: 0x88cc }, Buffer.alloc(20))).unsupported).toBe('EtherType 0x88cc');
    expect(decodePacket(147, Buffer.alloc(40)).unsupported).toBe('unsupported link type 147');
  });

  it('decodes IPv6 with extension headers, and prints addresses per RFC 5952', () => {
    const v6 = Buffer.alloc(40 + 8 + 8);
    v6[0] = 0x60;
    v6.writeUInt16BE(16, 4);
    v6[6] = 0; // hop-by-hop options first
    v6[7] = 1;
    Buffer.from('fe800000000000000000000000000001', 'hex').copy(v6, 8);
    Buffer.from('ff020000000000000000000000000016', 'hex').copy(v6, 24);
    v6[40] = 58; // next: ICMPv6
    v6[48] = 143; // MLDv2 report
    const frame = decodePacket(1, ethernet({ dst: '33:33:00:00:00:16', src: MAC_A, etherType: 0x86dd }, v6));
    expect(frame.ip).toMatchObject({ version: 6, src: 'fe80::1', dst: 'ff02::16', protocol: 58, headerLength: 48 });
    expect(frame.icmp).toMatchObject({ v6: true, type: 143 });
    expect(formatIpv6(Buffer.from('20010db8000000010000000000000001', 'hex'), 0)).toBe('2001:db8:0:1::1');
    expect(formatIpv6(Buffer.from('20010db8000100020003000400050006', 'hex'), 0)).toBe('2001:db8:1:2:3:4:5:6');
  });
});
