/**
 * tcpdump's stderr, passed through to the step's stderr file while it is watched: the
 * `listening on …` line is the moment the capture is live (the traffic steps may start), and
 * the first few KiB are kept to explain a failure ("tcpdump: not found", "You don't have
 * permission to capture on that device").
 */
import { Writable } from 'node:stream';

/** How much of stderr is kept for messages; tcpdump's useful lines come first. */
const HEAD_BYTES = 8192;

/** Lines tcpdump prints on every run, which explain nothing about a failure. */
const ROUTINE_LINE = /^(tcpdump: )?(listening on |data link type |verbose output suppressed|\d+ packets? (captured|received by filter|dropped by kernel))/;

/** tcpdump ≥ 4.99 prints `tcpdump: listening on any, link-type …`, older ones `listening on …`. */
const LISTENING = /(^|\n)(tcpdump: )?listening on /;

/** A pass-through Writable for tcpdump's stderr that notices `listening on` and keeps its head. */
export class TcpdumpStderrWatch extends Writable {
  private head = '';
  private listening = false;

  /**
   * @param sink the step's stderr file (everything is forwarded, backpressure included)
   * @param onListening called once, when `listening on` first appears
   */
  constructor(
    private readonly sink: Writable,
    private readonly onListening: () => void,
  ) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.head.length < HEAD_BYTES) {
      this.head = (this.head + chunk.toString('utf8')).slice(0, HEAD_BYTES);
      // Searched in the accumulated head, so a line split across chunks is still seen.
      if (!this.listening && LISTENING.test(this.head)) {
        this.listening = true;
        this.onListening();
      }
    }
    if (this.sink.write(chunk)) callback();
    else this.sink.once('drain', () => callback());
  }

  /**
   * Packets the kernel dropped because tcpdump could not keep up (from the statistics tcpdump
   * prints when it stops). Non-zero means "received < sent" in the flow table may be ours.
   */
  kernelDrops(): number | undefined {
    const m = /(\d+) packets? dropped by kernel/.exec(this.head);
    return m ? Number(m[1]) : undefined;
  }

  /** tcpdump's own explanation of a failure: its stderr without the routine lines. */
  problem(): string | undefined {
    const lines = this.head
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !ROUTINE_LINE.test(l));
    // tcpdump explains on a second line in parentheses, e.g. "(socket: Operation not permitted)".
    return lines.length ? lines.join(' ').slice(0, 500) : undefined;
  }
}
