/**
 * One bounded queue for the whole run (Ansible's forks): at most `limit` step×target
 * executions in flight. Tasks that have not started when the run is aborted never start.
 */
export class WorkQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`forks must be a positive integer, got ${limit}`);
  }

  /** Runs `task` when a slot frees up. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
