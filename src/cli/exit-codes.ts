/** The one place that maps outcomes to process exit codes (Ansible users read these). */
export const ExitCode = {
  ok: 0,
  internalError: 1,
  stepFailures: 2,
  invalidInput: 3,
  unreachable: 4,
  /** Only with --fail-on: a finding at or above that severity. */
  findings: 5,
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
