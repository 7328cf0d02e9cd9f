/** How a template value becomes text, per output mode (see template.ts). */
import { shellQuote } from '../transport/shell-quote.js';

/** Template values may land at the start of a command, where `A=B` would be an assignment. */
const ASSIGNMENTS = { quoteAssignments: true };

/** shell: quoted word(s); raw: unquoted (unsafe); text: as-is; path: one file-name segment. */
export type OutputMode = 'shell' | 'raw' | 'text' | 'path';

function scalarText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object' && !(value instanceof Date)) {
    // Handlebars' SafeString (from helpers) has a meaningful toString; plain objects become JSON.
    return value.constructor && value.constructor !== Object && typeof value.toString === 'function' && value.toString !== Object.prototype.toString
      ? value.toString()
      : JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
  }
  return String(value);
}

/**
 * Renders a value for output. In shell mode a list becomes one quoted word per element
 * (`{{vars.ports}}` → `8472 4789`) and a map becomes one quoted JSON word.
 */
export function renderValue(value: unknown, mode: OutputMode): string {
  if (mode === 'shell') {
    if (Array.isArray(value)) return value.map((v) => shellQuote(scalarText(v), ASSIGNMENTS)).join(' ');
    return shellQuote(scalarText(value), ASSIGNMENTS);
  }
  if (mode === 'path') {
    const text = (Array.isArray(value) ? value.map(scalarText).join(',') : scalarText(value)).replace(/[/\\\0]/g, '_');
    return text === '.' || text === '..' ? '_' : text;
  }
  if (Array.isArray(value)) return value.map(scalarText).join(mode === 'raw' ? ' ' : ',');
  return scalarText(value);
}
