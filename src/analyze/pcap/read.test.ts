import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { epb, idb, pcapFile, pcapngBlock, shb, spb } from '../../../test/fixtures/pcap/build.js';
import { readCapture, readCaptureSync } from './read.js';
import type { CaptureRecord } from './types.js';

const frame = (n: number, length = 60) => Buffer.alloc(length, n);

describe('pcap', () => {
  it('reads little-endian microsecond files', () => {
    const file = pcapFile([
      { data: frame(1), tsSec: 1_790_000_001, tsFraction: 250_000 },
      { data: frame(2, 70), tsSec: 1_790_000_002, tsFraction: 999_999, originalLength: 1514 },
    ]);
    const { records, info } = readCaptureSync(file);
    expect(info).toMatchObject({ format: 'pcap', byteOrder: 'LE', nanosecond: false, packets: 2, truncated: false });
    expect(info.error).toBeUndefined();
    expect(info.interfaces).toEqual([{ id: 0, section: 0, linkType: 1, snapLength: 262144 }]);
    expect(records.map((r) => [r.tsSec, r.tsNsec, r.capturedLength, r.originalLength, r.data[0]])).toEqual([
      [1_790_000_001, 250_000_000, 60, 60, 1],
      [1_790_000_002, 999_999_000, 70, 1514, 2],
    ]);
  });

  it('reads big-endian nanosecond files', () => {
    const file = pcapFile([{ data: frame(7), tsSec: 1_790_000_000, tsFraction: 123_456_789 }], { littleEndian: false, nano: true, linkType: 276, snapLength: 128 });
    const { records, info } = readCaptureSync(file);
    expect(info).toMatchObject({ format: 'pcap', byteOrder: 'BE', nanosecond: true, packets: 1 });
    expect(info.interfaces[0]).toMatchObject({ linkType: 276, snapLength: 128 });
    expect(records[0]).toMatchObject({ tsSec: 1_790_000_000, tsNsec: 123_456_789, linkType: 276 });
  });

  it('stops cleanly at a truncated final record and keeps the complete ones', () => {
    const file = pcapFile([{ data: frame(1) }, { data: frame(2) }, { data: frame(3) }]);
    for (const cut of [1, 10, 16, 40]) {
      const { records, info } = readCaptureSync(file.subarray(0, file.length - cut));
      expect(records.map((r) => r.data[0])).toEqual([1, 2]);
      expect(info.truncated).toBe(true);
      expect(info.error).toBeUndefined();
    }
    expect(readCaptureSync(file.subarray(0, 10)).info).toMatchObject({ truncated: true, packets: 0 });
  });

  it('reports garbage and empty input as errors, not exceptions', () => {
    expect(readCaptureSync(Buffer.from('hello world, not a capture')).info.error).toMatch(/not a pcap or pcapng/);
    expect(readCaptureSync(Buffer.alloc(0)).info.error).toMatch(/empty file/);
    const bad = pcapFile([{ data: frame(1) }]);
    bad.writeUInt32LE(0x7fffffff, 24 + 8); // captured length of the first record
    const { info } = readCaptureSync(bad);
    expect(info.error).toMatch(/claims 2147483647 captured bytes/);
  });
});

