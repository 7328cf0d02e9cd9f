#!/usr/bin/env node
/**
 * Benchmark (not a test): bundle a generated 1 GiB run directory and record peak RSS, time and
 * throughput. Target from issue 6: RSS < 150 MB whatever the run's size.
 *
 *   npm run build && node bench/bundle-rss.mjs [--size-mib 1024] [--obfuscate] [--default-budget] [--keep]
 *
 * The run directory (in a temp folder) mixes what real runs hold: logs with IPs and the odd
 * secret, Kubernetes YAML/JSON, iptables dumps, and pcaps of synthetic Ethernet/IPv4/UDP frames.
 * The budget is raised above the run's size so every byte goes through redaction (and, with
 * --obfuscate, obfuscation and the pcap rewriter); --default-budget keeps the defaults
 * (20 MiB per file, 200 MiB total), which is what `netdiag run` does. The bundling runs in a child process; its
 * peak RSS is the kernel's VmHWM, and RSS is also sampled every 50 ms.
 */
import { execFileSync, fork } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';

const MiB = 1024 * 1024;
const args = process.argv.slice(2);

if (args[0] === '--child') {
  // Child: bundle the given run directory and report.
  const [, runDir, obfuscate, defaultBudget] = args;
  // NETDIAG_DIST: another build output folder (default: the repo's dist/).
  const dist = process.env.NETDIAG_DIST ? path.resolve(process.env.NETDIAG_DIST) : new URL('../dist/', import.meta.url).pathname;
  // The CLI's path: bundling in a worker thread with a capped young generation.
  const { createBundleInWorker: createBundle } = await import(path.join(dist, 'artifacts', 'bundle-worker.js'));
  const samples = [];
  let peak = { rss: 0 };
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    samples.push(m.rss);
    if (m.rss > peak.rss) peak = m;
  }, 50);
  const t0 = process.hrtime.bigint();
  const budget = defaultBudget === '1' ? {} : { perFileCapBytes: 4096 * MiB, totalBudgetBytes: 8192 * MiB };
  const r = await createBundle(runDir, { obfuscate: obfuscate === '1', ...budget });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage();
  clearInterval(timer);
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const mb = (n) => +(n / 1e6).toFixed(1);
  process.send({ atPeak: { heapTotalMB: mb(peak.heapTotal), heapUsedMB: mb(peak.heapUsed), externalMB: mb(peak.external), arrayBuffersMB: mb(peak.arrayBuffers) }, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, hwm, sampledPeak: Math.max(...samples), bundleBytes: r.bytes, files: r.files, truncated: r.truncated.length + r.dropped.length, redactions: r.redactions });
  process.exit(0);
}

const sizeMiB = Number(args[args.indexOf('--size-mib') + 1] || 1024) || 1024;
const obfuscate = args.includes('--obfuscate');
const keep = args.includes('--keep');
const defaultBudget = args.includes('--default-budget');

