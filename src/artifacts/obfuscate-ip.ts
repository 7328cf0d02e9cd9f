/**
 * Prefix-preserving IPv4 pseudonyms, so network debugging still works on an obfuscated bundle:
 * two addresses share their first n bits (n ≥ 8) after mapping exactly when they did before, so
 * a pod CIDR stays a CIDR holding the mapped pod IPs and node/pod relations survive.
 *
 * - Bits 8..31 use Crypto-PAn's construction (flip bit i by a keyed PRF of the bits before it),
 *   with HMAC-SHA256 under a random per-bundle key as the PRF (see mapOctet); the last octet's
 *   `.0/.1/.254/.255` are pinned (see lastOctetPinned).
 * - The first octet is a keyed, lazily built permutation into "ordinary" octets, never onto
 *   itself nor onto an octet the run is known to use, so a pseudonym is never mistaken for a
 *   real address, and never lands in 0/8, 127/8, 169.254/16 or 224/3.
 * - Kept unchanged: 0.0.0.0/8, 127/8, 169.254/16 (link-local), 224.0.0.0/3 (multicast,
 *   broadcast, reserved) and netmasks such as 255.255.255.0 or 255.255.240.0.
 * - CIDR notation whose host bits are zero (`10.244.0.0/16`) maps to the network of the mapped
 *   address (`X.Y.0.0/16`), which contains every mapped address of the original network.
 */
import { createHmac } from 'node:crypto';

/** Dotted quad → 32-bit number (hand-rolled: it runs for every address in every line). */
export function parseIpv4(s: string): number | undefined {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3) return undefined;
    } else if (c === 46) {
      if (digits === 0 || part > 255 || ++dots > 3) return undefined;
      n = n * 256 + part;
      part = 0;
      digits = 0;
    } else return undefined;
  }
  if (dots !== 3 || digits === 0 || part > 255) return undefined;
  return n * 256 + part;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** A contiguous netmask like 255.255.255.0 (or 255.255.255.255). */
function isNetmask(n: number): boolean {
  if (n === 0) return false;
  const inv = ~n >>> 0;
  return ((inv + 1) & inv) >>> 0 === 0;
}

/** Addresses that identify nothing and that tools read literally: never mapped. */
export function isKeptIpv4(n: number): boolean {
  const a = n >>> 24;
  if (a === 0 || a === 127 || a >= 224) return true;
  if (a === 169 && ((n >>> 16) & 255) === 254) return true;
  return isNetmask(n);
}

/**
 * In the last octet, no flip while the octet's bits so far are all 0 or all 1: `.0`, `.1`, `.254`
 * and `.255` keep their value, so a network address stays one, cni0's `.1` stays the subnet's
 * first address and a broadcast stays a broadcast (analyzers compare exactly these). The price,
 * inherent to prefix preservation: the last octet keeps its run of leading 0s or 1s.
 */
function lastOctetPinned(j: number, within: number): boolean {
  return within === 0 || within === (1 << j) - 1;
}

const ORDINARY_OCTETS = Array.from({ length: 223 }, (_, i) => i + 1).filter((o) => o !== 127 && o !== 169);

export class IpMapper {
  /** Original → pseudonym, for the mapping file. */
  readonly ips = new Map<string, string>();
  readonly cidrs = new Map<string, string>();
  private readonly firstOctet = new Map<number, number>();
  private readonly usedTargets = new Set<number>();
  private readonly pool: number[];
  /** One HMAC per original prefix /8, /16, /24: its 256 bits are the flips of the next octet's tree. */
  private readonly octetFlips = new Map<number, Buffer>();

  /** `avoid`: first octets the run is known to use (inventory addresses): never used as targets. */
  constructor(
    private readonly key: Buffer,
    private readonly avoid: Set<number> = new Set(),
  ) {
    // Keyed order of the target octets: sort by HMAC of the octet.
    const rank = (o: number) => createHmac('sha256', key).update(`octet:${o}`).digest().readUInt32BE(0);
    this.pool = [...ORDINARY_OCTETS].sort((x, y) => rank(x) - rank(y));
  }

  /** Maps one address (as a 32-bit number). */
  mapNumber(n: number): number {
    if (isKeptIpv4(n)) return n;
    const a = n >>> 24;
    const o2 = (n >>> 16) & 255;
    const o3 = (n >>> 8) & 255;
    const out = (this.mapOctet(1, a, o2) << 16) | (this.mapOctet(2, (a << 8) | o2, o3) << 8) | this.mapOctet(3, (n >>> 8) & 0xffffff, n & 255);
    const mapped = ((this.mapFirstOctet(a) << 24) >>> 0) + out;
    this.ips.set(formatIpv4(n), formatIpv4(mapped));
    return mapped;
  }

  /** Maps a dotted-quad string; non-addresses are returned unchanged. */
  map(ip: string): string {
    const known = this.ips.get(ip);
    if (known !== undefined) return known;
    const n = parseIpv4(ip);
    return n === undefined ? ip : formatIpv4(this.mapNumber(n));
  }

  /** Maps `a.b.c.d/len`, keeping a network address a network address. */
  mapCidr(ip: string, len: number): string {
    const n = parseIpv4(ip);
    if (n === undefined || len < 0 || len > 32) return `${ip}/${len}`;
    const hostMask = len === 32 ? 0 : (0xffffffff >>> len) >>> 0;
    if (isKeptIpv4(n) || len === 0) return `${ip}/${len}`;
    const mapped = this.mapNumber(n);
    if ((n & hostMask) !== 0) return `${formatIpv4(mapped)}/${len}`;
    const net = `${formatIpv4((mapped & ~hostMask) >>> 0)}/${len}`;
    this.cidrs.set(`${ip}/${len}`, net);
    return net;
  }

  /**
   * Crypto-PAn within one octet: bit j flips by a keyed PRF of the ORIGINAL bits before it. The
   * PRF bits for all 255 within-octet prefixes of one original prefix come from one HMAC digest
   * (node index `(1 << j) | bitsSoFar`), cached per prefix — at most three digests per address.
   */
  private mapOctet(level: 1 | 2 | 3, prefix: number, v: number): number {
    const cacheKey = level * 0x1000000 + prefix;
    let d = this.octetFlips.get(cacheKey);
    if (d === undefined) {
      d = createHmac('sha256', this.key).update(`ipv4:${level}:${prefix}`).digest();
      this.octetFlips.set(cacheKey, d);
    }
    let out = 0;
    for (let j = 0; j < 8; j++) {
      const within = v >>> (8 - j);
      const node = (1 << j) | within;
      const flip = level === 3 && lastOctetPinned(j, within) ? 0 : (d[node >>> 3] >>> (node & 7)) & 1;
      out = (out << 1) | (((v >>> (7 - j)) & 1) ^ flip);
    }
    return out;
  }

  private mapFirstOctet(a: number): number {
    const known = this.firstOctet.get(a);
    if (known !== undefined) return known;
    let target = this.pool.find((o) => o !== a && !this.usedTargets.has(o) && !this.avoid.has(o) && !this.firstOctet.has(o));
    // Only if the run used nearly every octet: fall back to any free one.
    target ??= this.pool.find((o) => !this.usedTargets.has(o)) ?? a;
    this.firstOctet.set(a, target);
    this.usedTargets.add(target);
    return target;
  }
}
