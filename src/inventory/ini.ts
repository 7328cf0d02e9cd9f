/**
 * Ansible's INI inventory, read into the same shape as the YAML one so both share one loader:
 *   host1 ansible_host=198.18.0.1        (before any section: ungrouped)
 *   [web]            web[1:3] ansible_port=2222    (inline vars: literals, as Ansible reads them)
 *   [web:vars]       ansible_user=deploy           (section vars: strings, as Ansible reads them)
 *   [nodes:children] web
 * `host:port` on a host line sets ansible_port. Every key remembers its line for messages.
 */
import { parse as parseYaml } from 'yaml';
import type { InputProblem } from '../errors.js';
import type { SourceLocation } from '../plan/types.js';
import { formatPath, type Locator, type PathSegment } from '../plan/yaml-source.js';
import { shellWords } from './ssh-args.js';

type GroupBody = { hosts?: Record<string, Record<string, unknown> | null>; vars?: Record<string, unknown>; children?: Record<string, null> };

/** `name=value` inline values: numbers, booleans and quoted strings become typed (Python literals). */
function literal(text: string): unknown {
  if (/^(True|False)$/.test(text)) return text === 'True';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  try {
    const v: unknown = parseYaml(text);
    return typeof v === 'string' || Array.isArray(v) || (v && typeof v === 'object') ? v : text;
  } catch {
    return text;
  }
}

/** Parses INI text; returns YAML-shaped data, a locator for its keys, and syntax problems. */
export function parseIniInventory(file: string, text: string): { data: Record<string, GroupBody>; locator: Locator; problems: InputProblem[] } {
  const data: Record<string, GroupBody> = { all: {} };
  const locs = new Map<string, SourceLocation>();
  const problems: InputProblem[] = [];
  const remember = (path: PathSegment[], line: number, col = 1) => {
    const key = JSON.stringify(path);
    if (!locs.has(key)) locs.set(key, { file, line, col });
  };
  let group = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  remember(['ungrouped'], 1);

  text.split('\n').forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) return;
    const section = /^\[([^\]:]+)(?::(\w+))?\]$/.exec(line);
    if (section) {
      group = section[1].trim();
      const suffix = section[2] ?? 'hosts';
      if (section[2] !== undefined && suffix !== 'vars' && suffix !== 'children') {
        problems.push({ file, line: lineNo, col: 1, message: `unknown section type ":${suffix}" (use [group], [group:vars] or [group:children])` });
        return;
      }
      kind = suffix as typeof kind;
      data[group] ??= {};
      remember([group], lineNo);
      remember([group, kind], lineNo);
      return;
    }
    if (line.startsWith('[')) {
      problems.push({ file, line: lineNo, col: 1, message: `malformed section header ${JSON.stringify(line)}` });
      return;
    }
    const body = (data[group] ??= {});
    const col = raw.indexOf(line[0]) + 1;
    if (kind === 'children') {
      (body.children ??= {})[line] = null;
      remember([group, 'children', line], lineNo, col);
    } else if (kind === 'vars') {
      const eq = line.indexOf('=');
      if (eq <= 0) {
        problems.push({ file, line: lineNo, col, message: `expected key=value in [${group}:vars]` });
        return;
      }
      const key = line.slice(0, eq).trim();
      (body.vars ??= {})[key] = line.slice(eq + 1).trim();
      remember([group, 'vars', key], lineNo, col + eq + 1);
    } else readHostLine(line, lineNo, col, group, body);
  });

  function readHostLine(line: string, lineNo: number, col: number, groupName: string, body: GroupBody): void {
    const words = shellWords(line);
    if (!Array.isArray(words)) {
      problems.push({ file, line: lineNo, col, message: `cannot read host line: ${words.error}` });
      return;
    }
    let [name, ...rest] = words;
    const vars: Record<string, unknown> = {};
    const withPort = /^([^:[\]]+|[^:]*\[[^\]]*\][^:]*):(\d+)$/.exec(name);
    if (withPort) {
      name = withPort[1];
      vars.ansible_port = Number(withPort[2]);
    }
    for (const word of rest) {
      const eq = word.indexOf('=');
      if (eq <= 0) {
        problems.push({ file, line: lineNo, col: col + line.indexOf(word), message: `expected key=value after the host name, got ${JSON.stringify(word)}` });
        continue;
      }
      vars[word.slice(0, eq)] = literal(word.slice(eq + 1));
    }
    const hosts = (body.hosts ??= {});
    hosts[name] = { ...(hosts[name] ?? {}), ...vars };
    remember([groupName, 'hosts', name], lineNo, col);
    for (const key of Object.keys(vars)) remember([groupName, 'hosts', name, key], lineNo, col + Math.max(0, line.indexOf(`${key}=`)));
  }

  const locate = (path: readonly PathSegment[]): SourceLocation => {
    for (let n = path.length; n > 0; n--) {
      const hit = locs.get(JSON.stringify(path.slice(0, n)));
      if (hit) return hit;
    }
    return { file, line: 1, col: 1 };
  };
  const locator: Locator = {
    file,
    locate,
    problem: (path, message) => {
      const p = formatPath(path);
      return { ...locate(path), ...(p ? { path: p } : {}), message };
    },
  };
  if (Object.keys(data.ungrouped ?? {}).length === 0) delete data.ungrouped;
  return { data, locator, problems };
}
