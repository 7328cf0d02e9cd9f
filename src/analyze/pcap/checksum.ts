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
  const end = offset + replacement.length;
  let oldSum = 0;
  let newSum = 0;
  // Word by word over the aligned window, without allocating: this runs for every patched field.
  for (let i = offset & ~1; i < end; i += 2) {
    const oldHigh = i < buf.length ? buf[i] : 0;
    const oldLow = i + 1 < buf.length ? buf[i + 1] : 0;
    const newHigh = i >= offset ? replacement[i - offset] : oldHigh;
    const newLow = i + 1 >= offset && i + 1 < end ? replacement[i + 1 - offset] : oldLow;
    oldSum += (oldHigh << 8) | oldLow;
    newSum += (newHigh << 8) | newLow;
  }
  const fold = (sum: number) => {
    while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
    return sum;
  };
  // new - old in one's complement = new + ~old.
  return addOnesComplement(fold(newSum), ~fold(oldSum) & 0xffff);
}

/**
 * Applies a one's-complement sum change to a stored checksum (RFC 1624 eqn. 3:
 * HC' = ~(~HC + m')). `zeroMeansNone` is for UDP, where a computed 0 is sent as 0xffff.
 */
export function adjustChecksum(stored: number, delta: number, zeroMeansNone = false): number {
  const updated = ~addOnesComplement(~stored & 0xffff, delta) & 0xffff;
  return zeroMeansNone && updated === 0 ? 0xffff : updated;
}
