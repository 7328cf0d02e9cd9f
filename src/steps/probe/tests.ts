/**
 * The probes of the connectivity matrix, as small POSIX shell scripts run in the probe pods
 * (exec, argv `sh -c SCRIPT`). They use whatever the image has — iputils/busybox ping, dig or
 * nslookup, nc or bash's /dev/tcp — so an air-gapped cluster's own debug image works.
 */
import type { ConnectivityResult } from '../../analyze/types.js';
import { shellQuote } from '../../transport/shell-quote.js';

/** A probe to run: the result's identity (test, from, to…) plus the script that decides it. */
export type PlannedProbe = Omit<ConnectivityResult, 'ok' | 'latencyMs' | 'error'> & { script: string };

/** One ICMP echo; with `size`, the DF bit set so a too-small path MTU fails instead of fragmenting. */
export function pingScript(ip: string, size?: number): string {
  const df = size === undefined ? '' : ` -M do -s ${size}`;
  return `ping -c 1 -W 2${df} ${shellQuote(ip)}`;
}

export function tcpScript(ip: string, port: number): string {
  const [i, p] = [shellQuote(ip), String(port)];
  return `if command -v nc >/dev/null 2>&1; then nc -z -w 2 ${i} ${p}; else timeout 3 bash -c "exec 3<>/dev/tcp/${ip}/${p}"; fi`;
}

/** Resolves `name` (through the pod's resolv.conf search list, or at `server`); fails without an answer. */
export function dnsScript(name: string, server?: string): string {
  const n = shellQuote(name);
  const at = server ? ` @${shellQuote(server)}` : '';
  return (
    `if command -v dig >/dev/null 2>&1; then out=$(dig +search +time=2 +tries=1 +short ${n}${at}); ` +
    `[ -n "$out" ] && echo "$out"; else nslookup ${n} ${server ? shellQuote(server) : ''}; fi`
  );
}

/** The pod's own interface MTU, for the large DF probe (pod MTU − 28 = the largest unfragmented ICMP payload). */
export const MTU_SCRIPT = 'cat /sys/class/net/eth0/mtu';
