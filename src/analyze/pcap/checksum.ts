/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624). Incremental updates
 * matter here: captures are cut by the snap length, so a rewriter rarely has the whole payload
 * a TCP/UDP/ICMP checksum covers — but it knows exactly which bytes it changed.
 */

/** One's-complement sum of `buf[start…end)` as 16-bit big-endian words (odd tail padded with 0). */
export function onesComplementSum(buf: Buffer, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Folded checksum value to store in a header: `~sum` of the covered bytes. */
export function internetChecksum(buf: Buffer, start: number, end: number, initial = 0): number {
  return ~onesComplementSum(buf, start, end, initial) & 0xffff;
}

/** Adds two one's-complement 16-bit sums. */
export function addOnesComplement(a: number, b: number): number {
  let sum = a + b;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Sum change caused by replacing the bytes of `buf` in `[offset, offset+length)` with
 * `replacement`, measured in words aligned to even offsets of `buf` (every checksum this package
 * maintains starts at an even offset). Returns a one's-complement value to add to a sum.
 */
export function replacementDelta(buf: Buffer, offset: number, replacement: Buffer): number {
  const start = offset & ~1;
  const end = offset + replacement.length + ((offset + replacement.length) & 1);
  const before = Buffer.alloc(end - start);
  buf.copy(before, 0, start, Math.min(end, buf.length));
  const after = Buffer.from(before);
  replacement.copy(after, offset - start);
  const oldSum = onesComplementSum(before, 0, before.length);
  const newSum = onesComplementSum(after, 0, after.length);
  // new - old in one's complement = new + ~old.
  return addOnesComplement(newSum, ~oldSum & 0xffff);
}

/**
 * Applies a one's-complement sum change to a stored checksum (RFC 1624 eqn. 3:
 * HC' = ~(~HC + m')). `zeroMeansNone` is for UDP, where a computed 0 is sent as 0xffff.
 */
export function adjustChecksum(stored: number, delta: number, zeroMeansNone = false): number {
  const updated = ~addOnesComplement(~stored & 0xffff, delta) & 0xffff;
  return zeroMeansNone && updated === 0 ? 0xffff : updated;
}
