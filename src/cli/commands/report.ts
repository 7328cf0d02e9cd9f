/** `netdiag report <run-dir>`: re-analyse stored evidence and re-render the report. */
import type { Command } from 'commander';
import type { RegisterCommand } from '../command.js';
import { ExitCode } from '../exit-codes.js';

export const register: RegisterCommand = (program: Command, setExitCode) => {
  program
    .command('report <run-dir>')
    .description('re-analyse a run directory and re-render DIAGNOSIS-REPORT.md, diagnosis-summary.txt, findings.json')
    .option('--templates <dir>', 'directory with templates overriding the built-in ones')
    .option('--json', 'print findings as JSON', false)
    .action(async (runDir: string, o: { templates?: string; json: boolean }) => {
      const { analyzeRunDir, verdictLine } = await import('../../report/analyze-run.js');
      const result = await analyzeRunDir(runDir, { templatesDir: o.templates });
      if (o.json) process.stdout.write(JSON.stringify(result.analysis, null, 2) + '\n');
      else process.stdout.write(`${verdictLine(result.analysis)}\nreport: ${result.reportPath}\n`);
      setExitCode(ExitCode.ok);
    });
};
