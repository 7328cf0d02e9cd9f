/**
 * Size budgets for a bundle: a per-file cap and a total budget over uncompressed content.
 * A file over the cap keeps its head — except logs, which keep their tail (the newest part).
 * When the total is still over budget, the largest low-priority files give way first:
 * captures, then logs, then large evidence files; the run's own manifest, report and findings
 * and small evidence files are never cut. Every decision is recorded with its reason.
 */
import { InputError } from '../errors.js';

export type FileCategory = 'essential' | 'capture' | 'log' | 'evidence';

/** One file's share of the budget. */
export interface BudgetedFile {
  rel: string;
  bytes: number;
  category: FileCategory;
  /** Original bytes to keep (0 = dropped). */
  keepBytes: number;
  keep: 'head' | 'tail';
  reason?: 'per-file-cap' | 'total-budget';
}

export interface BudgetPlan {
  files: BudgetedFile[];
  originalBytes: number;
  plannedBytes: number;
  /** True when even after cutting every low-priority file the total exceeds the budget. */
  overBudget: boolean;
}

export const DEFAULT_PER_FILE_CAP = 20 * 1024 * 1024;
export const DEFAULT_TOTAL_BUDGET = 200 * 1024 * 1024;
/** Evidence files at or below this size are never cut by the total budget. */
const SMALL_EVIDENCE = 1024 * 1024;
/** Truncating below this leaves nothing useful: drop the file instead. */
const MIN_USEFUL = 64 * 1024;

const ESSENTIAL = new Set(['run.json', 'findings.json', 'DIAGNOSIS-REPORT.md', 'diagnosis-summary.txt']);

/** Which budget class a run-directory path belongs to. */
export function categorize(rel: string): FileCategory {
  if (ESSENTIAL.has(rel)) return 'essential';
  const lower = rel.toLowerCase();
  if (/\.(pcap|pcapng|cap)$/.test(lower) || lower.startsWith('captures/')) return 'capture';
  const base = lower.split('/').pop() ?? lower;
  if (/\.log(\.\d+)?$/.test(base) || /(^|[-_.])(logs?|journal|journalctl|dmesg)([-_.]|$)/.test(base)) return 'log';
  return 'evidence';
}

/** Plans what to keep of each file. */
export function planBudget(
  input: { rel: string; bytes: number }[],
  perFileCap: number = DEFAULT_PER_FILE_CAP,
  totalBudget: number = DEFAULT_TOTAL_BUDGET,
): BudgetPlan {
  const files: BudgetedFile[] = input.map(({ rel, bytes }) => {
    const category = categorize(rel);
    const keep = category === 'log' ? 'tail' : 'head';
    if (category !== 'essential' && bytes > perFileCap) return { rel, bytes, category, keepBytes: perFileCap, keep, reason: 'per-file-cap' };
    return { rel, bytes, category, keepBytes: bytes, keep };
  });
  let total = files.reduce((s, f) => s + f.keepBytes, 0);
  for (const category of ['capture', 'log', 'evidence'] as const) {
    if (total <= totalBudget) break;
    const victims = files
      .filter((f) => f.category === category && f.keepBytes > 0 && (category !== 'evidence' || f.keepBytes > SMALL_EVIDENCE))
      .sort((a, b) => b.keepBytes - a.keepBytes || a.rel.localeCompare(b.rel));
    for (const f of victims) {
      const excess = total - totalBudget;
      if (excess <= 0) break;
      let keepBytes = Math.max(0, f.keepBytes - excess);
      if (keepBytes < MIN_USEFUL) keepBytes = 0;
      total -= f.keepBytes - keepBytes;
      f.keepBytes = keepBytes;
      f.reason = 'total-budget';
    }
  }
  return {
    files,
    originalBytes: files.reduce((s, f) => s + f.bytes, 0),
    plannedBytes: total,
    overBudget: total > totalBudget,
  };
}

/** Parses sizes like `20MiB`, `200M`, `1.5GiB`, `4096` (bytes). Returns undefined when invalid. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  const pow = unit === '' ? 0 : 'kmgt'.indexOf(unit) + 1;
  const base = m[3].toLowerCase().startsWith('i') || m[3] === '' ? 1024 : 1000;
  const value = Math.floor(Number(m[1]) * base ** pow);
  return Number.isFinite(value) ? value : undefined;
}

/** A size flag's value in bytes; anything but a positive size is an InputError naming the flag. */
export function parseSizeFlag(flag: string, text: string): number {
  const n = parseSize(text);
  if (n === undefined || n <= 0) throw new InputError({ path: flag, message: `expected a size like 20MiB, got ${JSON.stringify(text)}` });
  return n;
}

/** 1536 → `1.5 KiB`. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${bytes} B` : `${v.toFixed(1)} ${units[i]}`;
}
