/**
 * A counting semaphore with an abortable FIFO queue. The SSH pool keeps one per connection so
 * at most N exec channels are open at once (OpenSSH refuses sessions beyond MaxSessions, 10).
 */
export class ChannelLimiter {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`channel limit must be a positive integer, got ${limit}`);
  }

  /** Channels currently held. */
  get inUse(): number {
    return this.active;
  }

  /** Callers waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /**
   * Wait for a slot; resolves to a release function, or `null` if `signal` aborted first
   * (the caller then holds nothing and must not release).
   */
  acquire(signal?: AbortSignal): Promise<(() => void) | null> {
    if (signal?.aborted) return Promise.resolve(null);
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(this.releaser());
      };
      const onAbort = () => {
        const index = this.waiters.indexOf(grant);
        if (index !== -1) this.waiters.splice(index, 1);
        resolve(null);
      };
      this.waiters.push(grant);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return; // double release would corrupt the count
      released = true;
      this.active--;
      this.waiters.shift()?.();
    };
  }
}
