/**
 * The tcpdump command line of a capture step and the per-host facts it needs. Kept apart from
 * the handler so `describe()` (manifest, --check) and `run()` can never disagree on it.
 */
import type { Host } from '../../inventory/types.js';
import type { CaptureStep } from '../../plan/types.js';
import { shellQuote } from '../../transport/shell-quote.js';

/**
 * `tcpdump -i <if> --immediate-mode -U -n -s <snaplen> -c <maxPackets> -w - <filter>`:
 * - `--immediate-mode` hands each packet to tcpdump as it arrives. Without it (the default when
 *   writing to a file or pipe) Linux's TPACKET_V3 ring holds packets for up to the 1 s block
 *   timeout, and a capture stopped at the end of its window loses that last second — measured
 *   on the lab: a whole ping exchange missing from two of three nodes;
 * - `-U` flushes every packet to stdout as soon as tcpdump has it, so a capture that is killed
 *   at the end of its window (or on Ctrl-C) has lost nothing it saw;
 * - `-w -` streams the pcap over the SSH channel straight into the artifact file;
 * - `-n` avoids reverse DNS on the node (slow, and traffic of its own);
 * - the filter is ONE shell word: tcpdump joins its remaining arguments anyway, and quoting it
 *   whole keeps `or`, parentheses and templated values from reaching the remote shell.
 * `interface` and `filter` may hold `{{…}}` templates; they are rendered as plain text here
 * because this function quotes the whole value itself.
 */
export function tcpdumpCommand(capture: CaptureStep['capture'], renderText: (template: string) => string): string {
  return [
    'tcpdump',
    '-i',
    shellQuote(renderText(capture.interface)),
    '--immediate-mode',
    '-U',
    '-n',
    '-s',
    shellQuote(String(capture.snaplen)),
    '-c',
    shellQuote(String(capture.maxPackets)),
    '-w',
    '-',
    shellQuote(renderText(capture.filter)),
  ].join(' ');
}

/**
 * The node's underlay address, i.e. the outer IP of the tunnel packets it sends: the host var
 * `node_ip` when the inventory sets one (SSH may go through another address, e.g. a management
 * network or a jump host's view), else the SSH address.
 */
export function underlayIpOf(host: Host): string {
  const nodeIp = host.vars.node_ip;
  return typeof nodeIp === 'string' && nodeIp.trim() !== '' ? nodeIp.trim() : host.address;
}

/** Artifact paths of one host's capture (relative to the run directory). */
export function capturePaths(hostName: string): { pcap: string; analysis: string } {
  return { pcap: `captures/${hostName}.pcap`, analysis: `vxlan-analysis-${hostName}.txt` };
}
