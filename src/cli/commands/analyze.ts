/**
 * `netdiag analyze <bundle.tar.gz>`: the support engineer's side of a ticket. Verifies the
 * checksum, extracts safely into a temp dir, re-runs the analyzers and renders the report.
 */
import { mkdir } from 'node:fs/promises';
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('analyze <bundle>')
    .description('verify, safely extract and re-analyse a support bundle someone sent you')
    .option('--templates <dir>', 'report templates overriding the built-in ones')
    .option('--json', 'print findings as JSON', false)
    .option('-o, --out <dir>', 'where to extract (a fresh folder is made inside; default: the system temp dir)')
    .action(async (bundle: string, o: { templates?: string; json: boolean; out?: string }) => {
      const { extractBundle } = await import('../../artifacts/extract.js');
      const { analyzeRunDir, verdictLine } = await import('../../report/analyze-run.js');
      if (o.out) await mkdir(o.out, { recursive: true });
      const extracted = await extractBundle(bundle, { tmpRoot: o.out });
      const result = await analyzeRunDir(extracted.runDir, { templatesDir: o.templates });
      if (o.json) process.stdout.write(JSON.stringify(result.analysis, null, 2) + '\n');
      else {
        process.stdout.write(`checksum: ${extracted.verified ? 'verified' : 'no .sha256 beside the bundle: not verified'}\n`);
        process.stdout.write(`${verdictLine(result.analysis)}\nreport: ${result.reportPath}\n`);
        // The report and evidence stay there for the engineer to read; they are theirs to remove.
        process.stdout.write(`extracted to: ${extracted.dir}\n`);
      }
      setExitCode(ExitCode.ok);
    });
};