describe('pcapng', () => {
  const ns = (sec: number, nsec: number) => BigInt(sec) * 1_000_000_000n + BigInt(nsec);

  it('reads several interfaces with their own link types and resolutions, skipping unknown blocks', () => {
    const file = Buffer.concat([
      shb(true, [{ code: 4, value: Buffer.from('Linux') }]),
      idb({ linkType: 1, snapLength: 128, name: 'eth0' }), // default resolution: µs
      idb({ linkType: 276, snapLength: 0, tsresol: 9, name: 'any' }),
      epb({ interfaceId: 0, timestamp: 1_790_000_000_500_000n, data: frame(1), originalLength: 1500 }),
      pcapngBlock(0x00000bad, Buffer.from('custom block to skip')),
      pcapngBlock(4, Buffer.alloc(8)), // name resolution block: skipped
      epb({ interfaceId: 1, timestamp: ns(1_790_000_001, 42), data: frame(2) }),
      idb({ linkType: 113, tsresol: 0x80 | 10 }), // 2^-10 s units
      epb({ interfaceId: 2, timestamp: (1_790_000_002n << 10n) | 512n, data: frame(3) }),
    ]);
    const { records, info } = readCaptureSync(file);
    expect(info).toMatchObject({ format: 'pcapng', byteOrder: 'LE', packets: 3, skippedBlocks: 2, truncated: false });
    expect(info.interfaces.map((i) => [i.id, i.linkType, i.snapLength, i.name])).toEqual([
      [0, 1, 128, 'eth0'],
      [1, 276, 0, 'any'],
      [2, 113, 262144, undefined],
    ]);
    expect(records.map((r) => [r.interfaceId, r.linkType, r.tsSec, r.tsNsec, r.originalLength, r.data[0]])).toEqual([
      [0, 1, 1_790_000_000, 500_000_000, 1500, 1],
      [1, 276, 1_790_000_001, 42, 60, 2],
      [2, 113, 1_790_000_002, 500_000_000, 60, 3],
    ]);
  });

  it('reads big-endian sections, simple packet blocks and a second section with other byte order', () => {
    const file = Buffer.concat([
      shb(false),
      idb({ linkType: 1, snapLength: 64, littleEndian: false }),
      spb(frame(9, 100), 100, false), // clipped to the 64-byte snap length
      epb({ interfaceId: 0, timestamp: 1_790_000_003_000_001n, data: frame(8), littleEndian: false }),
      shb(true),
      idb({ linkType: 113 }),
      epb({ interfaceId: 0, timestamp: 1_790_000_004_000_000n, data: frame(6) }),
    ]);
    const { records, info } = readCaptureSync(file);
    expect(info).toMatchObject({ format: 'pcapng', packets: 3, truncated: false, byteOrder: 'LE' });
    expect(info.error).toBeUndefined();
    expect(records.map((r) => [r.interfaceId, r.linkType, r.capturedLength, r.originalLength, r.tsSec, r.tsNsec])).toEqual([
      [0, 1, 64, 100, 0, 0],
      [0, 1, 60, 60, 1_790_000_003, 1000],
      [1, 113, 60, 60, 1_790_000_004, 0],
    ]);
    expect(info.interfaces.map((i) => i.section)).toEqual([0, 1]);
  });

  it('stops at a truncated last block and flags packets naming undeclared interfaces', () => {
    const good = Buffer.concat([shb(), idb({ linkType: 1 }), epb({ interfaceId: 0, timestamp: 1n, data: frame(1) }), epb({ interfaceId: 0, timestamp: 2n, data: frame(2) })]);
    const cut = readCaptureSync(good.subarray(0, good.length - 5));
    expect(cut.records).toHaveLength(1);
    expect(cut.info.truncated).toBe(true);

    const undeclared = Buffer.concat([shb(), idb({ linkType: 1 }), epb({ interfaceId: 3, timestamp: 1n, data: frame(1) })]);
    expect(readCaptureSync(undeclared).info.error).toMatch(/interface 3, which the section never declared/);

    const badTrailer = Buffer.concat([shb(), idb({ linkType: 1 })]);
    badTrailer.writeUInt32LE(99, badTrailer.length - 4);
    expect(readCaptureSync(badTrailer).info.error).toMatch(/trailing length/);
  });
});

describe('reading files in chunks', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ndtpcap-read-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers the same records for every chunk size, including ones smaller than a record', async () => {
    const packets = Array.from({ length: 50 }, (_, i) => ({ data: frame(i, 40 + (i % 7) * 13), tsSec: 1_790_000_000 + i }));
    const pcap = pcapFile(packets);
    const ng = Buffer.concat([shb(), idb({ linkType: 1 }), ...packets.map((p) => epb({ interfaceId: 0, timestamp: BigInt(p.tsSec) * 1_000_000n, data: p.data }))]);
    for (const [name, bytes] of [['a.pcap', pcap], ['b.pcapng', ng]] as const) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      for (const chunkSize of [16, 17, 100, 4096]) {
        const reader = readCapture(path, { chunkSize });
        const seen: CaptureRecord[] = [];
        for await (const record of reader) seen.push(record);
        expect(seen.map((r) => [r.index, r.tsSec, r.data.length, r.data[0]])).toEqual(packets.map((p, i) => [i, p.tsSec, p.data.length, i]));
        expect(reader.info).toMatchObject({ packets: 50, truncated: false });
      }
      await writeFile(path, bytes.subarray(0, bytes.length - 3));
      const reader = readCapture(path, { chunkSize: 64 });
      let count = 0;
      for await (const _ of reader) count++;
      expect([count, reader.info.truncated]).toEqual([49, true]);
    }
  });

  it('stops reading when the run is cancelled', async () => {
    const path = join(dir, 'cancel.pcap');
    await writeFile(path, pcapFile(Array.from({ length: 20 }, (_, i) => ({ data: frame(i) }))));
    const controller = new AbortController();
    const seen: number[] = [];
    const reading = (async () => {
      for await (const record of readCapture(path, { chunkSize: 100, signal: controller.signal })) {
        seen.push(record.index);
        if (record.index === 2) controller.abort(new Error('interrupted'));
      }
    })();
    await expect(reading).rejects.toThrow('interrupted');
    expect(seen.length).toBeLessThan(20);
  });

  it('reports a missing file as an error value', async () => {
    const reader = readCapture(join(dir, 'nope.pcap'));
    for await (const _ of reader) throw new Error('no records expected');
    expect(reader.info.error).toMatch(/cannot open .*nope\.pcap: ENOENT/);
  });
});
