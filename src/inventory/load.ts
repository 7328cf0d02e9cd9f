/**
 * Ansible's YAML inventory (`all: {hosts, children, vars}`, nested children, host ranges),
 * loaded into hosts with their group vars merged by Ansible's precedence:
 * all < parent group < child group < host (groups of equal depth: ansible_group_priority,
 * then name). Every problem is reported at once with file:line:col. INI inventories are
 * refused with a conversion hint rather than misread.
 */
import { readFile } from 'node:fs/promises';
import { InputError, type InputProblem } from '../errors.js';
import { parseYamlSource, sortProblems, type Locator, type PathSegment } from '../plan/yaml-source.js';
import { parseIniInventory } from './ini.js';
import { describeValue } from '../plan/zod-problems.js';
import { connectionOf, connectionVarProblems } from './connection.js';
import { expandHostRange } from './host-range.js';
import { resolveJumps } from './jump-resolve.js';
import type { JumpSpec } from './ssh-args.js';
import type { Group, Host, Inventory } from './types.js';

const GROUP_KEYS = new Set(['hosts', 'children', 'vars']);

interface Draft {
  groups: Map<string, Group & { depth: number; priority: number }>;
  /** Direct members of each group, for O(1) de-duplication of large ranges. */
  directHosts: Map<string, Set<string>>;
  /** Where each group was first written, to point cycle errors at it. */
  groupPaths: Map<string, PathSegment[]>;
  hostVars: Map<string, Record<string, unknown>>;
  problems: InputProblem[];
}

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Loads an inventory file; throws InputError listing every problem. */
export async function loadInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError({ file, message: code === 'ENOENT' ? 'inventory file not found' : `cannot read inventory: ${(err as Error).message}` });
  }
  return parseInventory(file, text);
}

/**
 * Same as loadInventory for text in memory; `file` is used in messages and to resolve key
 * paths. YAML unless the file is `.ini`, or is not YAML but has INI `[section]` lines, or is
 * just host names one per line (which YAML reads as one string).
 */
export function parseInventory(file: string, text: string): Inventory {
  const looksIni = /^\s*\[[^\]\n]+\]\s*$/m.test(text);
  let data: unknown;
  let src: Locator;
  const yaml = /\.(ini|cfg)$/i.test(file) ? undefined : parseYamlSource(file, text);
  const useIni = !yaml || (!isMap(yaml.data) && (looksIni || typeof yaml.data === 'string'));
  if (yaml && !useIni) {
    if (yaml.problems.length) throw new InputError(yaml.problems);
    if (!isMap(yaml.data)) throw new InputError({ ...yaml.locate([]), message: `an inventory is a YAML map with a top-level "all:" group (or Ansible INI), got ${describeValue(yaml.data)}` });
    data = yaml.data;
    src = yaml;
  } else {
    const ini = parseIniInventory(file, text);
    if (ini.problems.length) throw new InputError(ini.problems);
    data = ini.data;
    src = ini.locator;
  }
  return buildInventory(file, data as Record<string, unknown>, src);
}

function buildInventory(file: string, data: Record<string, unknown>, src: Locator): Inventory {
  const draft: Draft = { groups: new Map(), directHosts: new Map(), groupPaths: new Map(), hostVars: new Map(), problems: [] };
  const all = ensureGroup(draft, 'all', 0);
  for (const [name, body] of Object.entries(data)) {
    if (name !== 'all') addChild(draft, src, all, name, [name]);
    readGroup(draft, src, name, body, [name], name === 'all' ? 0 : 1);
  }
  const ungrouped = ensureGroup(draft, 'ungrouped', 1);
  if (!all.children.includes('ungrouped')) all.children.push('ungrouped');
  checkCycles(draft, src);
  if (draft.problems.length) throw new InputError(sortProblems(draft.problems));
  assignDepths(draft);

  const hosts = new Map<string, Host>();
  const warnings = new Map<string, string[]>(); // warning → hosts it applies to
  const jumpSpecs = new Map<string, JumpSpec[]>();
  const groupsOf = hostGroups(draft);
  for (const [name, ownVars] of draft.hostVars) {
    let groups = groupsOf.get(name) ?? [];
    if (groups.length === 0) {
      ungrouped.hosts.push(name);
      groups = [ungrouped];
    }
    const ordered = [all, ...groups.filter((g) => g !== all)].sort((a, b) => a.depth - b.depth || a.priority - b.priority || (a === all ? -1 : b === all ? 1 : a.name.localeCompare(b.name)));
    const vars: Record<string, unknown> = {};
    for (const g of ordered) Object.assign(vars, g.vars);
    Object.assign(vars, ownVars);
    const conn = connectionOf(name, vars, file);
    for (const w of conn.warnings) warnings.set(w, [...(warnings.get(w) ?? []), name]);
    const { warnings: _w, jump, ...fields } = conn;
    jumpSpecs.set(name, jump);
    hosts.set(name, { name, ...fields, jump: [], vars, groups: ordered.map((g) => g.name) });
  }
  resolveJumps(hosts, jumpSpecs);
  const groups = new Map<string, Group>([...draft.groups].map(([n, g]) => [n, { name: g.name, hosts: g.hosts, children: g.children, vars: g.vars }]));
  const warningList: InputProblem[] = [...warnings].map(([w, names]) => ({
    file,
    message: `${w} (host${names.length > 1 ? 's' : ''} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''})`,
  }));
  return { file, hosts, groups, ...(warningList.length ? { warnings: warningList } : {}) };
}

function ensureGroup(draft: Draft, name: string, depth: number) {
  let g = draft.groups.get(name);
  if (!g) {
    g = { name, hosts: [], children: [], vars: {}, depth, priority: 1 };
    draft.groups.set(name, g);
  }
  return g;
}

