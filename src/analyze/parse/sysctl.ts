/**
 * `sysctl` output: `key = value` lines. `sysctl: cannot stat /proc/sys/<path>: …` (printed
 * without `-e` when a module such as br_netfilter is not loaded) means the key is absent.
 * Keys are normalised to dotted form; per-interface keys keep the interface name as sysctl
 * prints it (`flannel/1` for `flannel.1`).
 */
import { numberedLines } from './text.js';

export interface SysctlValue {
  value: string;
  line: number;
  raw: string;
}

export interface Sysctls {
  values: Map<string, SysctlValue>;
  /** Keys the kernel does not have (from `cannot stat` errors), with the line that said so. */
  absent: Map<string, { line: number; raw: string }>;
}

/** `/proc/sys/net/bridge/bridge-nf-call-iptables` → `net.bridge.bridge-nf-call-iptables`. */
function keyFromProcPath(p: string): string {
  return p.replace(/^\/proc\/sys\//, '').split('/').join('.');
}

export function parseSysctl(text: string): Sysctls {
  const values = new Map<string, SysctlValue>();
  const absent = new Map<string, { line: number; raw: string }>();
  for (const { line, text: raw } of numberedLines(text)) {
    const missing = /cannot stat (\/proc\/sys\/\S+?):/.exec(raw);
    if (missing) {
      absent.set(keyFromProcPath(missing[1]), { line, raw });
      continue;
    }
    const m = /^\s*([A-Za-z0-9_.\/-]+)\s*=\s*(.*?)\s*$/.exec(raw);
    if (m) values.set(m[1], { value: m[2], line, raw });
  }
  return { values, absent };
}

/** Numeric value of a key, or undefined when absent / not a number. */
export function sysctlNumber(s: Sysctls, key: string): number | undefined {
  const v = s.values.get(key);
  if (!v) return undefined;
  const n = Number(v.value);
  return Number.isFinite(n) ? n : undefined;
}

/** Per-interface keys `net.ipv4.conf.<if>.<name>` → { iface (dots restored), value }. */
export function perInterface(s: Sysctls, name: string): { iface: string; value: SysctlValue }[] {
  const out: { iface: string; value: SysctlValue }[] = [];
  for (const [key, value] of s.values) {
    const m = /^net\.ipv4\.conf\.(.+)\.([a-z_]+)$/.exec(key);
    if (m && m[2] === name) out.push({ iface: m[1].replace(/\//g, '.'), value });
  }
  return out;
}
