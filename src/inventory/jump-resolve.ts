/**
 * Turns jump specs (`bastion`, `ops@bastion:2222`) into concrete hops. A hop that names an
 * inventory host borrows that host's address, port, user and key (so `jump: bastion` works
 * with an inventory entry for the bastion), and that host's own hops come first.
 */
import type { JumpSpec } from './ssh-args.js';
import type { Host, JumpHost } from './types.js';

/** Fills `host.jump` for every host from `specs` (host name → hops as written). */
export function resolveJumps(hosts: Map<string, Host>, specs: Map<string, JumpSpec[]>): void {
  const resolved = new Map<string, JumpHost[]>();
  const resolve = (name: string, trail: Set<string>): JumpHost[] => {
    const done = resolved.get(name);
    if (done) return done;
    const hops: JumpHost[] = [];
    for (const spec of specs.get(name) ?? []) {
      const bastion = hosts.get(spec.host);
      if (bastion?.name === name) continue; // a group-wide `-J bastion` also reaches the bastion itself: directly
      if (bastion && !trail.has(bastion.name)) {
        hops.push(...resolve(bastion.name, new Set([...trail, name])));
        hops.push(hop(bastion.address, spec.port ?? bastion.port, spec.user ?? bastion.user, spec.privateKeyFile ?? bastion.privateKeyFile));
      } else hops.push(hop(spec.host, spec.port ?? 22, spec.user, spec.privateKeyFile));
    }
    resolved.set(name, hops);
    return hops;
  };
  for (const [name, host] of hosts) host.jump = resolve(name, new Set());
}

function hop(host: string, port: number, user?: string, privateKeyFile?: string): JumpHost {
  return { host, port, ...(user !== undefined ? { user } : {}), ...(privateKeyFile !== undefined ? { privateKeyFile } : {}) };
}
