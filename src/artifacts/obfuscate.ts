/**
 * Consistent pseudonyms across every file of one bundle: IPv4 (prefix-preserving, see
 * obfuscate-ip.ts), MAC addresses, and host/node names — in text, in file names, and (through
 * `mapIp`/`mapMac`) in pcaps. The mapping is written beside the bundle, never into it, so the
 * sender can translate support's answer back with `deobfuscateText`.
 *
 * Not mapped (documented limits): IPv6 addresses, addresses in hex (/proc/net/*), and names
 * the run never told us about (only inventory/target names and node names seen in the evidence).
 */
import { randomBytes } from 'node:crypto';
import { IpMapper, parseIpv4 } from './obfuscate-ip.js';
import { HostMapper, MacMapper } from './obfuscate-names.js';

/** `<bundle>.mapping.json`: original → pseudonym for everything that was replaced. */
export interface ObfuscationMapping {
  format: 'netdiag-obfuscation-map/1';
  bundle: string;
  createdAt: string;
  ips: Record<string, string>;
  cidrs: Record<string, string>;
  macs: Record<string, string>;
  hosts: Record<string, string>;
  files: Record<string, string>;
}

const Q = '\\d{1,3}(?:\\.\\d{1,3}){3}';
/** A reverse-DNS name, or an address with an optional prefix length, never inside a longer dotted run. */
const IP_TOKEN = new RegExp(`(?<![\\w.])(?:(${Q})\\.in-addr\\.arpa|(${Q})(?:/(\\d{1,2}))?(?!\\w|\\.\\d))`, 'gi');
const DASHED_IP = /\bip-(\d{1,3})-(\d{1,3})-(\d{1,3})-(\d{1,3})\b/g;
const MAC = /(?<![0-9A-Fa-f:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])/g;
/** Names that are words in evidence, not hosts: never treated as host names. */
const STOPLIST = new Set(['local', 'localhost', 'all', 'api', 'default', 'cluster', 'kubernetes', 'node', 'nodes', 'host', 'none']);

export interface ObfuscatorOptions {
  /** Per-bundle secret (random when absent; tests pass one to be deterministic). */
  key?: Buffer;
  /** Host and node names to replace. */
  hostnames: Iterable<string>;
  /** Addresses the run is known to use (their first octets are never used as pseudonym octets). */
  knownAddresses?: Iterable<string>;
}

export class Obfuscator {
  readonly ip: IpMapper;
  readonly mac: MacMapper;
  readonly host: HostMapper;
  private readonly files = new Map<string, string>();

  constructor(opts: ObfuscatorOptions) {
    const key = opts.key ?? randomBytes(32);
    const avoid = new Set<number>();
    for (const a of opts.knownAddresses ?? []) {
      const n = parseIpv4(a);
      if (n !== undefined) avoid.add(n >>> 24);
    }
    this.ip = new IpMapper(key, avoid);
    this.mac = new MacMapper(key);
    const names = [...opts.hostnames].filter((n) => parseIpv4(n) === undefined && !STOPLIST.has(n.toLowerCase()));
    this.host = new HostMapper(key, names);
  }

  /** Obfuscates one line (or any text without structure). */
  line(text: string): string {
    let s = this.host.replace(text);
    s = s.replace(MAC, (m) => this.mac.map(m));
    s = s.replace(DASHED_IP, (m, a: string, b: string, c: string, d: string) => {
      const mapped = this.ip.map(`${a}.${b}.${c}.${d}`);
      return mapped.includes('.') && parseIpv4(`${a}.${b}.${c}.${d}`) !== undefined ? `ip-${mapped.replaceAll('.', '-')}` : m;
    });
    return s.replace(IP_TOKEN, (m, rev: string | undefined, ip: string | undefined, len: string | undefined) => {
      if (rev !== undefined) {
        const fwd = rev.split('.').reverse().join('.');
        if (parseIpv4(fwd) === undefined) return m;
        return `${this.ip.map(fwd).split('.').reverse().join('.')}${m.slice(rev.length)}`;
      }
      if (ip === undefined || parseIpv4(ip) === undefined) return m;
      return len !== undefined ? this.ip.mapCidr(ip, Number(len)) : this.ip.map(ip);
    });
  }

  /** Renames a bundle-relative path (host names and addresses in file names, e.g. `iptables-node-1.txt`). */
  path(rel: string): string {
    const out = rel
      .split('/')
      .map((seg) => this.line(seg))
      .join('/');
    if (out !== rel) this.files.set(rel, out);
    return out;
  }

  /** For the pcap rewriter: dotted-quad in, dotted-quad out. */
  mapIp = (ip: string): string => this.ip.map(ip);
  /** For the pcap rewriter: `aa:bb:cc:dd:ee:ff` in and out. */
  mapMac = (mac: string): string => this.mac.map(mac);

  mapping(bundle: string, now: Date = new Date()): ObfuscationMapping {
    return {
      format: 'netdiag-obfuscation-map/1',
      bundle,
      createdAt: now.toISOString(),
      ips: Object.fromEntries(this.ip.ips),
      cidrs: Object.fromEntries(this.ip.cidrs),
      macs: Object.fromEntries(this.mac.macs),
      hosts: Object.fromEntries(this.host.hosts),
      files: Object.fromEntries(this.files),
    };
  }
}

/** Translates obfuscated text (e.g. support's answer) back to the real names and addresses. */
export function deobfuscateText(text: string, m: ObfuscationMapping): string {
  const rev = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [v, k]));
  const ips = rev(m.ips);
  const cidrs = rev(m.cidrs);
  const macs = rev(m.macs);
  const hostRev = rev(m.hosts);
  let s = text;
  if (hostRev.size > 0) {
    const names = [...hostRev.keys()].sort((a, b) => b.length - a.length);
    const re = new RegExp(`(?<![A-Za-z0-9_])(?:${names.join('|')})(?![A-Za-z0-9_])`, 'g');
    s = s.replace(re, (x) => hostRev.get(x) ?? x);
  }
  s = s.replace(MAC, (x) => {
    const orig = macs.get(x.toLowerCase().replaceAll('-', ':'));
    if (!orig) return x;
    const styled = x.includes('-') ? orig.replaceAll(':', '-') : orig;
    return x === x.toUpperCase() && /[A-F]/.test(x) ? styled.toUpperCase() : styled;
  });
  s = s.replace(DASHED_IP, (x, a: string, b: string, c: string, d: string) => {
    const orig = ips.get(`${a}.${b}.${c}.${d}`);
    return orig ? `ip-${orig.replaceAll('.', '-')}` : x;
  });
  return s.replace(IP_TOKEN, (x, r: string | undefined, ip: string | undefined, len: string | undefined) => {
    if (r !== undefined) {
      const orig = ips.get(r.split('.').reverse().join('.'));
      return orig ? `${orig.split('.').reverse().join('.')}${x.slice(r.length)}` : x;
    }
    if (ip === undefined) return x;
    if (len !== undefined) {
      const c = cidrs.get(`${ip}/${len}`);
      if (c) return c;
      const o = ips.get(ip);
      return o ? `${o}/${len}` : x;
    }
    return ips.get(ip) ?? x;
  });
}
