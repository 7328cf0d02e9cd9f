/**
 * Connection variables (`ansible_host`, `ansible_port`, …, netdiag's `jump:`) → the
 * connection fields of a Host. Types are checked where each variable is written (group or
 * host vars) so a bad `ansible_port` is reported at its own line, not at every host.
 */
import os from 'node:os';
import path from 'node:path';
import type { HostKeyPolicy } from '../transport/types.js';
import type { JumpSpec } from './ssh-args.js';
import { parseJumpSpec, parseSshCommonArgs } from './ssh-args.js';

/** Aliases Ansible still accepts, mapped to the canonical name. */
const ALIASES: Record<string, string> = {
  ansible_ssh_host: 'ansible_host',
  ansible_ssh_port: 'ansible_port',
  ansible_ssh_user: 'ansible_user',
  ansible_private_key_file: 'ansible_ssh_private_key_file',
};

/** `yes`/`no`/`true`/`false`/`1`/`0` as Ansible reads booleans. */
export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (['yes', 'true', 'y', 'on', '1'].includes(s)) return true;
  if (['no', 'false', 'n', 'off', '0'].includes(s)) return false;
  return undefined;
}

function asPort(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

const nonEmptyString = (v: unknown) => typeof v === 'string' && v.trim() !== '';

/** Problem messages for the connection variables in one vars map (key → message). */
export function connectionVarProblems(vars: Record<string, unknown>): Array<{ key: string; message: string }> {
  const out: Array<{ key: string; message: string }> = [];
  for (const [key, value] of Object.entries(vars)) {
    const name = ALIASES[key] ?? key;
    const bad = (message: string) => out.push({ key, message });
    switch (name) {
      case 'ansible_host':
      case 'ansible_user':
      case 'ansible_become_user':
      case 'ansible_ssh_private_key_file':
        if (!nonEmptyString(value)) bad('expected a non-empty string');
        break;
      case 'ansible_port':
        if (asPort(value) === undefined) bad(`expected a port number 1-65535, got ${JSON.stringify(value)}`);
        break;
      case 'ansible_become':
      case 'ansible_host_key_checking':
        if (asBool(value) === undefined) bad(`expected true/false, got ${JSON.stringify(value)}`);
        break;
      case 'ansible_ssh_common_args':
      case 'ansible_ssh_extra_args':
        if (typeof value !== 'string') bad('expected a string of ssh options');
        else for (const e of parseSshCommonArgs(value).errors) bad(e);
        break;
      case 'jump':
        for (const e of nativeJump(value).errors) bad(e);
        break;
    }
  }
  return out;
}

/** netdiag's `jump:`: `user@host:port`, a list of those, or maps {host, port, user, private_key_file}. */
export function nativeJump(value: unknown): { jump: JumpSpec[]; errors: string[] } {
  const items = Array.isArray(value) ? value : [value];
  const jump: JumpSpec[] = [];
  const errors: string[] = [];
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) return { jump, errors };
  for (const item of items) {
    if (typeof item === 'string') {
      const hop = parseJumpSpec(item);
      if (typeof hop === 'string') errors.push(hop);
      else jump.push(hop);
    } else if (item && typeof item === 'object' && !Array.isArray(item)) {
      const { host, port, user, private_key_file, ...rest } = item as Record<string, unknown>;
      const unknown = Object.keys(rest);
      if (unknown.length) errors.push(`jump: unknown key(s) ${unknown.join(', ')} (known: host, port, user, private_key_file)`);
      if (!nonEmptyString(host)) errors.push('jump: each hop needs host:');
      else if (port !== undefined && asPort(port) === undefined) errors.push(`jump: invalid port ${JSON.stringify(port)}`);
      else
        jump.push({
          host: host as string,
          ...(port !== undefined ? { port: asPort(port) } : {}),
          ...(typeof user === 'string' ? { user } : {}),
          ...(typeof private_key_file === 'string' ? { privateKeyFile: private_key_file } : {}),
        });
    } else errors.push('jump: expected "user@host:port", a list of them, or maps with host/port/user');
  }
  return { jump, errors };
}

/** `~/x` → home, relative → next to the inventory file. */
export function resolveUserPath(p: string, inventoryFile: string): string {
  if (p === '~' || p.startsWith('~/')) return path.join(os.homedir(), p.slice(1));
  return path.resolve(path.dirname(path.resolve(inventoryFile)), p);
}

/** The connection fields of a host from its merged vars (already type-checked). */
export interface Connection {
  address: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  become: boolean;
  becomeUser?: string;
  jump: JumpSpec[];
  knownHostsFile?: string;
  hostKeyPolicy?: HostKeyPolicy;
  warnings: string[];
}

/** Explicit `ansible_*` variables win over options in ssh args (Ansible puts them first). */
export function connectionOf(name: string, vars: Record<string, unknown>, inventoryFile: string): Connection {
  const v = (key: string): unknown => {
    if (vars[key] !== undefined) return vars[key];
    const alias = Object.keys(ALIASES).find((a) => ALIASES[a] === key && vars[a] !== undefined);
    return alias ? vars[alias] : undefined;
  };
  const argsText = [v('ansible_ssh_common_args'), v('ansible_ssh_extra_args')].filter((x): x is string => typeof x === 'string').join(' ');
  const args = parseSshCommonArgs(argsText);
  const key = (v('ansible_ssh_private_key_file') as string | undefined) ?? args.privateKeyFile;
  const native = vars.jump !== undefined ? nativeJump(vars.jump).jump : undefined;
  const becomeUser = v('ansible_become_user') as string | undefined;
  const user = (v('ansible_user') as string | undefined) ?? args.user;
  // ansible_host_key_checking: false turns checking off like Ansible's host_key_checking; ssh args can say more.
  const checking = asBool(v('ansible_host_key_checking'));
  const hostKeyPolicy: HostKeyPolicy | undefined = checking === false ? 'off' : (args.hostKeyPolicy ?? (checking === true ? 'strict' : undefined));
  return {
    address: (v('ansible_host') as string | undefined) ?? name,
    port: asPort(v('ansible_port')) ?? args.port ?? 22,
    ...(user !== undefined ? { user } : {}),
    ...(key !== undefined ? { privateKeyFile: resolveUserPath(key, inventoryFile) } : {}),
    become: asBool(v('ansible_become')) ?? false,
    ...(becomeUser !== undefined ? { becomeUser } : {}),
    jump: (native ?? args.jump).map((hop) => (hop.privateKeyFile ? { ...hop, privateKeyFile: resolveUserPath(hop.privateKeyFile, inventoryFile) } : hop)),
    ...(args.knownHostsFile ? { knownHostsFile: resolveUserPath(args.knownHostsFile, inventoryFile) } : {}),
    ...(hostKeyPolicy ? { hostKeyPolicy } : {}),
    warnings: args.warnings,
  };
}
