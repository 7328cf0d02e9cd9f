/**
 * Streaming, atomic artifact files: output is written to `<name>.partial` as it arrives (so
 * memory stays constant whatever its size) while its sha256 and size are computed on the fly;
 * `finish()` renames it into place. A run that dies mid-write leaves only `.partial` files,
 * never a truncated file under the final name.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { confinedPath, prepareParent } from './run-dir.js';

/** A file recorded in the manifest. */
export interface FileRecord {
  /** Path relative to the run directory (POSIX separators). */
  path: string;
  bytes: number;
  sha256: string;
}

/** A writable artifact: write to `stream`, then `finish()` (or `discardIfEmpty()`). */
export class ArtifactFile {
  readonly stream: Writable;
  private readonly file: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  private constructor(
    readonly root: string,
    readonly relPath: string,
    readonly absPath: string,
  ) {
    this.file = createWriteStream(`${absPath}.partial`, { flags: 'w', mode: 0o644 });
    // Hash in the write path so a 1 GiB output is never held in memory; backpressure is the
    // file stream's own.
    this.stream = new Writable({
      write: (chunk: Buffer, _enc, cb) => {
        this.hash.update(chunk);
        this.bytes += chunk.length;
        if (this.file.write(chunk)) cb();
        else this.file.once('drain', () => cb());
      },
      final: (cb) => this.file.end(cb),
    });
    this.file.on('error', (err) => this.stream.destroy(err));
    // A producer that writes after finish() (a handler the engine stopped waiting for) must not
    // crash the run with an unhandled 'error' event; its late bytes are simply not recorded.
    this.stream.on('error', () => undefined);
  }

  /** Opens `relPath` inside `root` (confined: it can never resolve outside the run directory). */
  static async open(root: string, relPath: string): Promise<ArtifactFile> {
    const abs = confinedPath(root, relPath);
    await prepareParent(root, abs);
    return new ArtifactFile(root, path.relative(root, abs).split(path.sep).join('/'), abs);
  }

  /** Ends the stream (if the producer has not), renames into place and returns its record. */
  async finish(): Promise<FileRecord> {
    await this.ended();
    await rename(`${this.absPath}.partial`, this.absPath);
    return { path: this.relPath, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }

  /** Like finish(), but an empty file is deleted and yields undefined (e.g. empty stderr). */
  async finishUnlessEmpty(): Promise<FileRecord | undefined> {
    await this.ended();
    if (this.bytes === 0) {
      await unlink(`${this.absPath}.partial`).catch(() => undefined);
      return undefined;
    }
    return this.finish();
  }

  get size(): number {
    return this.bytes;
  }

  private async ended(): Promise<void> {
    if (!this.stream.writableFinished) {
      await new Promise<void>((resolve, reject) => {
        this.stream.once('finish', resolve);
        this.stream.once('error', reject);
        if (!this.stream.writableEnded) this.stream.end();
      });
    }
    // The underlying file may still be flushing its last chunk.
    if (!this.file.closed) await new Promise<void>((resolve) => this.file.once('close', () => resolve()));
    await stat(`${this.absPath}.partial`);
  }
}
