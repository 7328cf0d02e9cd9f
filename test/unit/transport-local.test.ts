/**
 * Local exec (execa) and the kubectl wrapper: real processes, real process groups.
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlArgv, runKubectl } from '../../src/transport/kubectl.js';
import { runLocal } from '../../src/transport/local-exec.js';

class TextSink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

function sinks() {
  return { stdout: new TextSink(), stderr: new TextSink() };
}

function pgrep(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ndt-local-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('runLocal', () => {
  it('runs a string through /bin/sh -c and streams both outputs', async () => {
    const io = sinks();
    const outcome = await runLocal({ command: 'echo "$GREETING"; echo oops >&2; exit 0', env: { GREETING: 'hi there' }, ...io, signal: new AbortController().signal });
    expect(outcome).toMatchObject({ status: 'ok', exitCode: 0 });
    expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
    expect(io.stdout.text).toBe('hi there\n');
    expect(io.stderr.text).toBe('oops\n');
  });

  it('runs an argv list without a shell (metacharacters stay literal)', async () => {
    const io = sinks();
    const outcome = await runLocal({ command: ['printf', '%s|', 'a;rm -rf /', '$(id)'], cwd: dir, ...io, signal: new AbortController().signal });
    expect(outcome.status).toBe('ok');
    expect(io.stdout.text).toBe('a;rm -rf /|$(id)|');
  });

  it('reports a non-zero exit and a missing binary as failed', async () => {
    const failed = await runLocal({ command: 'exit 7', ...sinks(), signal: new AbortController().signal });
    expect(failed).toMatchObject({ status: 'failed', exitCode: 7 });
    const missing = await runLocal({ command: ['ndt-no-such-binary', 'x'], ...sinks(), signal: new AbortController().signal });
    expect(missing).toMatchObject({ status: 'failed', exitCode: null, error: 'ndt-no-such-binary not found on PATH' });
  });

  it('kills the whole process group on timeout, children included', async () => {
    const marker = `400.${randomInt(1e8, 1e9)}`;
    const io = sinks();
    const outcome = await runLocal({
      command: `echo started; (sleep ${marker} & sleep ${marker}; wait) & sleep ${marker}; wait`,
      ...io,
      signal: AbortSignal.timeout(1000),
      killGraceMs: 500,
    });
    expect(outcome.status).toBe('timedout');
    expect(outcome.error).toBe('timed out; process group killed');
    expect(outcome.signal).toBe('SIGTERM');
    expect(io.stdout.text).toBe('started\n');
    expect(pgrep(`sleep ${marker}`)).toEqual([]);
  });

  it('escalates to SIGKILL when the group ignores SIGTERM; other aborts are interrupted', async () => {
    const marker = `401.${randomInt(1e8, 1e9)}`;
    const controller = new AbortController();
    const pending = runLocal({
      command: `trap '' TERM; sh -c 'trap "" TERM; sleep ${marker}' & echo ready; wait`,
      ...sinks(),
      signal: controller.signal,
      killGraceMs: 300,
    });
    for (let i = 0; i < 100 && pgrep(`sleep ${marker}`).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const outcome = await pending;
    expect(outcome.status).toBe('interrupted');
    expect(outcome.signal).toBe('SIGKILL'); // TERM was ignored, so the escalation did it
    expect(pgrep(`sleep ${marker}`)).toEqual([]);
  });

  it('never starts a command whose abort landed while execa was loading', async () => {
    const marker = `91.${randomInt(1e8, 1e9)}`;
    const ac = new AbortController();
    const running = runLocal({ command: `sleep ${marker}`, ...sinks(), signal: ac.signal });
    // runLocal is now awaiting its dynamic import of execa; the abort fires before it resumes.
    queueMicrotask(() => ac.abort(new Error('interrupted by SIGINT')));
    const outcome = await running;
    expect(outcome).toMatchObject({ status: 'interrupted', error: 'aborted before start' });
    expect(pgrep(`^sleep ${marker}`)).toEqual([]);
  });

  it('streams a large output to a file', async () => {
    const file = join(dir, 'big.bin');
    const out = createWriteStream(file);
    const outcome = await runLocal({ command: ['head', '-c', '50000000', '/dev/zero'], stdout: out, stderr: new TextSink(), signal: new AbortController().signal });
    await new Promise((resolve) => out.end(resolve));
    expect(outcome.status).toBe('ok');
    expect((await stat(file)).size).toBe(50_000_000);
  });
});

describe('runKubectl', () => {
  it('puts --kubeconfig and --context in front of the arguments', () => {
    expect(kubectlArgv(['get', 'pods'], { kubeconfig: '/k/config', context: 'lab' })).toEqual([
      '--kubeconfig', '/k/config', '--context', 'lab', 'get', 'pods',
    ]);
    expect(kubectlArgv(['version'], {})).toEqual(['version']);
  });

  it('runs the real kubectl binary', async () => {
    const io = sinks();
    const outcome = await runKubectl(['version', '--client', '-o', 'json'], { ...io, signal: new AbortController().signal });
    expect(outcome.status).toBe('ok');
    expect(JSON.parse(io.stdout.text)).toHaveProperty('clientVersion');
  });

  it('passes kubeconfig and context through to the binary', async () => {
    // A stand-in binary that echoes its argv proves what kubectl would receive.
    const fake = join(dir, 'kubectl-echo');
    await writeFile(fake, '#!/bin/sh\nprintf "%s\\n" "$@"\n');
    await chmod(fake, 0o755);
    const io = sinks();
    const outcome = await runKubectl(['get', 'nodes'], { kubeconfig: '/tmp/kc', context: 'c1', kubectlPath: fake, ...io, signal: new AbortController().signal });
    expect(outcome.status).toBe('ok');
    expect(io.stdout.text).toBe('--kubeconfig\n/tmp/kc\n--context\nc1\nget\nnodes\n');
  });

  it('says "kubectl not found on PATH" when the binary is missing', async () => {
    const outcome = await runKubectl(['version'], { ...sinks(), signal: new AbortController().signal, env: { PATH: dir } });
    expect(outcome).toMatchObject({ status: 'failed', exitCode: null, error: 'kubectl not found on PATH' });
  });
});
