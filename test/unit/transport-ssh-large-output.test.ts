/**
 * A 200 MB remote output is streamed to disk with bounded memory (real sshd, real file).
 * Own file so the RSS samples come from a worker that did nothing else.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SshPool } from '../../src/transport/ssh-pool.js';
import { startSshd, type SshdServer } from '../helpers/sshd.js';

const BYTES = 200_000_000;
const RSS_LIMIT = 150 * 1024 * 1024;

let server: SshdServer;
let pool: SshPool;
let dir: string;

beforeAll(async () => {
  server = await startSshd();
  pool = new SshPool();
  dir = await mkdtemp(join(tmpdir(), 'ndt-large-'));
});
afterAll(async () => {
  await pool?.closeAll();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('streams 200 MB of stdout to a file while RSS stays under 150 MB', async () => {
  const file = join(dir, 'big.bin');
  const out = createWriteStream(file);
  const errors: string[] = [];
  const stderr = new Writable({
    write(chunk: Buffer, _enc, done) {
      errors.push(chunk.toString());
      done();
    },
  });
  const startRss = process.memoryUsage().rss;
  let maxRss = startRss;
  const sampler = setInterval(() => {
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }, 20);
  const outcome = await pool.exec(
    {
      name: 'big',
      address: server.host,
      port: server.port,
      user: server.user,
      privateKeyFile: server.userKeyFile,
      knownHostsFile: server.knownHostsFile,
      become: false,
      jump: [],
      vars: {},
      groups: ['all'],
    },
    { command: `head -c ${BYTES} /dev/zero`, stdout: out, stderr, signal: new AbortController().signal },
  );
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  clearInterval(sampler);
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  console.log(`200 MB over ssh: ${outcome.durationMs} ms, RSS at start ${(startRss / 1048576).toFixed(1)} MiB, max ${(maxRss / 1048576).toFixed(1)} MiB`);

  expect(outcome).toMatchObject({ status: 'ok', exitCode: 0 });
  expect(errors.join('')).toBe('');
  expect((await stat(file)).size).toBe(BYTES);
  expect(maxRss).toBeLessThan(RSS_LIMIT);
});
