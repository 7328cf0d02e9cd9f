/**
 * Reads what a bundle needs to know about a run directory, defensively (the run may have been
 * interrupted, or written by another netdiag version): every regular file with its size and
 * whether it is text, what `run.json` says about the plan and the hosts, and node names seen in
 * the collected Kubernetes objects (for obfuscation).
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ScannedFile {
  /** Path relative to the run directory, `/`-separated. */
  rel: string;
  abs: string;
  bytes: number;
  binary: boolean;
  /** Classic pcap or pcapng (by magic number). */
  pcap: 'pcap' | 'pcapng' | false;
}

export interface RunInfo {
  planName: string;
  stamp: string;
  hostnames: string[];
  addresses: string[];
}

/** Staging folders of an in-progress bundle never belong in one. */
const SKIP_PREFIX = '.netdiag-bundle-';
const PCAP_MAGICS = new Set(['a1b2c3d4', 'd4c3b2a1', 'a1b23c4d', '4d3cb2a1']);

/** Regular files under `root` (symlinks, sockets, devices are listed in `skipped`). */
export async function scanRunDir(root: string, exclude: string[] = []): Promise<{ files: ScannedFile[]; skipped: { rel: string; reason: string }[] }> {
  const files: ScannedFile[] = [];
  const skipped: { rel: string; reason: string }[] = [];
  const excluded = new Set(exclude.map((p) => path.resolve(p)));
  async function walk(dir: string, relDir: string): Promise<void> {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      if (e.name.startsWith(SKIP_PREFIX) || excluded.has(abs)) continue;
      const st = await lstat(abs);
      if (st.isDirectory()) await walk(abs, rel);
      else if (st.isFile()) files.push({ rel, abs, bytes: st.size, ...(await sniff(abs, st.size)) });
      else skipped.push({ rel, reason: st.isSymbolicLink() ? 'symlink (not followed)' : 'not a regular file' });
    }
  }
  await walk(root, '');
  return { files, skipped };
}

/** Text or binary, from the first 8 KiB: a NUL byte or a capture magic means binary. */
async function sniff(abs: string, size: number): Promise<{ binary: boolean; pcap: ScannedFile['pcap'] }> {
  if (size === 0) return { binary: false, pcap: false };
  const fh = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(Math.min(8192, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const head = buf.subarray(0, bytesRead);
    const magic = head.subarray(0, 4).toString('hex');
    if (PCAP_MAGICS.has(magic)) return { binary: true, pcap: 'pcap' };
    if (magic === '0a0d0d0a') return { binary: true, pcap: 'pcapng' };
    return { binary: head.includes(0), pcap: false };
  } finally {
    await fh.close();
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Plan name, stamp, inventory host names/addresses and step targets from `run.json`. */
export async function readRunInfo(runDir: string): Promise<RunInfo> {
  const stamp = path.basename(path.resolve(runDir));
  const info: RunInfo = { planName: path.basename(path.dirname(path.resolve(runDir))), stamp, hostnames: [], addresses: [] };
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await readFile(path.join(runDir, 'run.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    return info; // no or unreadable manifest: bundle what is there
  }
  const plan = doc.plan as Record<string, unknown> | undefined;
  info.planName = str(plan?.name) ?? info.planName;
  const inv = doc.inventory as { hosts?: unknown } | undefined;
  const hosts = Array.isArray(inv?.hosts) ? inv.hosts : inv?.hosts && typeof inv.hosts === 'object' ? Object.values(inv.hosts) : [];
  for (const h of hosts) {
    if (typeof h === 'string') info.hostnames.push(h);
    else if (h && typeof h === 'object') {
      const o = h as Record<string, unknown>;
      const name = str(o.name);
      const address = str(o.address) ?? str(o.ansible_host);
      if (name) info.hostnames.push(name);
      if (address) (/^\d+\.\d+\.\d+\.\d+$/.test(address) ? info.addresses : info.hostnames).push(address);
    }
  }
  for (const step of Array.isArray(doc.steps) ? doc.steps : []) {
    const targets = (step as { targets?: unknown })?.targets;
    for (const t of Array.isArray(targets) ? targets : []) {
      const target = str((t as { target?: unknown; host?: unknown })?.target) ?? str((t as { host?: unknown })?.host);
      if (target) info.hostnames.push(target);
    }
  }
  info.hostnames = [...new Set(info.hostnames)];
  return info;
}

const NODE_NAME = /(?:"nodeName"|\bnodeName|"kubernetes\.io\/hostname"|\bkubernetes\.io\/hostname)["']?\s*:\s*["']?([A-Za-z0-9][A-Za-z0-9.-]*)/g;
/** Bytes of each structured file read for node names (bounded work). */
const SCAN_LIMIT = 32 * 1024 * 1024;

/** Node names that appear in collected Kubernetes objects (`nodeName`, `kubernetes.io/hostname`). */
export async function scanNodeNames(files: ScannedFile[]): Promise<string[]> {
  const names = new Set<string>();
  for (const f of files) {
    if (f.binary || !/\.(ya?ml|json|txt)$/i.test(f.rel)) continue;
    const rl = createInterface({ input: createReadStream(f.abs, { end: SCAN_LIMIT - 1, encoding: 'latin1' }), crlfDelay: Infinity });
    for await (const line of rl) {
      if (!line.includes('nodeName') && !line.includes('kubernetes.io/hostname')) continue;
      for (const m of line.matchAll(NODE_NAME)) names.add(m[1].replace(/\.$/, ''));
    }
  }
  return [...names];
}
