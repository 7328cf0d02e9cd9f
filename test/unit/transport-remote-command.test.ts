/**
 * The remote wrapper and its watchdog (run by the real /bin/sh here, in a fresh session as
 * sshd does) and the per-host channel limiter.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChannelLimiter } from '../../src/transport/channel-limiter.js';
import { wrapRemoteCommand } from '../../src/transport/remote-command.js';
import { shellQuote } from '../../src/transport/shell-quote.js';

/** Run the wrapper as sshd would: in a fresh session, stdin a pipe we control. */
function runWrapped(wrapped: string) {
  const child = spawn('setsid', ['/bin/sh', '-c', wrapped], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, closed };
}

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

describe('shellQuote', () => {
  it('makes any string one literal word for /bin/sh', () => {
    for (const value of ["a;rm -rf /", "it's", '$(id) `id` "x"', 'line\nbreak', '', 'plain-word_1.2']) {
      const echoed = execFileSync('/bin/sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8' });
      expect(echoed).toBe(value);
    }
  });
});

describe('wrapRemoteCommand', () => {
  it('runs the command under /bin/sh with stdin /dev/null and passes output and exit code', async () => {
    const { child, closed } = runWrapped(wrapRemoteCommand(`echo "it's \\$HOME"; echo err >&2; cat; exit 4`, 1000));
    const result = await closed; // `cat` reads /dev/null, so it does not wait for our stdin
    child.stdin.end();
    expect(result).toMatchObject({ code: 4, stdout: "it's $HOME\n", stderr: 'err\n' });
  });

  it('kills the whole process group when its stdin reaches EOF', async () => {
    const marker = `500.${randomInt(1e8, 1e9)}`;
    const { child, closed } = runWrapped(
      wrapRemoteCommand(`echo up; (sleep ${marker} & sleep ${marker}; wait) & sleep ${marker}; wait`, 1000),
    );
    for (let i = 0; i < 100 && pgrep(`^sleep ${marker}`).length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pgrep(`^sleep ${marker}`)).toHaveLength(3);
    child.stdin.end(); // what channel.end() does over SSH
    const result = await closed;
    expect(result.signal).toBe('SIGTERM');
    expect(result.stdout).toBe('up\n');
    expect(pgrep(`^sleep ${marker}`)).toEqual([]);
  });

  it('escalates to SIGKILL for a group that ignores SIGTERM', async () => {
    const marker = `501.${randomInt(1e8, 1e9)}`;
    const { child, closed } = runWrapped(wrapRemoteCommand(`trap '' TERM; sleep ${marker} >/dev/null 2>&1 & wait`, 300));
    for (let i = 0; i < 100 && pgrep(`^sleep ${marker}`).length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    child.stdin.end();
    await closed;
    for (let i = 0; i < 50 && pgrep(`^sleep ${marker}`).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(pgrep(`^sleep ${marker}`)).toEqual([]);
  });

  it('leaves no watchdog behind after a normal exit', async () => {
    const { child, closed } = runWrapped(wrapRemoteCommand('sleep 0.3', 1000));
    // setsid execs in place, so the wrapper's pid is the group the watchdog names in its argv.
    const watchdog = `netdiag-watchdog ${child.pid} 10`;
    for (let i = 0; i < 100 && pgrep(watchdog).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(pgrep(watchdog)).toHaveLength(1);
    expect((await closed).code).toBe(0);
    expect(pgrep(watchdog)).toEqual([]); // gone although its stdin is still open
    child.stdin.end();
  });

  it('wraps become in sudo -n -u <user>', async () => {
    const wrapped = wrapRemoteCommand('id -un', 1000, { user: 'nobody' });
    expect(wrapped.startsWith('exec sudo -n -u nobody -- /bin/sh -c ')).toBe(true);
    const { child, closed } = runWrapped(wrapped);
    const result = await closed;
    child.stdin.end();
    expect(result.stdout).toBe('nobody\n');
  });

  it('skips sudo for become-root when already root, and uses it otherwise', async () => {
    const wrapped = wrapRemoteCommand('id -un', 1000, { user: 'root' });
    expect(wrapped).toMatch(/^if \[ "\$\(id -u\)" = 0 \]; then exec \/bin\/sh -c .*; fi; exec sudo -n -u root -- \/bin\/sh -c /s);
    const { child, closed } = runWrapped(wrapped);
    const result = await closed;
    child.stdin.end();
    expect(result.stdout).toBe('root\n');
  });
});

describe('ChannelLimiter', () => {
  it('holds at most N slots, grants in FIFO order and drops aborted waiters', async () => {
    const limiter = new ChannelLimiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    expect(limiter.inUse).toBe(2);
    const order: string[] = [];
    const controller = new AbortController();
    const c = limiter.acquire().then((r) => (order.push('c'), r));
    const aborted = limiter.acquire(controller.signal);
    const d = limiter.acquire().then((r) => (order.push('d'), r));
    expect(limiter.queued).toBe(3);
    controller.abort();
    expect(await aborted).toBeNull();
    expect(limiter.queued).toBe(2);
    a!();
    a!(); // a second release of the same slot is ignored
    (await c)!();
    b!();
    (await d)!();
    expect(order).toEqual(['c', 'd']);
    expect(limiter.inUse).toBe(0);
  });
});
