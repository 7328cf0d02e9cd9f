/**
 * Pseudonyms for MAC addresses and host/node names. MACs keep their I/G (multicast) and U/L
 * (locally administered) bits, so a VTEP MAC still looks like what it is; multicast MACs,
 * broadcast and the all-zero MAC identify nothing and stay. Host names become `host-<hex>`.
 * Both are keyed by the per-bundle key, checked for collisions, and recorded for the mapping.
 */
import { createHmac } from 'node:crypto';

export class MacMapper {
  readonly macs = new Map<string, string>();
  private readonly outputs = new Set<string>();

  constructor(private readonly key: Buffer) {}

  /** Maps `aa:bb:cc:dd:ee:ff` (or `-` separated, any case), keeping separator and case. */
  map(mac: string): string {
    const sep = mac[2];
    const hex = mac.toLowerCase().split(/[:-]/);
    if (hex.length !== 6) return mac;
    const first = parseInt(hex[0], 16);
    if ((first & 1) === 1 || hex.every((h) => h === '00')) return mac;
    const norm = hex.join(':');
    let out = this.macs.get(norm);
    if (out === undefined) {
      for (let attempt = 0; ; attempt++) {
        const d = createHmac('sha256', this.key).update(`mac:${attempt}:${norm}`).digest();
        d[0] = (d[0] & 0xfc) | (first & 0x02);
        const cand = [...d.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
        if (!this.outputs.has(cand) && !this.macs.has(cand) && cand !== norm) {
          out = cand;
          break;
        }
      }
      this.macs.set(norm, out);
      this.outputs.add(out);
    }
    const styled = out.replaceAll(':', sep === '-' ? '-' : ':');
    return mac === mac.toUpperCase() && /[A-F]/.test(mac) ? styled.toUpperCase() : styled;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class HostMapper {
  readonly hosts = new Map<string, string>();
  /**
   * Whole-word, case-sensitive alternation of every known name, longest first. `-` and `.` count
   * as word boundaries so `iptables-node-1.txt` and `node-1.lab.local` are renamed too.
   */
  readonly regex: RegExp | undefined;

  constructor(key: Buffer, names: Iterable<string>) {
    const unique = [...new Set([...names].filter((n) => n.length >= 2))].sort((a, b) => b.length - a.length || a.localeCompare(b));
    const taken = new Set(unique);
    for (const name of unique) {
      for (let attempt = 0; ; attempt++) {
        const h = createHmac('sha256', key).update(`host:${attempt}:${name}`).digest('hex').slice(0, 6);
        const cand = `host-${h}`;
        if (!taken.has(cand)) {
          taken.add(cand);
          this.hosts.set(name, cand);
          break;
        }
      }
    }
    this.regex =
      unique.length > 0 ? new RegExp(`(?<![A-Za-z0-9_])(?:${unique.map(escapeRegex).join('|')})(?![A-Za-z0-9_])`, 'g') : undefined;
  }

  /** Replaces every known name in `text`. */
  replace(text: string): string {
    if (!this.regex) return text;
    this.regex.lastIndex = 0;
    return text.replace(this.regex, (m) => this.hosts.get(m) ?? m);
  }
}
