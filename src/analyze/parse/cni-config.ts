/**
 * CNI configuration objects: flannel's `net-conf.json` (inside the kube-flannel-cfg ConfigMap)
 * and Calico's IPPools (crd.projectcalico.org/v1 IPPoolList).
 */
import { k8sItems } from './k8s.js';
import { lineOf } from './text.js';

/** flannel net-conf.json: the cluster Network and the backend (type, VXLAN port/VNI). */
export interface FlannelNetConf {
  network?: string;
  backendType?: string;
  /** VXLAN UDP port: `Backend.Port`, flannel's default 8472 when unset. */
  port: number;
  vni: number;
  /** Line of `Network` in the saved ConfigMap file. */
  line?: number;
  raw: Record<string, unknown>;
}

/** Parses net-conf.json text itself. */
export function parseNetConf(json: string): { conf?: FlannelNetConf; error?: string } {
  try {
    const raw = JSON.parse(json) as Record<string, any>;
    const backend = (raw.Backend ?? {}) as Record<string, any>;
    return {
      conf: {
        network: typeof raw.Network === 'string' ? raw.Network : undefined,
        backendType: typeof backend.Type === 'string' ? backend.Type : undefined,
        port: Number(backend.Port ?? 8472) || 8472,
        vni: Number(backend.VNI ?? 1) || 1,
        raw,
      },
    };
  } catch (e) {
    return { error: `net-conf.json is not valid JSON: ${(e as Error).message}` };
  }
}

/** Finds net-conf.json in the `flannel_config` output (ConfigMap, list of them, or raw JSON). */
export function parseFlannelConfig(text: string): { conf?: FlannelNetConf; error?: string } {
  const { items, error } = k8sItems(text);
  if (error) return text.includes('"Network"') ? parseNetConf(text) : { error };
  const cm = items.find((o) => o?.data?.['net-conf.json']) ?? items[0];
  const json = cm?.data?.['net-conf.json'];
  if (typeof json !== 'string') return { error: 'no data["net-conf.json"] in the ConfigMap' };
  const parsed = parseNetConf(json);
  if (parsed.conf) parsed.conf.line = lineOf(text, 'Network') ?? lineOf(text, 'net-conf.json');
  return parsed;
}

/** One Calico IPPool. */
export interface CalicoIPPool {
  name: string;
  line?: number;
  cidr?: string;
  vxlanMode: string;
  ipipMode: string;
  natOutgoing?: boolean;
  disabled: boolean;
}

export function parseIPPools(text: string): { items: CalicoIPPool[]; error?: string } {
  const { items, error } = k8sItems(text);
  return {
    error,
    items: items.map((o) => {
      const name = String(o.metadata?.name ?? '');
      // An unset mode means Never in Calico's API.
      return {
        name,
        line: lineOf(text, 'vxlanMode', Math.max(0, text.indexOf(name))) ?? lineOf(text, name),
        cidr: o.spec?.cidr,
        vxlanMode: String(o.spec?.vxlanMode ?? 'Never'),
        ipipMode: String(o.spec?.ipipMode ?? 'Never'),
        natOutgoing: o.spec?.natOutgoing,
        disabled: o.spec?.disabled === true,
      };
    }),
  };
}
