/**
 * Pod logs (`GET …/pods/<pod>/log`) served from `<logsDir>/<ns>_<pod>_<container>[.previous].log`
 * with the kubelet's rules: a container name is required for multi-container pods, `previous`
 * needs a terminated previous instance, `tailLines` counts from the end, `limitBytes` truncates,
 * `follow` streams what is appended. `timestamps`/`sinceSeconds` are accepted and ignored (the
 * lab's log files carry their own klog timestamps).
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { LabPod, LabState } from '../model.js';
import { badRequest, notFound, type ApiError } from './status.js';

/** The query parameters of a log request that the lab honours. */
export interface LogOptions {
  container?: string;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
  follow: boolean;
}

/** Parses the query; a bad number is a 400 like the real server. */
export function parseLogOptions(q: URLSearchParams): LogOptions | ApiError {
  const num = (key: string): number | undefined | ApiError => {
    const v = q.get(key);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    return Number.isInteger(n) && n >= 0 ? n : badRequest(`${key}: Invalid value: ${JSON.stringify(v)}: must be greater than or equal to 0`);
  };
  const tailLines = num('tailLines');
  const limitBytes = num('limitBytes');
  if (typeof tailLines === 'object') return tailLines;
  if (typeof limitBytes === 'object') return limitBytes;
  return { container: q.get('container') || undefined, previous: q.get('previous') === 'true', tailLines, limitBytes, follow: q.get('follow') === 'true' };
}

/** Resolves which file to serve, or the error the kubelet would give. */
export function logFileFor(state: LabState, pod: LabPod | undefined, podName: string, opts: LogOptions): { file: string } | ApiError {
  if (!pod) return notFound('pods', podName);
  const names = pod.containers.map((c) => c.name);
  const containerName = opts.container ?? (names.length === 1 ? names[0] : undefined);
  if (!containerName) return badRequest(`a container name must be specified for pod ${pod.name}, choose one of: [${names.join(' ')}]`);
  const container = pod.containers.find((c) => c.name === containerName);
  if (!container) return badRequest(`container ${containerName} is not valid for pod ${pod.name}`);
  const base = join(state.files.logsDir, `${pod.namespace}_${pod.name}_${containerName}`);
  if (opts.previous) {
    if (!container.lastTerminated && container.restartCount === 0) {
      return badRequest(`previous terminated container "${containerName}" in pod "${pod.name}" not found`);
    }
    return { file: `${base}.previous.log` };
  }
  if (pod.phase === 'Pending' && !container.lastTerminated) {
    return badRequest(`container "${containerName}" in pod "${pod.name}" is waiting to start: ${container.waitingReason ?? 'ContainerCreating'}`);
  }
  return { file: `${base}.log` };
}

/** Byte offset where the last `lines` lines of the file start (reads backwards in blocks). */
async function tailOffset(file: string, size: number, lines: number): Promise<number> {
  if (lines === 0) return size;
  const fh = await open(file, 'r');
  try {
    let pos = size;
    let newlines = 0;
    const block = Buffer.alloc(64 * 1024);
    // A trailing newline ends the last line; it does not start a new one.
    let skipTrailing = true;
    while (pos > 0) {
      const len = Math.min(block.length, pos);
      pos -= len;
      await fh.read(block, 0, len, pos);
      for (let i = len - 1; i >= 0; i--) {
        if (block[i] !== 0x0a) {
          skipTrailing = false;
          continue;
        }
        if (skipTrailing) {
          skipTrailing = false;
          continue;
        }
        if (++newlines === lines) return pos + i + 1;
      }
    }
    return 0;
  } finally {
    await fh.close();
  }
}

/** Streams the selected part of a log file into the response (missing file = empty log). */
export async function serveLogFile(res: ServerResponse, file: string, opts: LogOptions, previous: boolean): Promise<ApiError | undefined> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    if (previous) return badRequest(`previous terminated container log not found: ${file.split('/').pop()}`);
    size = 0;
  }
  const start = opts.tailLines !== undefined && size > 0 ? await tailOffset(file, size, opts.tailLines) : 0;
  const end = opts.limitBytes !== undefined ? Math.min(size, start + opts.limitBytes) : size;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  if (end > start) await copyRange(res, file, start, end);
  if (opts.follow && !previous) await follow(res, file, end, opts.limitBytes === undefined ? Infinity : opts.limitBytes - (end - start));
  res.end();
  return undefined;
}

function copyRange(res: ServerResponse, file: string, start: number, end: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const rs = createReadStream(file, { start, end: end - 1 });
    rs.on('error', () => resolve());
    rs.on('end', () => resolve());
    rs.pipe(res, { end: false });
  });
}

/**
 * `follow=true`: keeps sending what is appended to the file until the client goes, the byte
 * limit is reached, or the file shrinks or disappears (the lab replaced the container).
 */
async function follow(res: ServerResponse, file: string, from: number, budget: number): Promise<void> {
  let pos = from;
  let left = budget;
  let closed = false;
  res.on('close', () => (closed = true));
  while (!closed && left > 0) {
    await new Promise((r) => setTimeout(r, 300));
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return;
    }
    if (size < pos) return;
    if (size > pos) {
      const end = Math.min(size, pos + left);
      await copyRange(res, file, pos, end);
      left -= end - pos;
      pos = end;
    }
  }
}
