/**
 * Stable identities for the objects the lab API serves. Real clusters hand out random UIDs;
 * the lab derives them from kind/namespace/name so that two requests (and the events that
 * reference a pod by uid, as `kubectl describe` does) agree without storing anything.
 */
import { createHash } from 'node:crypto';

/** A UUID-shaped, deterministic uid for one object. */
export function uidFor(kind: string, namespace: string | undefined, name: string): string {
  const h = createHash('sha256').update(`${kind}/${namespace ?? ''}/${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Short lowercase hash suffix like the ones controllers append (`coredns-5d78c9869d`). */
export function shortHash(input: string, length = 10): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const bytes = createHash('sha256').update(input).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/** The network address of an IPv4 CIDR plus an offset (`198.19.1.0/24`, 1 → `198.19.1.1`). */
export function cidrAddress(cidr: string, offset: number): string {
  const [ip] = cidr.split('/');
  const n = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0) + offset;
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}