/** ~1 MiB of log lines with IPs, a bearer token every few hundred lines. */
function logBlock(seed) {
  const lines = [];
  let bytes = 0;
  for (let i = 0; bytes < MiB; i++) {
    const n = seed * 7919 + i;
    const line =
      i % 397 === 0
        ? `I1203 07:00:${String(i % 60).padStart(2, '0')} request headers Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.tok-${n}.sig\n`
        : `2026-12-03T07:00:00.${String(n % 1000).padStart(3, '0')}Z [INFO] 198.19.${(n >> 8) & 255}.${n & 255}:${30000 + (n % 20000)} - ${n} "A IN svc-${n % 97}.default.svc.cluster.local. udp 58 false 512" NOERROR qr,aa,rd 106 0.000${n % 1000}s\n`;
    lines.push(line);
    bytes += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** ~1 MiB of pod YAML with env secrets and node names. */
function yamlBlock(seed) {
  const items = [];
  let bytes = 0;
  for (let i = 0; bytes < MiB; i++) {
    const n = seed * 131 + i;
    const item = `- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: app-${n}\n    namespace: default\n  spec:\n    nodeName: node-${n % 8}\n    containers:\n    - name: app\n      env:\n      - name: LOG_LEVEL\n        value: info\n      - name: DB_PASSWORD\n        value: pw-${n}\n  status:\n    hostIP: 198.18.0.${10 + (n % 8)}\n    podIP: 198.19.${n % 8}.${n & 255}\n`;
    items.push(item);
    bytes += item.length;
  }
  return Buffer.from(items.join(''));
}

/** ~1 MiB of pcap records (Ethernet/IPv4/UDP, 1000-byte payloads). */
function pcapBlock(seed, withHeader) {
  const parts = [];
  if (withHeader) {
    const gh = Buffer.alloc(24);
    gh.writeUInt32LE(0xa1b2c3d4, 0);
    gh.writeUInt16LE(2, 4);
    gh.writeUInt16LE(4, 6);
    gh.writeUInt32LE(65535, 16);
    gh.writeUInt32LE(1, 20);
    parts.push(gh);
  }
  for (let i = 0; i < 1000; i++) {
    const frame = Buffer.alloc(14 + 20 + 8 + 1000, 0x61);
    Buffer.from([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0]).copy(frame, 0);
    frame[14] = 0x45;
    frame.writeUInt16BE(1028, 16);
    frame[22] = 64;
    frame[23] = 17;
    Buffer.from([198, 19, seed & 7, i & 255]).copy(frame, 26);
    Buffer.from([198, 19, (seed + 1) & 7, (i * 7) & 255]).copy(frame, 30);
    let sum = 0;
    for (let j = 14; j < 34; j += 2) sum += frame.readUInt16BE(j);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    frame.writeUInt16BE(~sum & 0xffff, 24);
    frame.writeUInt16BE(40000, 34);
    frame.writeUInt16BE(9999, 36);
    frame.writeUInt16BE(1008, 38);
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(1_700_000_000 + i, 0);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    parts.push(rh, frame);
  }
  return Buffer.concat(parts);
}

async function writeFile(file, mib, block) {
  const out = createWriteStream(file);
  for (let i = 0; i < mib; i++) if (!out.write(block(i, i === 0))) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

const root = mkdtempSync(path.join(os.tmpdir(), 'ndt-bench-bundle-'));
try {
  const runDir = path.join(root, 'artifacts', 'bench', '20261203T000000Z');
  mkdirSync(path.join(runDir, 'captures'), { recursive: true });
  writeFileSync(
    path.join(runDir, 'run.json'),
    JSON.stringify({ plan: { name: 'bench' }, inventory: { hosts: Array.from({ length: 8 }, (_, i) => ({ name: `node-${i}`, address: `198.18.0.${10 + i}` })) }, steps: [] }),
  );
  // 50% logs, 20% YAML, 30% pcaps, spread over several files like a real run.
  const logs = Math.round(sizeMiB * 0.5);
  const yaml = Math.round(sizeMiB * 0.2);
  const pcap = sizeMiB - logs - yaml;
  const t0 = Date.now();
  for (let i = 0; i < 4; i++) await writeFile(path.join(runDir, `coredns-logs-node-${i}.txt`), Math.ceil(logs / 4), logBlock);
  for (let i = 0; i < 2; i++) await writeFile(path.join(runDir, `pods-${i}.yaml`), Math.ceil(yaml / 2), yamlBlock);
  for (let i = 0; i < 3; i++) await writeFile(path.join(runDir, 'captures', `node-${i}.pcap`), Math.ceil(pcap / 3), pcapBlock);
  const total = Number(execFileSync('du', ['-sb', runDir]).toString().split('\t')[0]);
  console.error(`generated ${(total / MiB).toFixed(0)} MiB in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const child = fork(new URL(import.meta.url).pathname, ['--child', runDir, obfuscate ? '1' : '0', defaultBudget ? '1' : '0'], { stdio: 'inherit' });
  const [result] = await once(child, 'message');
  const line = {
    date: new Date().toISOString(),
    machine: `${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`,
    command: `node bench/bundle-rss.mjs --size-mib ${sizeMiB}${obfuscate ? ' --obfuscate' : ''}${defaultBudget ? ' --default-budget' : ''}`,
    inputMiB: +(total / MiB).toFixed(0),
    peakRssMB: +(result.hwm / 1e6).toFixed(1),
    sampledPeakRssMB: +(result.sampledPeak / 1e6).toFixed(1),
    atPeak: result.atPeak,
    // Wall time depends on what else the machine runs; CPU time (user+system) is the steadier figure.
    seconds: +result.seconds.toFixed(1),
    cpuSeconds: +result.cpuSeconds.toFixed(1),
    loadAverage1m: +os.loadavg()[0].toFixed(1),
    MBps: +(total / 1e6 / result.seconds).toFixed(1),
    MBpsPerCpuSecond: +(total / 1e6 / result.cpuSeconds).toFixed(1),
    bundleMiB: +(result.bundleBytes / MiB).toFixed(1),
    files: result.files,
    truncated: result.truncated,
    redactions: result.redactions,
  };
  console.log(JSON.stringify(line, null, 2));
} finally {
  if (!keep) rmSync(root, { recursive: true, force: true });
}
