/**
 * Registered results (Ansible's `register:`), as later `when:`/`until:` expressions and
 * templates see them. A run-level step registers one result; a step over hosts registers one
 * result per host, visible as `registered.<name>` in that host's later steps and as
 * `registered.<name>.results[<host>]` everywhere.
 */
import { open } from 'node:fs/promises';
import type { TargetRecord } from '../artifacts/manifest.js';

/** How much of a step's stdout is kept in memory for expressions (the file keeps all of it). */
export const REGISTERED_STDOUT_CAP = 1024 * 1024;

export interface RegisteredResult {
  status: string;
  rc: number | null | undefined;
  failed: boolean;
  skipped: boolean;
  stdout: string;
  stdout_truncated: boolean;
  files: string[];
  data?: unknown;
}

export async function readHead(file: string, cap = REGISTERED_STDOUT_CAP): Promise<{ text: string; truncated: boolean }> {
  const fh = await open(file, 'r');
  try {
    // Sized to the file: a cap-sized buffer per target is 1 MiB × hosts × steps of RSS.
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafe(Math.min(size, cap) + 1);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return { text: buf.subarray(0, Math.min(bytesRead, cap)).toString('utf8'), truncated: bytesRead > cap };
  } finally {
    await fh.close();
  }
}

export function toRegistered(rec: TargetRecord, stdout: { text: string; truncated: boolean }, data: unknown): RegisteredResult {
  return {
    status: rec.status,
    rc: rec.exitCode,
    failed: rec.status === 'failed' || rec.status === 'timedout' || rec.status === 'unreachable',
    skipped: rec.status === 'skipped' || rec.status === 'would-run',
    stdout: stdout.text,
    stdout_truncated: stdout.truncated,
    files: rec.files.map((f) => f.path),
    ...(data === undefined ? {} : { data }),
  };
}

/** Holds run-level and per-host registrations and builds the view a target sees. */
export class RegisteredStore {
  private readonly run: Record<string, unknown> = {};
  private readonly perHost = new Map<string, Record<string, unknown>>();

  set(name: string, hostName: string | undefined, result: RegisteredResult): void {
    if (hostName === undefined) {
      this.run[name] = result;
      return;
    }
    const mine = this.perHost.get(hostName) ?? {};
    mine[name] = result;
    this.perHost.set(hostName, mine);
    const agg = (this.run[name] as { results?: Record<string, RegisteredResult> } | undefined) ?? {};
    this.run[name] = { ...result, results: { ...(agg.results ?? {}), [hostName]: result } };
  }

  /** What `registered` means for one target: run-level values, overridden by the host's own. */
  view(hostName: string | undefined): Record<string, unknown> {
    return hostName === undefined ? { ...this.run } : { ...this.run, ...(this.perHost.get(hostName) ?? {}) };
  }
}
