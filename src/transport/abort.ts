/** Shared by every transport: how an aborted signal maps to an outcome status. */

/**
 * `timedout` when the abort reason is a TimeoutError (what `AbortSignal.timeout()` produces, or
 * any reason whose `name` is `TimeoutError`), otherwise `interrupted` (SIGINT, run deadline…).
 */
export function abortStatus(signal: AbortSignal): 'timedout' | 'interrupted' {
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timedout' : 'interrupted';
}
