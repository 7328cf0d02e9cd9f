/** Shared by every transport: how an aborted signal maps to an outcome status. */

/**
 * `timedout` when the abort reason is a TimeoutError (what `AbortSignal.timeout()` produces, or
 * any reason whose `name` is `TimeoutError`), otherwise `interrupted` (SIGINT, run deadline…).
 */
export function abortStatus(signal: AbortSignal): 'timedout' | 'interrupted' {
  const reason = signal.reason as { name?: string } | undefined;
  return reason?.name === 'TimeoutError' ? 'timedout' : 'interrupted';
}

/** Waits `ms`, or less when `signal` aborts (also when it already has). */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** A child signal that aborts with the parent, or with a TimeoutError after `ms`. */
export interface Deadline {
  signal: AbortSignal;
  /** Clears the timer; call when the work ends. */
  dispose(): void;
}

/**
 * Like `AbortSignal.any([parent, AbortSignal.timeout(ms)])`, but on a timer we hold: on Node 20
 * the timeout signal inside `any()` can be garbage-collected and then never fires, leaving a
 * hung command running forever.
 */
export function deadline(parent: AbortSignal, ms: number, what = 'operation'): Deadline {
  const ctl = new AbortController();
  const onParent = () => ctl.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => ctl.abort(new DOMException(`${what} timed out after ${ms} ms`, 'TimeoutError')), ms);
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onParent);
    },
  };
}
