import type { Command } from 'commander';

/** Sets the process exit code for the command that ran (index.ts owns process.exit). */
export type SetExitCode = (code: number) => void;

/** What every `src/cli/commands/<name>.ts` exports. */
export type RegisterCommand = (program: Command, setExitCode: SetExitCode) => void;

/** Project root (where playbooks/ and templates/ live), from dist/cli or src/cli. */
export function projectRoot(): string {
  return new URL('../../', import.meta.url).pathname;
}
