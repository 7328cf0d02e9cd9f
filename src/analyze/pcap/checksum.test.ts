import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { addOnesComplement, adjustChecksum, internetChecksum, replacementDelta } from './checksum.js';

describe('Internet checksum', () => {
  it('matches the RFC 1071 worked example', () => {
    // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2.
    expect(internetChecksum(Buffer.from('0001f203f4f5f6f7', 'hex'), 0, 8)).toBe(~0xddf2 & 0xffff);
  });

  it('incremental updates equal a full recomputation, for any patch position and length', () => {
    for (let round = 0; round < 500; round++) {
      const length = 20 + (round % 61); // odd and even lengths
      const buf = randomBytes(length);
      const stored = internetChecksum(buf, 0, length);
      let delta = 0;
      for (let patch = 0; patch < 1 + (round % 4); patch++) {
        const offset = (round * 7 + patch * 13) % (length - 6);
        const replacement = randomBytes(1 + ((round + patch) % 6));
        delta = addOnesComplement(delta, replacementDelta(buf, offset, replacement));
        replacement.copy(buf, offset);
      }
      const full = internetChecksum(buf, 0, length);
      // 0x0000 and 0xffff are the same number in one's complement.
      expect([full, full === 0 ? 0xffff : full === 0xffff ? 0 : full]).toContain(adjustChecksum(stored, delta));
    }
  });

  it('never produces 0 for UDP, where 0 means "no checksum"', () => {
    const buf = Buffer.from('0000ffff', 'hex');
    expect(adjustChecksum(0xffff, 0, true)).toBe(0xffff);
    expect(adjustChecksum(internetChecksum(buf, 0, 4), replacementDelta(buf, 0, Buffer.from([0xff, 0xff])), true)).not.toBe(0);
  });
});
