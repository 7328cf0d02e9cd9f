/**
 * Ansible host ranges in inventory host names: `node[01:03]` → node01 node02 node03 (the
 * width of the start keeps leading zeros), `node-[a:c]` → node-a node-b node-c, an optional
 * stride `[0:10:5]`, and several ranges in one name (expanded left to right).
 */

/** Upper bound so a typo like `n[0:9999999]` fails clearly instead of eating memory. */
export const MAX_RANGE_HOSTS = 10_000;

/** Expands `name`; returns the host names or an error message (never throws). */
export function expandHostRange(name: string): { hosts: string[] } | { error: string } {
  const open = name.indexOf('[');
  if (open === -1) {
    return name.includes(']') ? { error: `host name "${name}" has "]" without "["` } : { hosts: [name] };
  }
  const close = name.indexOf(']', open);
  if (close === -1) return { error: `host range in "${name}" is missing its closing "]"` };
  const head = name.slice(0, open);
  const body = name.slice(open + 1, close);
  const tail = name.slice(close + 1);
  const parts = body.split(':');
  if (parts.length < 2 || parts.length > 3) return { error: `host range "[${body}]" in "${name}" must look like [start:end] or [start:end:step]` };
  const [start, end, strideText] = parts;
  const stride = strideText === undefined || strideText === '' ? 1 : Number(strideText);
  if (!Number.isInteger(stride) || stride < 1) return { error: `host range "[${body}]" in "${name}": step must be a positive integer` };

  let middles: string[];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const a = Number(start);
    const b = Number(end);
    if (a > b) return { error: `host range "[${body}]" in "${name}": start is after end` };
    if ((b - a) / stride >= MAX_RANGE_HOSTS) return { error: `host range "[${body}]" in "${name}" makes more than ${MAX_RANGE_HOSTS} hosts` };
    // Ansible pads to the width of the start when it has a leading zero (`[01:10]`).
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    middles = [];
    for (let i = a; i <= b; i += stride) middles.push(String(i).padStart(width, '0'));
  } else if (/^[a-z]$/.test(start) && /^[a-z]$/.test(end) || /^[A-Z]$/.test(start) && /^[A-Z]$/.test(end)) {
    const a = start.charCodeAt(0);
    const b = end.charCodeAt(0);
    if (a > b) return { error: `host range "[${body}]" in "${name}": start is after end` };
    middles = [];
    for (let c = a; c <= b; c += stride) middles.push(String.fromCharCode(c));
  } else {
    return { error: `host range "[${body}]" in "${name}": use two numbers ([01:03]) or two letters of the same case ([a:c])` };
  }

  const rest = expandHostRange(tail);
  if ('error' in rest) return rest;
  const hosts: string[] = [];
  for (const m of middles) for (const t of rest.hosts) hosts.push(`${head}${m}${t}`);
  if (hosts.length > MAX_RANGE_HOSTS) return { error: `host ranges in "${name}" make more than ${MAX_RANGE_HOSTS} hosts` };
  return { hosts };
}
