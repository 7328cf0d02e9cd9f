/**
 * `--obfuscate`: no original lab IP, host name or MAC anywhere in the bundle (text, file names,
 * pcap bytes), the same pseudonym everywhere (VTEP MAC in FDB output and node annotation), the
 * mapping beside the bundle translates the evidence back byte-for-byte, and subnet relations
 * survive (a property test over many addresses).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBundle } from '../../src/artifacts/bundle.js';
import { extractBundle } from '../../src/artifacts/extract.js';
import { IpMapper, formatIpv4, isKeptIpv4, parseIpv4 } from '../../src/artifacts/obfuscate-ip.js';
import { deobfuscateText, type ObfuscationMapping } from '../../src/artifacts/obfuscate.js';
import { EVIDENCE_FILES, makeRunDir, readTree, seededSecrets, syntheticPcap } from '../fixtures/secrets/run-dir.js';

const sandbox = mkdtempSync(path.join(os.tmpdir(), 'ndt-obf-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

const MACS = ['4a:7e:2f:10:22:b1', '0e:1c:aa:bb:cc:01', '52:54:00:12:34:11', 'c6:5d:11:7a:90:0f'];
const HOSTS = ['node-1', 'node-2'];

describe('createBundle({ obfuscate: true })', () => {
  let files: Map<string, Buffer>;
  let original: Map<string, Buffer>;
  let mapping: ObfuscationMapping;
  let bundlePath: string;
  let originalIps: string[];

  beforeAll(async () => {
    const runDir = makeRunDir(sandbox);
    const pcap = syntheticPcap([
      { srcMac: '52:54:00:12:34:11', dstMac: '4a:7e:2f:10:22:b1', src: '198.18.0.11', dst: '198.18.0.12', payload: 'ping node-2' },
      { srcMac: '4a:7e:2f:10:22:b1', dstMac: '52:54:00:12:34:11', src: '198.19.2.7', dst: '198.19.1.5', payload: 'pong' },
    ]);
    writeFileSync(path.join(runDir, 'captures', 'node-1.pcap'), pcap);
    original = readTree(runDir);
    const r = await createBundle(runDir, { obfuscate: true });
    bundlePath = r.bundlePath;
    mapping = JSON.parse(readFileSync(r.mappingPath!, 'utf8'));
    expect(path.dirname(r.mappingPath!)).toBe(path.dirname(bundlePath));
    const x = await extractBundle(r.bundlePath);
    files = readTree(x.runDir);
    rmSync(x.dir, { recursive: true, force: true });
    originalIps = [...new Set([...original.values()].flatMap((b) => b.toString('latin1').match(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g) ?? []))].filter(
      (ip) => parseIpv4(ip) !== undefined && !isKeptIpv4(parseIpv4(ip)!),
    );
  });

  it('leaves no original IP, host name or MAC in any file, file name or pcap byte', () => {
    expect(originalIps).toEqual(expect.arrayContaining(['198.18.0.11', '198.19.2.0', '10.96.0.10']));
    const leaks: string[] = [];
    for (const [rel, bytes] of files) {
      const text = bytes.toString('latin1');
      for (const h of HOSTS) if (rel.includes(h) || new RegExp(`\\b${h}\\b`).test(text)) leaks.push(`${rel}: ${h}`);
      for (const m of MACS) {
        if (text.toLowerCase().includes(m)) leaks.push(`${rel}: ${m}`);
        if (bytes.includes(Buffer.from(m.split(':').map((h) => parseInt(h, 16))))) leaks.push(`${rel}: raw ${m}`);
      }
      for (const ip of originalIps) {
        if (new RegExp(`(?<![\\d.])${ip.replaceAll('.', '\\.')}(?![\\d])`).test(text)) leaks.push(`${rel}: ${ip}`);
      }
      if (rel.endsWith('.pcap')) {
        for (const ip of ['198.18.0.11', '198.18.0.12', '198.19.2.7', '198.19.1.5']) {
          if (bytes.includes(Buffer.from(ip.split('.').map(Number)))) leaks.push(`${rel}: raw ${ip}`);
        }
      }
    }
    expect(leaks).toEqual([]);
    expect([...files.keys()].filter((k) => k.endsWith('.pcap'))).toHaveLength(1);
    // Redaction still applies on top.
    for (const s of seededSecrets()) for (const [rel, b] of files) expect(b.includes(s), `${rel}: ${s}`).toBe(false);
  });

  it('keeps the mapping out of the bundle', () => {
    const listing = execFileSync('tar', ['tzf', bundlePath]).toString();
    expect(listing).not.toContain('mapping');
    expect([...files.keys()].some((k) => k.includes('mapping'))).toBe(false);
    const manifest = JSON.parse(files.get('bundle-manifest.json')!.toString());
    expect(manifest.obfuscation).toEqual({ enabled: true, mappingFile: path.basename(bundlePath).replace('.tar.gz', '.mapping.json') });
  });

  it('uses one pseudonym everywhere: renamed files, VTEP MAC in FDB and node annotation, pcap addresses', () => {
    const h1 = mapping.hosts['node-1'];
    expect(h1).toMatch(/^host-[0-9a-f]{6}$/);
    expect(mapping.files['iptables-node-1.txt']).toBe(`iptables-${h1}.txt`);
    expect(files.has(`iptables-${h1}.txt`)).toBe(true);
    const vtep = mapping.macs['4a:7e:2f:10:22:b1'];
    expect(files.get(`bridge-fdb-${h1}.txt`)!.toString()).toContain(`${vtep} dev flannel.1 dst ${mapping.ips['198.18.0.12']} self permanent`);
    expect(files.get('nodes.yaml')!.toString()).toContain(`"VtepMAC":"${vtep}"`);
    // Multicast MACs identify nothing and stay; the locally-administered bit is kept.
    expect(files.get(`bridge-fdb-${h1}.txt`)!.toString()).toContain('33:33:00:00:00:01 dev eth0 self permanent');
    expect(parseInt(vtep.slice(0, 2), 16) & 0x03).toBe(0x02);
    const pcap = files.get(mapping.files['captures/node-1.pcap'])!;
    expect(mapping.files['captures/node-1.pcap']).toBe(`captures/${h1}.pcap`);
    const ipAt = (off: number) => [...pcap.subarray(off, off + 4)].join('.');
    // First record: 24-byte global header, 16-byte record header, 14-byte Ethernet, IPv4 src at +12.
    expect(ipAt(24 + 16 + 14 + 12)).toBe(mapping.ips['198.18.0.11']);
    expect(ipAt(24 + 16 + 14 + 16)).toBe(mapping.ips['198.18.0.12']);
  });

  it('translates every evidence file back byte-for-byte with the mapping', () => {
    for (const f of EVIDENCE_FILES) {
      const bundled = mapping.files[f] ?? f;
      const back = deobfuscateText(files.get(bundled)!.toString('latin1'), mapping);
      expect(back, f).toBe(original.get(f)!.toString('latin1'));
    }
  });

  it('keeps subnet relations of the lab: pod IPs inside the mapped pod CIDR, .0/.1/.255 kept', () => {
    const route = files.get(`ip-route-${mapping.hosts['node-1']}.txt`)!.toString();
    const cni = mapping.cidrs['198.19.1.0/24'];
    expect(cni).toMatch(/\.0\/24$/);
    expect(route).toContain(`${cni} dev cni0 proto kernel scope link src ${cni.replace(/0\/24$/, '1')}`);
    expect(route).toContain('127.0.0.0/8 dev lo scope host');
    expect(mapping.ips['198.19.1.5'].startsWith(cni.replace(/0\/24$/, ''))).toBe(true);
    expect(mapping.cidrs['198.19.0.0/16']).toBe(`${mapping.ips['198.19.1.5'].split('.').slice(0, 2).join('.')}.0.0/16`);
  });
});

describe('IpMapper (prefix preservation, property test)', () => {
  const samePrefix = (a: number, b: number, n: number) => n === 0 || (a >>> (32 - n)) === (b >>> (32 - n));

  it('same /n before ⇔ same /n after, for n = 8…32, over many clustered and random addresses', () => {
    for (let round = 0; round < 3; round++) {
      const m = new IpMapper(randomBytes(32));
      const bases = [parseIpv4('198.18.0.0')!, parseIpv4('10.244.0.0')!, parseIpv4('172.16.0.0')!, parseIpv4('10.96.0.0')!];
      const addrs: number[] = [];
      for (let i = 0; i < 600; i++) {
        const r = randomBytes(4).readUInt32BE(0);
        addrs.push(i % 3 === 0 ? r : (bases[i % bases.length] + (r & (i % 2 ? 0xffff : 0x1ffff))) >>> 0);
      }
      const ok = addrs.filter((a) => !isKeptIpv4(a));
      const mapped = new Map(ok.map((a) => [a, m.mapNumber(a)]));
      expect(new Set(mapped.values()).size).toBe(new Set(ok).size); // injective
      const broken: string[] = [];
      for (let i = 0; i < 20000; i++) {
        const a = ok[Math.floor(Math.random() * ok.length)];
        const b = ok[Math.floor(Math.random() * ok.length)];
        for (const n of [8, 12, 15, 16, 20, 24, 26, 30, 32]) {
          if (samePrefix(mapped.get(a)!, mapped.get(b)!, n) !== samePrefix(a, b, n)) broken.push(`${formatIpv4(a)} ${formatIpv4(b)} /${n}`);
        }
      }
      for (const a of ok) {
        const o = mapped.get(a)!;
        if (o === a || isKeptIpv4(o)) broken.push(`${formatIpv4(a)} → ${formatIpv4(o)}`);
        if ([0, 1, 254, 255].includes(a & 255) && (o & 255) !== (a & 255)) broken.push(`${formatIpv4(a)} → ${formatIpv4(o)} (last octet)`);
      }
      expect(broken).toEqual([]);
    }
  });

  it('maps a CIDR to a CIDR containing every mapped member; keeps special addresses', () => {
    const m = new IpMapper(randomBytes(32));
    for (const [net, len] of [['10.96.0.0', 12], ['198.18.0.0', 15], ['10.244.3.64', 26], ['10.0.0.0', 8]] as const) {
      const c = m.mapCidr(net, len);
      const [cnet] = c.split('/');
      const base = parseIpv4(net)!;
      for (let i = 0; i < 200; i++) {
        const member = (base + (randomBytes(4).readUInt32BE(0) & ((1 << (32 - len)) - 1))) >>> 0;
        expect(samePrefix(m.mapNumber(member), parseIpv4(cnet)!, len)).toBe(true);
      }
      expect(c.endsWith(`/${len}`)).toBe(true);
    }
    for (const keep of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '255.255.255.0', '255.255.240.0', '224.0.0.251', '169.254.169.254']) {
      expect(m.map(keep)).toBe(keep);
    }
    expect(m.mapCidr('0.0.0.0', 0)).toBe('0.0.0.0/0');
  });
});
