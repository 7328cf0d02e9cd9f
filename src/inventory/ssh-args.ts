/**
 * The parts of `ansible_ssh_common_args` (OpenSSH command-line options) that change how
 * netdiag connects: jump hosts (`-J`, `-o ProxyJump=`, and the classic
 * `-o ProxyCommand="ssh -W %h:%p bastion"`), `-o UserKnownHostsFile=`,
 * `-o StrictHostKeyChecking=`, `-p`, `-i`, `-l`.
 * Options netdiag cannot honour are returned as warnings so nobody is surprised.
 */
import type { HostKeyPolicy } from '../transport/types.js';

/** A hop as written (`user@host:port`); resolved against the inventory later. */
export interface JumpSpec {
  host: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
}

export interface SshArgs {
  jump: JumpSpec[];
  knownHostsFile?: string;
  /** From `-o StrictHostKeyChecking=`: yes/ask → strict, accept-new, no/off → off. */
  hostKeyPolicy?: HostKeyPolicy;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  warnings: string[];
  errors: string[];
}

/** Splits a command line into words the way sh does for quotes and backslashes (no expansion). */
export function shellWords(text: string): string[] | { error: string } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end === -1) return { error: 'unterminated single quote' };
      cur += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        cur += text[j];
      }
      if (j >= text.length) return { error: 'unterminated double quote' };
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

/** `user@host:port` / `[v6addr]:port` / `ssh://user@host:port` → a hop, or an error message. */
export function parseJumpSpec(text: string): JumpSpec | string {
  let rest = text.trim().replace(/^ssh:\/\//, '');
  if (!rest) return 'empty jump host';
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) return `jump host "${text}" has an empty user`;
  }
  let host = rest;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(rest);
  if (v6) [host, portText] = [v6[1], v6[2]];
  else if ((rest.match(/:/g) ?? []).length === 1) [host, portText] = rest.split(':');
  if (!host) return `jump host "${text}" has no host name`;
  if (portText !== undefined) {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) return `jump host "${text}" has an invalid port "${portText}"`;
    return { host, port, ...(user ? { user } : {}) };
  }
  return { host, ...(user ? { user } : {}) };
}

function parseJumpList(value: string, out: SshArgs): void {
  if (value.toLowerCase() === 'none') return;
  for (const part of value.split(',')) {
    const hop = parseJumpSpec(part);
    if (typeof hop === 'string') out.errors.push(hop);
    else out.jump.push(hop);
  }
}

/** Understands `ssh -W %h:%p [-p N] [-i key] [-l user] [user@]bastion` as a jump host. */
function parseProxyCommand(command: string, out: SshArgs): void {
  const words = shellWords(command);
  if (Array.isArray(words) && /(^|\/)ssh$/.test(words[0] ?? '') && words.includes('-W')) {
    const inner = parseSshCommonArgs(words.slice(1).join(' ').replace(/-W\s+\S+/, ''));
    const target = words.slice(1).filter((w, i, all) => !w.startsWith('-') && !/^-[Wpil]$/.test(all[i - 1] ?? '') && w !== '%h:%p').pop();
    if (target) {
      const hop = parseJumpSpec(target);
      if (typeof hop === 'string') out.errors.push(hop);
      else {
        out.jump.push({ ...hop, ...(inner.port ? { port: inner.port } : {}), ...(inner.user ? { user: inner.user } : {}), ...(inner.privateKeyFile ? { privateKeyFile: inner.privateKeyFile } : {}) });
        return;
      }
    }
  }
  out.warnings.push(`ProxyCommand ${JSON.stringify(command)} is not supported (use -J/ProxyJump or jump:); the host will be reached directly`);
}

/** Parses OpenSSH options from `ansible_ssh_common_args`. */
export function parseSshCommonArgs(text: string): SshArgs {
  const out: SshArgs = { jump: [], warnings: [], errors: [] };
  const words = shellWords(text);
  if (!Array.isArray(words)) return { ...out, errors: [`cannot split ssh args: ${words.error}`] };
  const takeValue = (i: number, flag: string): [string | undefined, number] => {
    const w = words[i];
    if (w.length > 2) return [w.slice(2), i];
    if (i + 1 >= words.length) {
      out.errors.push(`${flag} needs a value`);
      return [undefined, i];
    }
    return [words[i + 1], i + 1];
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    const flag = w.slice(0, 2);
    if (flag === '-J' || flag === '-o' || flag === '-p' || flag === '-i' || flag === '-l') {
      const [value, next] = takeValue(i, flag);
      i = next;
      if (value === undefined) continue;
      if (flag === '-J') parseJumpList(value, out);
      else if (flag === '-p') setPort(value, out);
      else if (flag === '-i') out.privateKeyFile = value;
      else if (flag === '-l') out.user = value;
      else parseOption(value, out);
    } else {
      out.warnings.push(`ssh argument ${JSON.stringify(w)} is ignored by netdiag`);
    }
  }
  return out;
}

function setPort(value: string, out: SshArgs): void {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) out.errors.push(`invalid port "${value}"`);
  else out.port = port;
}

/** OpenSSH's StrictHostKeyChecking values; `ask` cannot prompt in a batch run, so it refuses unknown keys. */
function strictHostKeyChecking(value: string): HostKeyPolicy | undefined {
  const v = value.trim().toLowerCase();
  if (v === 'yes' || v === 'ask' || v === 'true') return 'strict';
  if (v === 'accept-new') return 'accept-new';
  if (v === 'no' || v === 'off' || v === 'false') return 'off';
  return undefined;
}

/** One `-o Key=Value` (or `Key Value`); keys are case-insensitive in OpenSSH. */
function parseOption(option: string, out: SshArgs): void {
  const m = /^\s*([A-Za-z]+)\s*(?:=|\s)\s*(.*)$/.exec(option);
  if (!m) {
    out.errors.push(`cannot read ssh option ${JSON.stringify(option)}`);
    return;
  }
  const [, key, value] = m;
  switch (key.toLowerCase()) {
    case 'proxyjump':
      return parseJumpList(value, out);
    case 'proxycommand':
      return parseProxyCommand(value, out);
    case 'userknownhostsfile':
      out.knownHostsFile = value.split(/\s+/)[0];
      return;
    case 'port':
      return setPort(value, out);
    case 'user':
      out.user = value;
      return;
    case 'identityfile':
      out.privateKeyFile = value;
      return;
    case 'stricthostkeychecking': {
      const policy = strictHostKeyChecking(value);
      if (policy) out.hostKeyPolicy = policy;
      else out.errors.push(`StrictHostKeyChecking: expected yes, accept-new, no, off or ask, got ${JSON.stringify(value)}`);
      return;
    }
    default:
      out.warnings.push(`ssh option ${key} is ignored by netdiag`);
  }
}
