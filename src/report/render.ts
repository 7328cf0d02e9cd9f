/**
 * Renders the report files with Handlebars: `DIAGNOSIS-REPORT.md`, `diagnosis-summary.txt`
 * and `findings.json`, from templates in `templates/` (or a user's `--templates DIR`, where
 * any file present overrides the built-in one). Files are written atomically.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Handlebars from 'handlebars';
import type { AnalysisResult } from '../analyze/types.js';
import { projectRoot } from '../cli/command.js';
import type { ReportView } from './view-model.js';

export const REPORT_FILES = ['DIAGNOSIS-REPORT.md', 'diagnosis-summary.txt'] as const;

async function templateText(name: string, overrideDir?: string): Promise<string> {
  const custom = overrideDir && path.join(overrideDir, name);
  return readFile(custom && existsSync(custom) ? custom : path.join(projectRoot(), 'templates', name), 'utf8');
}

function environment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('upper', (s: unknown) => String(s ?? '').toUpperCase());
  hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hb.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
  hb.registerHelper('inc', (n: unknown) => Number(n) + 1);
  // Markdown table cells: a `|` or newline inside would break the row.
  hb.registerHelper('cell', (s: unknown) => String(s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' '));
  // Relative links must survive spaces and odd characters in file names.
  hb.registerHelper('link', (p: unknown) => encodeURI(String(p ?? '')));
  return hb;
}

async function registerPartials(hb: typeof Handlebars, overrideDir?: string): Promise<void> {
  const dirs = [path.join(projectRoot(), 'templates', 'partials'), ...(overrideDir ? [path.join(overrideDir, 'partials')] : [])];
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const f of await readdir(dir)) if (f.endsWith('.hbs')) hb.registerPartial(f.replace(/\.hbs$/, ''), await readFile(path.join(dir, f), 'utf8'));
  }
}

async function writeAtomic(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

/** Writes the report files into `runDir`; returns their paths. */
export async function renderReport(runDir: string, view: ReportView, analysis: AnalysisResult, opts: { templatesDir?: string } = {}): Promise<string[]> {
  const hb = environment();
  await registerPartials(hb, opts.templatesDir);
  const written: string[] = [];
  for (const name of REPORT_FILES) {
    // Markdown is not HTML: escaping `<`/`&` would corrupt commands in the report.
    const tpl = hb.compile(await templateText(`${name}.hbs`, opts.templatesDir), { noEscape: true, strict: false });
    const file = path.join(runDir, name);
    await writeAtomic(file, tpl(view));
    written.push(file);
  }
  const findingsFile = path.join(runDir, 'findings.json');
  await writeAtomic(findingsFile, JSON.stringify({ findings: analysis.findings, notChecked: analysis.notChecked, facts: analysis.facts }, null, 2) + '\n');
  written.push(findingsFile);
  return written;
}
