/**
 * `ethtool -k <dev>` feature list: `name: on|off [fixed]`. Used for the VXLAN checksum
 * offload bug (#6), where `tx-checksum-ip-generic: on` matters.
 */
import { numberedLines } from './text.js';

export interface EthtoolFeature {
  on: boolean;
  fixed: boolean;
  line: number;
  raw: string;
}

/** Features by name; the device from the `Features for X:` header when present. */
export function parseEthtoolFeatures(text: string): { device?: string; features: Map<string, EthtoolFeature> } {
  const features = new Map<string, EthtoolFeature>();
  let device: string | undefined;
  for (const { line, text: raw } of numberedLines(text)) {
    const header = /^Features for (\S+?):\s*$/.exec(raw);
    if (header) {
      device = header[1];
      continue;
    }
    const m = /^\s*([a-z0-9-]+):\s+(on|off)\b(.*)$/.exec(raw);
    if (m) features.set(m[1], { on: m[2] === 'on', fixed: m[3].includes('[fixed]'), line, raw });
  }
  return { device, features };
}
