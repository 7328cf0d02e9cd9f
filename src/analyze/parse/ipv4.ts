/**
 * Minimal IPv4 / CIDR arithmetic for the rules (podCIDR containment, overlap, `.0` gateways).
 * IPv6 values are recognised and reported as not-IPv4 rather than mis-parsed.
 */

/** Parses a dotted quad into an unsigned 32-bit number, or undefined. */
export function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) >>> 0) + (parts[1] << 16) + (parts[2] << 8) + parts[3];
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** An IPv4 network. */
export interface Cidr {
  network: number;
  prefix: number;
  text: string;
}

/** Parses `a.b.c.d/n` (a bare address is /32); host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, len] = text.trim().split('/');
  const ip = ipv4ToInt(addr ?? '');
  const prefix = len === undefined ? 32 : Number(len);
  if (ip === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  return { network: (ip & mask(prefix)) >>> 0, prefix, text: text.trim() };
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** True when `ip` lies inside `cidr`. */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipv4ToInt(ip);
  return n !== undefined && ((n & mask(cidr.prefix)) >>> 0) === cidr.network;
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.prefix >= outer.prefix && ((inner.network & mask(outer.prefix)) >>> 0) === outer.network;
}

/** True when two networks share any address. */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  return cidrWithin(a, b) || cidrWithin(b, a);
}

/** Network address as text (`198.19.2.0` for `198.19.2.0/24`): flannel's VTEP address. */
export function networkAddress(cidr: Cidr): string {
  return intToIpv4(cidr.network);
}

/** Canonical `network/prefix` text. */
export function cidrText(cidr: Cidr): string {
  return `${intToIpv4(cidr.network)}/${cidr.prefix}`;
}
