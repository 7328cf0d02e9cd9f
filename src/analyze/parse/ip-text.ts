/**
 * Text output of `ip -d link show flannel.1; ip addr show cni0` (the plan's
 * `flannel_interfaces` step, also the VMStation artifact `flannel-interfaces-<host>.txt`).
 * Used when the JSON `links`/`addrs` steps are absent: MTU, VXLAN local/dev/port, inet lines.
 */
import { numberedLines } from './text.js';

export interface TextInterface {
  ifname: string;
  line: number;
  mtu?: number;
  mac?: string;
  vxlan?: { vni?: number; local?: string; dev?: string; port?: number; line: number };
  inet: { address: string; line: number }[];
}

export function parseIpText(text: string): TextInterface[] {
  const out: TextInterface[] = [];
  let cur: TextInterface | undefined;
  for (const { line, text: raw } of numberedLines(text)) {
    const head = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<[^>]*>(.*)$/.exec(raw);
    if (head) {
      const mtu = /\bmtu (\d+)/.exec(head[2]);
      cur = { ifname: head[1], line, mtu: mtu ? Number(mtu[1]) : undefined, inet: [] };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const ether = /^\s+link\/ether ([0-9a-f:]{17})/.exec(raw);
    if (ether) cur.mac = ether[1];
    const vx = /^\s+vxlan id (\d+)(.*)$/.exec(raw);
    if (vx) {
      const opt = (k: string) => new RegExp(`\\b${k} (\\S+)`).exec(vx[2])?.[1];
      const port = opt('dstport');
      cur.vxlan = { vni: Number(vx[1]), local: opt('local'), dev: opt('dev'), port: port ? Number(port) : undefined, line };
    }
    const inet = /^\s+inet (\d+\.\d+\.\d+\.\d+\/\d+)/.exec(raw);
    if (inet) cur.inet.push({ address: inet[1], line });
  }
  return out;
}