/** Ansible's group depth: the longest chain of parents from `all` (deeper groups win vars). */
function assignDepths(draft: Draft): void {
  const visit = (name: string, depth: number) => {
    const g = draft.groups.get(name);
    if (!g || (g.depth >= depth && name !== 'all')) return;
    g.depth = depth;
    for (const c of g.children) visit(c, depth + 1);
  };
  for (const g of draft.groups.values()) g.depth = -1;
  visit('all', 0);
}

function addChild(draft: Draft, src: Locator, parent: Group, child: string, path: PathSegment[]): void {
  if (child === parent.name) draft.problems.push(src.problem(path, `group "${child}" cannot be its own child`, { key: true }));
  else if (!parent.children.includes(child)) parent.children.push(child);
}

/** Reads one group body (null or a map of hosts/children/vars) at `path`. */
function readGroup(draft: Draft, src: Locator, name: string, body: unknown, path: PathSegment[], depth: number): void {
  const group = ensureGroup(draft, name, depth);
  if (!draft.groupPaths.has(name)) draft.groupPaths.set(name, path);
  if (body === null || body === undefined) return;
  if (!isMap(body)) {
    draft.problems.push(src.problem(path, `group "${name}" must be a map with hosts:, children: and/or vars:, got ${describeValue(body)}`));
    return;
  }
  for (const key of Object.keys(body)) {
    if (!GROUP_KEYS.has(key)) {
      const hint = key.startsWith('ansible_') || key === 'jump' ? ' (variables go under vars:)' : ' (expected hosts, children or vars)';
      draft.problems.push(src.problem([...path, key], `unknown key "${key}" in group "${name}"${hint}`, { key: true }));
    }
  }
  if (body.vars !== undefined && body.vars !== null) {
    if (!isMap(body.vars)) draft.problems.push(src.problem([...path, 'vars'], `expected a map of variables, got ${describeValue(body.vars)}`));
    else {
      checkVars(draft, src, body.vars, [...path, 'vars']);
      Object.assign(group.vars, body.vars);
      const prio = body.vars.ansible_group_priority;
      if (typeof prio === 'number') group.priority = prio;
    }
  }
  if (body.hosts !== undefined && body.hosts !== null) {
    if (!isMap(body.hosts)) draft.problems.push(src.problem([...path, 'hosts'], `expected a map of host names (each with its vars or empty), got ${describeValue(body.hosts)}`));
    else for (const [pattern, vars] of Object.entries(body.hosts)) readHost(draft, src, group, pattern, vars, [...path, 'hosts', pattern]);
  }
  if (body.children !== undefined && body.children !== null) {
    if (!isMap(body.children)) draft.problems.push(src.problem([...path, 'children'], `expected a map of child groups, got ${describeValue(body.children)}`));
    else
      for (const [child, childBody] of Object.entries(body.children)) {
        addChild(draft, src, group, child, [...path, 'children', child]);
        readGroup(draft, src, child, childBody, [...path, 'children', child], depth + 1);
      }
  }
}

function readHost(draft: Draft, src: Locator, group: Group, pattern: string, vars: unknown, path: PathSegment[]): void {
  const expanded = expandHostRange(pattern);
  if ('error' in expanded) {
    draft.problems.push(src.problem(path, expanded.error, { key: true }));
    return;
  }
  if (vars !== null && vars !== undefined && !isMap(vars)) {
    draft.problems.push(src.problem(path, `host "${pattern}" must have a map of variables or nothing, got ${describeValue(vars)}`));
    return;
  }
  if (vars) checkVars(draft, src, vars, path);
  const members = draft.directHosts.get(group.name) ?? new Set<string>();
  draft.directHosts.set(group.name, members);
  for (const name of expanded.hosts) {
    // A host listed in several groups keeps one set of host vars; later definitions win.
    const prev = draft.hostVars.get(name);
    draft.hostVars.set(name, prev ? { ...prev, ...(vars ?? {}) } : { ...(vars ?? {}) });
    if (!members.has(name)) {
      members.add(name);
      group.hosts.push(name);
    }
  }
}

function checkVars(draft: Draft, src: Locator, vars: Record<string, unknown>, path: PathSegment[]): void {
  for (const p of connectionVarProblems(vars)) draft.problems.push(src.problem([...path, p.key], p.message));
}

/** Every group each host belongs to, directly or through descendants (memoised per group). */
function hostGroups(draft: Draft) {
  const out = new Map<string, Array<Group & { depth: number; priority: number }>>();
  const memo = new Map<string, Set<string>>();
  const members = (name: string): Set<string> => {
    const known = memo.get(name);
    if (known) return known;
    const set = new Set(draft.groups.get(name)?.hosts ?? []);
    memo.set(name, set); // set before recursing: cycles were rejected, this only guards
    for (const c of draft.groups.get(name)?.children ?? []) for (const h of members(c)) set.add(h);
    return set;
  };
  for (const g of draft.groups.values()) {
    if (g.name === 'all') continue;
    for (const h of members(g.name)) {
      const list = out.get(h);
      if (list) list.push(g);
      else out.set(h, [g]);
    }
  }
  return out;
}

function checkCycles(draft: Draft, src: Locator): void {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) {
      draft.problems.push(src.problem(draft.groupPaths.get(name) ?? [], `group cycle: ${[...trail, name].join(' → ')}`, { key: true }));
      return;
    }
    visiting.add(name);
    for (const c of draft.groups.get(name)?.children ?? []) visit(c, [...trail, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of draft.groups.keys()) visit(name, []);
}
