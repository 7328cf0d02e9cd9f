/**
 * Parsers for iproute2's JSON output: `ip -d -j link`, `ip -j addr`, `ip -j route`,
 * `ip -j neigh`, `bridge -j fdb`. iproute2 prints the whole array on one line, so citations
 * use line 1 and the element's own JSON as the excerpt. Unknown fields are ignored; a
 * non-JSON input yields an `error` instead of a throw.
 */
import { clip } from './text.js';

/** Result of a JSON-array parse: items plus an error when the text was not a JSON array. */
export interface Parsed<T> {
  items: T[];
  error?: string;
}

function parseArray(text: string): { raw: Record<string, unknown>[]; error?: string } {
  const t = text.trim();
  if (t === '') return { raw: [], error: 'empty output' };
  // Some tools print warnings before the JSON; start at the first '['.
  const start = t.indexOf('[');
  if (start < 0) return { raw: [], error: 'not a JSON array' };
  try {
    const v = JSON.parse(t.slice(start)) as unknown;
    if (!Array.isArray(v)) return { raw: [], error: 'not a JSON array' };
    return { raw: v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) };
  } catch (e) {
    return { raw: [], error: `invalid JSON: ${(e as Error).message}` };
  }
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Compact JSON of an element for an evidence excerpt. */
export function excerptOf(raw: unknown): string {
  return clip(JSON.stringify(raw), 300);
}

/** VXLAN parameters from `linkinfo.info_data`. */
export interface VxlanInfo {
  vni?: number;
  local?: string;
  port?: number;
  /** Underlay device (`link` in JSON, `dev` in text). */
  dev?: string;
  learning?: boolean;
}

export interface IpLink {
  ifname: string;
  ifindex?: number;
  mtu?: number;
  address?: string;
  flags: string[];
  operstate?: string;
  kind?: string;
  /** Bridge the link is enslaved to (`master`). */
  master?: string;
  vxlan?: VxlanInfo;
  raw: Record<string, unknown>;
}

/** `ip -d -j link show` (also works without `-d`, just without `kind`/`vxlan`). */
export function parseIpLinks(text: string): Parsed<IpLink> {
  const { raw, error } = parseArray(text);
  const items = raw.map((r): IpLink => {
    const info = (r.linkinfo ?? {}) as Record<string, unknown>;
    const data = (info.info_data ?? {}) as Record<string, unknown>;
    const kind = str(info.info_kind);
    const link: IpLink = {
      ifname: str(r.ifname) ?? '',
      ifindex: num(r.ifindex),
      mtu: num(r.mtu),
      address: str(r.address),
      flags: strs(r.flags),
      operstate: str(r.operstate),
      kind,
      master: str(r.master),
      raw: r,
    };
    if (kind === 'vxlan') {
      link.vxlan = {
        vni: num(data.id),
        local: str(data.local),
        port: num(data.port),
        dev: str(data.link),
        learning: typeof data.learning === 'boolean' ? data.learning : undefined,
      };
    }
    return link;
  });
  return { items, error };
}

export interface IpAddr {
  ifname: string;
  mtu?: number;
  /** IPv4/IPv6 addresses with prefix length, e.g. `198.19.1.1/24`. */
  addresses: { family: string; local: string; prefixlen: number }[];
  raw: Record<string, unknown>;
}

/** `ip -j addr show`. */
export function parseIpAddrs(text: string): Parsed<IpAddr> {
  const { raw, error } = parseArray(text);
  const items = raw.map((r): IpAddr => {
    const infos = Array.isArray(r.addr_info) ? (r.addr_info as Record<string, unknown>[]) : [];
    return {
      ifname: str(r.ifname) ?? '',
      mtu: num(r.mtu),
      addresses: infos
        .filter((a) => typeof a === 'object' && a !== null && str(a.local))
        .map((a) => ({ family: str(a.family) ?? '', local: str(a.local)!, prefixlen: num(a.prefixlen) ?? 32 })),
      raw: r,
    };
  });
  return { items, error };
}

export interface IpRoute {
  /** `default` or a CIDR; host routes come without `/32`. */
  dst: string;
  gateway?: string;
  dev?: string;
  flags: string[];
  protocol?: string;
  scope?: string;
  raw: Record<string, unknown>;
}

/** `ip -j route show`. */
export function parseIpRoutes(text: string): Parsed<IpRoute> {
  const { raw, error } = parseArray(text);
  return {
    items: raw.map((r) => ({
      dst: str(r.dst) ?? '',
      gateway: str(r.gateway),
      dev: str(r.dev),
      flags: strs(r.flags),
      protocol: str(r.protocol),
      scope: str(r.scope),
      raw: r,
    })),
    error,
  };
}

export interface IpNeigh {
  dst: string;
  dev?: string;
  lladdr?: string;
  /** NUD states, upper case (`PERMANENT`, `REACHABLE`, `FAILED`…). */
  state: string[];
  raw: Record<string, unknown>;
}

/** `ip -j neigh show`. */
export function parseIpNeigh(text: string): Parsed<IpNeigh> {
  const { raw, error } = parseArray(text);
  return {
    items: raw.map((r) => ({ dst: str(r.dst) ?? '', dev: str(r.dev), lladdr: str(r.lladdr), state: strs(r.state), raw: r })),
    error,
  };
}

export interface FdbEntry {
  mac: string;
  /** Device (`ifname` in JSON). */
  dev?: string;
  /** Remote VTEP for VXLAN devices. */
  dst?: string;
  master?: string;
  state?: string;
  flags: string[];
  raw: Record<string, unknown>;
}

/** `bridge -j fdb show`. */
export function parseBridgeFdb(text: string): Parsed<FdbEntry> {
  const { raw, error } = parseArray(text);
  return {
    items: raw.map((r) => ({
      mac: (str(r.mac) ?? '').toLowerCase(),
      dev: str(r.ifname) ?? str(r.dev),
      dst: str(r.dst),
      master: str(r.master),
      state: str(r.state),
      flags: strs(r.flags),
      raw: r,
    })),
    error,
  };
}
