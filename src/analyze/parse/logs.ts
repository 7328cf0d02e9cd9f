/**
 * Log text (CoreDNS, kube-proxy, CNI, dmesg): line matching against known signatures. Logs from
 * several pods may be concatenated; `==> pod <==`-style headers are kept as ordinary lines.
 */
import { clip, numberedLines, type NumberedLine } from './text.js';

/** A log line that matched a signature. */
export interface LogMatch extends NumberedLine {
  signature: string;
}

/** Known log signatures, by id (rules reference these ids). */
export const LOG_SIGNATURES: Record<string, RegExp> = {
  'coredns-loop': /plugin\/loop: Loop .* detected/i,
  'coredns-upstream-timeout': /plugin\/errors: .*(i\/o timeout|read udp .* timeout|no route to host|connection refused|network is unreachable)/i,
  'kube-proxy-conntrack-permission': /nf_conntrack_max.*permission denied|open \/proc\/sys\/net\/netfilter\/nf_conntrack_max: permission denied/i,
  'kube-proxy-br-netfilter': /missing br-netfilter module|bridge-nf-call-iptables/i,
  'kube-proxy-fatal': /^\s*[FE]\d{4} .*(failed|error)/,
  'udp-bad-checksum': /UDP: bad checksum.*:(8472|4789)\b/,
  'conntrack-table-full': /nf_conntrack: table full, dropping packet/,
  'flannel-subnet-error': /(failed to acquire lease|pod cidr not assigned|subnet .* not in network|Error registering network)/i,
  'calico-bgp-down': /BGP not established with/i,
};

/** Lines of `text` matching the given signature ids (all known ones when omitted). */
export function matchLog(text: string, signatures: string[] = Object.keys(LOG_SIGNATURES)): LogMatch[] {
  const out: LogMatch[] = [];
  for (const l of numberedLines(text)) {
    for (const sig of signatures) {
      const re = LOG_SIGNATURES[sig];
      if (re && re.test(l.text)) {
        out.push({ ...l, text: clip(l.text, 300), signature: sig });
        break;
      }
    }
  }
  return out;
}

/** Nameservers of a resolv.conf, with their lines. */
export function parseResolvConf(text: string): { nameservers: { address: string; line: number }[] } {
  return {
    nameservers: numberedLines(text)
      .map((l) => ({ m: /^\s*nameserver\s+(\S+)/.exec(l.text), line: l.line }))
      .filter((x) => x.m)
      .map((x) => ({ address: x.m![1], line: x.line })),
  };
}
