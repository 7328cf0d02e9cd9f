/**
 * The cluster-wide VXLAN flow table: for every ordered node pair A→B, the tunnel packets A's
 * capture saw leave toward B against those B's capture saw arrive from A. This is the
 * evidence for "leaves A, never arrives at B" (CATALOG #1, #23) versus "nothing leaves A"
 * (#8, or encapsulation not in use). Pure function over per-capture summaries.
 */
import { textTable } from './text-table.js';
import type { VxlanCaptureSummary } from './vxlan-analysis.js';

/**
 * - `ok`: what left A arrived at B (within the tolerance);
 * - `lost`: packets left A, none arrived at B;
 * - `partial`: some arrived, clearly fewer than left;
 * - `not-sent`: A's capture shows nothing toward B (and B got nothing either);
 * - `no-capture`: A's or B's capture is missing or unreadable, nothing can be said.
 */
export type FlowVerdict = 'ok' | 'lost' | 'not-sent' | 'partial' | 'no-capture';

/**
 * One ordered pair of nodes on one VXLAN UDP port (a cluster may run flannel on 8472 and
 * Calico on 4789: a firewall can block one and not the other). `port` is null when neither
 * capture saw any tunnel packet for the pair. `sent`/`received` are null when that side has no
 * capture.
 */
export interface FlowRow {
  from: string;
  to: string;
  fromIp: string;
  toIp: string;
  port: number | null;
  sent: number | null;
  received: number | null;
  verdict: FlowVerdict;
  /** One sentence a human can paste into a ticket. */
  explanation: string;
}

/** The whole table, JSON-able. */
export interface FlowTable {
  hosts: string[];
  rows: FlowRow[];
  counts: Record<FlowVerdict, number>;
}

/** Inputs: a capture summary per host (absent = no capture) and each host's underlay IP. */
export interface FlowTableInput {
  captures: Record<string, VxlanCaptureSummary | undefined>;
  /** Host name → underlay (node InternalIP / VTEP) address, i.e. the outer IP of its tunnel packets. */
  underlay: Record<string, string>;
  /**
   * Captures on different nodes start and stop at slightly different moments, so a few packets
   * in flight are not loss. Received counts within `max(packets, fraction × sent)` of sent are
   * `ok`. Default 2 packets / 5 %.
   */
  tolerance?: { packets?: number; fraction?: number };
}

/**
 * Builds the table for every ordered pair of hosts named in `underlay` (sorted by name): one row
 * per VXLAN port either capture saw for the pair, or one port-less row when neither saw any.
 */
export function buildFlowTable(input: FlowTableInput): FlowTable {
  const hosts = Object.keys(input.underlay).sort();
  const rows: FlowRow[] = [];
  const counts: Record<FlowVerdict, number> = { ok: 0, lost: 0, 'not-sent': 0, partial: 0, 'no-capture': 0 };
  for (const from of hosts) {
    for (const to of hosts) {
      if (from === to) continue;
      const [fromIp, toIp] = [input.underlay[from], input.underlay[to]];
      const ports = new Set<number>();
      for (const summary of [input.captures[from], input.captures[to]]) {
        for (const pair of summary?.pairs ?? []) if (pair.src === fromIp && pair.dst === toIp) ports.add(pair.port);
      }
      for (const port of ports.size ? [...ports].sort((a, b) => a - b) : [null]) {
        const row = judgePair(input, from, to, port);
        counts[row.verdict] += 1;
        rows.push(row);
      }
    }
  }
  return { hosts, rows, counts };
}

function packetsBetween(summary: VxlanCaptureSummary | undefined, src: string, dst: string, port: number | null): number | null {
  if (!summary || (summary.readError && summary.packets === 0)) return null;
  return summary.pairs.filter((p) => p.src === src && p.dst === dst && p.port === port).reduce((n, p) => n + p.packets, 0);
}

function judgePair(input: FlowTableInput, from: string, to: string, port: number | null): FlowRow {
  const fromIp = input.underlay[from];
  const toIp = input.underlay[to];
  const sent = packetsBetween(input.captures[from], fromIp, toIp, port);
  const received = packetsBetween(input.captures[to], fromIp, toIp, port);
  const base = { from, to, fromIp, toIp, port, sent, received };
  if (sent === null || received === null) {
    const missing = [sent === null ? from : undefined, received === null ? to : undefined].filter(Boolean).join(' and ');
    return { ...base, verdict: 'no-capture', explanation: `no usable capture from ${missing}: cannot tell whether ${from}→${to} works` };
  }
  if (sent === 0 && received === 0) {
    return { ...base, verdict: 'not-sent', explanation: `nothing left ${from} toward ${to} (check ${from}'s VXLAN FDB/routes, or no traffic was generated for this pair)` };
  }
  if (sent === 0) {
    return { ...base, verdict: 'ok', explanation: `${to} received ${received} packets from ${from}, though ${from}'s capture saw none leave (captured on another interface?)` };
  }
  if (received === 0) {
    return { ...base, verdict: 'lost', explanation: `${sent} packets leave ${from}, never arrive at ${to}: something on the path between them drops UDP ${port}` };
  }
  const slack = Math.max(input.tolerance?.packets ?? 2, (input.tolerance?.fraction ?? 0.05) * sent);
  if (received + slack >= sent) {
    return { ...base, verdict: 'ok', explanation: `${received} of ${sent} packets arrived` };
  }
  const lostPercent = Math.round(((sent - received) / sent) * 100);
  return { ...base, verdict: 'partial', explanation: `only ${received} of ${sent} packets arrived at ${to} (${lostPercent}% lost)` };
}

/** Text of the FLOW TABLE section (report and diagnosis summary). */
export function formatFlowTable(table: FlowTable): string {
  const lines = ['FLOW TABLE — VXLAN packets per node pair (sent: in the sender\'s capture; received: in the receiver\'s capture)'];
  if (table.rows.length === 0) return `${lines[0]}\n  (fewer than two hosts)\n`;
  const show = (n: number | null) => (n === null ? '-' : String(n));
  lines.push(...textTable(['FROM', 'TO', 'FROM IP', 'TO IP', 'PORT', 'SENT', 'RECEIVED', 'VERDICT', 'EXPLANATION'], table.rows.map((r) => [r.from, r.to, r.fromIp, r.toIp, show(r.port), show(r.sent), show(r.received), r.verdict, r.explanation])));
  const tally = (Object.entries(table.counts) as Array<[FlowVerdict, number]>).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`);
  lines.push('', `${table.rows.length} rows: ${tally.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
