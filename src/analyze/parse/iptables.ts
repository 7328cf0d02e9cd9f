/**
 * `iptables-save` parser (legacy and nft backends print the same format). Keeps every rule's
 * line number and its raw text; splits the common match/target options out so rules can ask
 * "is there a DROP for udp dport 8472 in INPUT?" without re-tokenising.
 */
import { numberedLines } from './text.js';

/** One `-A CHAIN …` rule. */
export interface IptablesRule {
  table: string;
  chain: string;
  line: number;
  raw: string;
  /** Shell-like tokens of the rule after `-A CHAIN` (quotes removed). */
  tokens: string[];
  source?: string;
  sourceNegated?: boolean;
  destination?: string;
  destinationNegated?: boolean;
  protocol?: string;
  /** `--dport`/`--dports` values (ranges `a:b` and lists kept as text). */
  dports: string[];
  inInterface?: string;
  outInterface?: string;
  /** `-j` target (ACCEPT, DROP, REJECT, MASQUERADE, KUBE-SVC-…). */
  target?: string;
  comment?: string;
  /** `[packets:bytes]` counters when saved with `-c`. */
  counters?: { packets: number; bytes: number };
}

/** A chain with its policy (`-` for user chains) and counters. */
export interface IptablesChain {
  name: string;
  policy: string;
  line: number;
  counters?: { packets: number; bytes: number };
}

export interface IptablesTable {
  name: string;
  line: number;
  chains: Map<string, IptablesChain>;
  rules: IptablesRule[];
}

/** Parsed `iptables-save`: tables by name, plus lines that did not parse. */
export interface IptablesSave {
  tables: Map<string, IptablesTable>;
  unparsed: { line: number; text: string }[];
}

/** Splits a rule like a shell would for the quoting iptables-save uses (double quotes, `\"`). */
export function tokenize(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQuote = false;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '\\')) {
      cur += s[++i];
      has = true;
    } else if (c === '"') {
      inQuote = !inQuote;
      has = true;
    } else if (!inQuote && (c === ' ' || c === '\t')) {
      if (has) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (has) out.push(cur);
  return out;
}

function parseCounters(s: string | undefined): { packets: number; bytes: number } | undefined {
  const m = /^\[(\d+):(\d+)\]$/.exec(s ?? '');
  return m ? { packets: Number(m[1]), bytes: Number(m[2]) } : undefined;
}

function ruleFrom(table: string, line: number, raw: string, tokens: string[]): IptablesRule {
  let counters: IptablesRule['counters'];
  if (tokens[0] && parseCounters(tokens[0])) counters = parseCounters(tokens.shift());
  const chain = tokens[1] ?? '';
  const rest = tokens.slice(2);
  const rule: IptablesRule = { table, chain, line, raw, tokens: rest, dports: [], counters };
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i];
    const negated = rest[i - 1] === '!';
    const next = rest[i + 1];
    switch (t) {
      case '-s':
        rule.source = next;
        rule.sourceNegated = negated;
        break;
      case '-d':
        rule.destination = next;
        rule.destinationNegated = negated;
        break;
      case '-p':
        rule.protocol = next;
        break;
      case '-i':
        rule.inInterface = next;
        break;
      case '-o':
        rule.outInterface = next;
        break;
      case '-j':
      case '-g':
        rule.target = next;
        break;
      case '--dport':
      case '--dports':
      case '--destination-port':
        if (next !== undefined) rule.dports.push(...next.split(','));
        break;
      case '--comment':
        rule.comment = next;
        break;
      case '-c':
        // `-A X -c 7 420 …` (iptables -c form, seen when saved by some tools).
        rule.counters = { packets: Number(next), bytes: Number(rest[i + 2]) };
        break;
    }
  }
  return rule;
}

/** Parses `iptables-save` output (any subset of tables). Never throws on odd lines. */
export function parseIptablesSave(text: string): IptablesSave {
  const tables = new Map<string, IptablesTable>();
  const unparsed: { line: number; text: string }[] = [];
  let current: IptablesTable | undefined;
  for (const { line, text: raw } of numberedLines(text)) {
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) continue;
    if (s.startsWith('*')) {
      const name = s.slice(1);
      current = tables.get(name) ?? { name, line, chains: new Map(), rules: [] };
      tables.set(name, current);
    } else if (s === 'COMMIT') {
      current = undefined;
    } else if (s.startsWith(':') && current) {
      const [name, policy, counters] = s.slice(1).split(/\s+/);
      current.chains.set(name, { name, policy: policy ?? '-', line, counters: parseCounters(counters) });
    } else if ((s.startsWith('-A ') || /^\[\d+:\d+\] -A /.test(s)) && current) {
      current.rules.push(ruleFrom(current.name, line, s, tokenize(s)));
    } else {
      unparsed.push({ line, text: raw });
    }
  }
  return { tables, unparsed };
}

/** Rules of one chain of one table, in order. */
export function chainRules(save: IptablesSave, table: string, chain: string): IptablesRule[] {
  return save.tables.get(table)?.rules.filter((r) => r.chain === chain) ?? [];
}

/** True when a `--dport` list/range of a rule covers `port`. */
export function ruleMatchesPort(rule: IptablesRule, port: number): boolean {
  return rule.dports.some((d) => {
    const [lo, hi] = d.split(':').map(Number);
    return hi === undefined ? lo === port : port >= (lo || 0) && port <= (hi || 65535);
  });
}

/** The chains reachable from `chain` by jumps (itself included), to follow user chains. */
export function reachableChains(save: IptablesSave, table: string, chain: string): string[] {
  const t = save.tables.get(table);
  if (!t) return [];
  const seen = new Set<string>([chain]);
  const queue = [chain];
  while (queue.length) {
    const c = queue.shift()!;
    for (const r of t.rules) {
      if (r.chain === c && r.target && t.chains.has(r.target) && !seen.has(r.target)) {
        seen.add(r.target);
        queue.push(r.target);
      }
    }
  }
  return [...seen];
}
