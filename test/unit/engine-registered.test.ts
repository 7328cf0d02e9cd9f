/** readHead: what a registered result keeps of a step's stdout (the file keeps everything). */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHead } from '../../src/engine/registered.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'ndt-readhead-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readHead', () => {
  it.each([
    ['empty', '', 8, { text: '', truncated: false }],
    ['shorter than the cap', 'hello\n', 8, { text: 'hello\n', truncated: false }],
    ['exactly the cap', '12345678', 8, { text: '12345678', truncated: false }],
    ['one byte over the cap', '123456789', 8, { text: '12345678', truncated: true }],
    ['far over the cap', 'x'.repeat(100_000), 8, { text: 'xxxxxxxx', truncated: true }],
  ])('%s', async (name, content, cap, expected) => {
    const file = path.join(dir, `${name}.txt`);
    await writeFile(file, content);
    expect(await readHead(file, cap)).toEqual(expected);
  });
});
