/**
 * The API server's view of the lab: state.json re-read whenever its mtime changes, so faults,
 * restarts and `lab up` progress show up on the next request without restarting the server.
 * `lab up` writes the file atomically (rename), so a read never sees half a file.
 */
import { stat } from 'node:fs/promises';
import { readLabState } from '../state.js';
import type { ViewContext } from './objects/meta.js';

/** Hands out the current ViewContext, reloading the state file when it changed. */
export class StateSource {
  private mtimeMs = -1;
  private size = -1;
  private ctx: ViewContext | undefined;
  private generation = 0;
  private loading: Promise<ViewContext> | undefined;

  constructor(
    readonly file: string,
    private readonly caPem?: string,
  ) {}

  /** The current view; throws only when the state was never readable. */
  async current(): Promise<ViewContext> {
    if (this.loading) return this.loading;
    this.loading = this.refresh().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async refresh(): Promise<ViewContext> {
    try {
      const st = await stat(this.file);
      if (this.ctx && st.mtimeMs === this.mtimeMs && st.size === this.size) return this.ctx;
      const state = await readLabState(this.file);
      this.mtimeMs = st.mtimeMs;
      this.size = st.size;
      this.generation++;
      // resourceVersions only need to grow; the reload count does that.
      this.ctx = { state, resourceVersion: String(1000 + this.generation), caPem: this.caPem };
      return this.ctx;
    } catch (err) {
      // A transient failure (file being replaced) keeps serving the last good state.
      if (this.ctx) return this.ctx;
      throw err;
    }
  }
}
