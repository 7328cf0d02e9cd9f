#!/usr/bin/env node
/**
 * netdiag's entry point: builds the command tree and owns the only process.exit. Command
 * modules register their options here and import their heavy implementation lazily, so
 * `netdiag --version` stays as fast as a bare `node`.
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.js';
import { ExitCode } from './exit-codes.js';
import { netdiagVersion } from './version.js';
import * as run from './commands/run.js';
import * as validate from './commands/validate.js';
import * as list from './commands/list.js';
import * as lab from './commands/lab.js';
import * as report from './commands/report.js';
import * as bundle from './commands/bundle.js';
import * as analyze from './commands/analyze.js';
import * as demo from './commands/demo.js';

/** Each command module exports `register(program, setExitCode)`. */
const commands = [run, validate, list, report, bundle, analyze, lab, demo];

async function main(argv: string[]): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = new Command('netdiag')
    .description('Diagnose Kubernetes pod networking: collect evidence, name the root cause, bundle it for support')
    .version(netdiagVersion(), '-V, --version')
    .showHelpAfterError()
    .exitOverride();
  for (const c of commands) c.register(program, (code) => (exitCode = code));
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; bad flags with commander's message already printed.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.invalidInput;
    }
    if (err instanceof InputError) {
      process.stderr.write(`netdiag: invalid input\n${err.message}\n`);
      return ExitCode.invalidInput;
    }
    process.stderr.write(`netdiag: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.internalError;
  }
  return exitCode;
}

// `netdiag run … | head`: a closed pipe is the reader's choice, not a crash.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`netdiag: internal error: ${String(err)}\n`);
    process.exitCode = ExitCode.internalError;
  },
);
