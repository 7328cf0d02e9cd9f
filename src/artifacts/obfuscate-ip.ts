/**
 * Prefix-preserving IPv4 pseudonyms, so network debugging still works on an obfuscated bundle:
 * two addresses share their first n bits (n ≥ 8) after mapping exactly when they did before, so
 * a pod CIDR stays a CIDR holding the mapped pod IPs and node/pod relations survive.
 *
 * - Bits 8..31 use Crypto-PAn's construction (flip bit i by a keyed PRF of the bits before it),
 *   with HMAC-SHA256 under a random per-bundle key as the PRF; the last octet's `.0/.1/.254/.255`
 *   are pinned (see lastOctetPinned).
 * - The first octet is a keyed, lazily built permutation into "ordinary" octets, never onto
 *   itself nor onto an octet the run is known to use, so a pseudonym is never mistaken for a
 *   real address, and never lands in 0/8, 127/8, 169.254/16 or 224/3.
 * - Kept unchanged: 0.0.0.0/8, 127/8, 169.254/16 (link-local), 224.0.0.0/3 (multicast,
 *   broadcast, reserved) and netmasks such as 255.255.255.0 or 255.255.240.0.
 * - CIDR notation whose host bits are zero (`10.244.0.0/16`) maps to the network of the mapped
 *   address (`X.Y.0.0/16`), which contains every mapped address of the original network.
 */
import { createHmac } from 'node:crypto';

export function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
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
function lastOctetPinned(i: number, prefix: number): boolean {
  if (i < 16) return false;
  const len = i - 16;
  if (len === 0) return true;
  const within = prefix & ((1 << len) - 1);
  return within === 0 || within === (1 << len) - 1;
}

const ORDINARY_OCTETS = Array.from({ length: 223 }, (_, i) => i + 1).filter((o) => o !== 127 && o !== 169);

export class IpMapper {
  /** Original → pseudonym, for the mapping file. */
  readonly ips = new Map<string, string>();
  readonly cidrs = new Map<string, string>();
  private readonly firstOctet = new Map<number, number>();
  private readonly usedTargets = new Set<number>();
  private readonly pool: number[];
  private readonly flipCache = new Map<number, number>();
  private readonly cache = new Map<number, number>();

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
    const hit = this.cache.get(n);
    if (hit !== undefined) return hit;
    const a = n >>> 24;
    const rest = n & 0xffffff;
    let out = 0;
    for (let i = 0; i < 24; i++) {
      const prefix = i === 0 ? 0 : rest >>> (24 - i);
      const bit = (rest >>> (23 - i)) & 1;
      out = (out << 1) | (bit ^ (lastOctetPinned(i, prefix) ? 0 : this.flip(a, i, prefix)));
    }
    const mapped = ((this.mapFirstOctet(a) << 24) >>> 0) + out;
    this.cache.set(n, mapped);
    this.ips.set(formatIpv4(n), formatIpv4(mapped));
    return mapped;
  }

  /** Maps a dotted-quad string; non-addresses are returned unchanged. */
  map(ip: string): string {
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

  private flip(a: number, i: number, prefix: number): number {
    // Cache only flips for prefixes up to /24 (few distinct ones, shared by many addresses):
    // caching last-octet flips would cost ~8 entries per address and dominate memory.
    const k = (a * 32 + i) * 0x1000000 + prefix;
    let f = i < 16 ? this.flipCache.get(k) : undefined;
    if (f === undefined) {
      const msg = Buffer.from([a, i, (prefix >>> 16) & 255, (prefix >>> 8) & 255, prefix & 255]);
      f = createHmac('sha256', this.key).update(msg).digest()[0] & 1;
      if (i < 16) this.flipCache.set(k, f);
    }
    return f;
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
