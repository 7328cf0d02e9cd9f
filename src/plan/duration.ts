/**
 * Durations as plan authors write them: `30s`, `2m`, `500ms`, `1h30m`, or a bare number of
 * seconds (Ansible's `timeout: 30`). Everything inside netdiag is milliseconds.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** Milliseconds for `value`, or undefined when it is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  if (!DURATION_RE.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(PART_RE)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return Math.round(ms);
}

/** `120000` → `2m`, for messages and `netdiag list`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** zod schema: a duration string or seconds → milliseconds. */
export const durationSchema = z.union([z.string(), z.number()], { error: 'expected a duration like 30s, 2m, 500ms or a number of seconds' }).transform((v, ctx) => {
  const ms = parseDuration(v);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 30s, 2m, 500ms or a number of seconds, got ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return ms;
});
