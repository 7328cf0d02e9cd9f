/**
 * `?watch=1`: a stream of `{"type":"ADDED|MODIFIED|DELETED","object":…}` lines, one per change,
 * so `kubectl get -w`, `kubectl rollout status` and client-node informers work. The lab keeps no
 * history: changes are found by re-selecting the objects whenever the state file changes and
 * comparing them with what was sent. A watch from the current resourceVersion starts quiet;
 * any other start sends every selected object as ADDED first (what an informer expects).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KObject, ViewContext } from './objects/meta.js';
import type { StateSource } from './state-source.js';
import { toTable, type IncludeObject } from './table.js';

/** How to select and render the watched objects. */
export interface WatchSpec {
  source: StateSource;
  resource: string;
  select: (ctx: ViewContext) => KObject[];
  /** Table media type version (`meta.k8s.io/v1`) when the client asked for tables. */
  tableVersion?: string;
  include: IncludeObject;
}

const POLL_MS = 300;
const DEFAULT_TIMEOUT_S = 1800;

/** Serves one watch until the client goes, the timeout passes or the server stops. */
export async function serveWatch(req: IncomingMessage, res: ServerResponse, url: URL, spec: WatchSpec): Promise<void> {
  const first = await spec.source.current();
  const contentType = spec.tableVersion ? `application/json;as=Table;v=${spec.tableVersion.split('/')[1]};g=meta.k8s.io` : 'application/json';
  res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();

  let columnsSent = false;
  const emit = (type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KObject, rv: string) => {
    let object: unknown = obj;
    if (spec.tableVersion) {
      const table = toTable(spec.resource, [obj], spec.tableVersion, spec.include, rv) as { columnDefinitions: unknown[] };
      // The real server sends column definitions with the first event only.
      if (columnsSent) table.columnDefinitions = [];
      columnsSent = true;
      object = table;
    }
    res.write(JSON.stringify({ type, object }) + '\n');
  };
  const key = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  // Objects compare equal when only the (state-wide) resourceVersion differs.
  const comparable = (o: KObject) => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  const known = new Map<string, KObject>();
  const quiet = url.searchParams.get('resourceVersion') === first.resourceVersion;
  for (const o of spec.select(first)) {
    known.set(key(o), o);
    if (!quiet) emit('ADDED', o, first.resourceVersion);
  }

  let lastVersion = first.resourceVersion;
  const timeoutS = Number(url.searchParams.get('timeoutSeconds')) || DEFAULT_TIMEOUT_S;
  await new Promise<void>((resolve) => {
    const stop = () => {
      clearInterval(timer);
      clearTimeout(deadline);
      resolve();
    };
    const timer = setInterval(() => {
      void spec.source.current().then((ctx) => {
        if (ctx.resourceVersion === lastVersion || res.writableEnded) return;
        lastVersion = ctx.resourceVersion;
        const now = new Map(spec.select(ctx).map((o) => [key(o), o]));
        for (const [k, o] of now) {
          const before = known.get(k);
          if (!before) emit('ADDED', o, ctx.resourceVersion);
          else if (comparable(before) !== comparable(o)) emit('MODIFIED', o, ctx.resourceVersion);
          known.set(k, o);
        }
        for (const [k, o] of [...known]) {
          if (!now.has(k)) {
            emit('DELETED', o, ctx.resourceVersion);
            known.delete(k);
          }
        }
      }, stop);
    }, POLL_MS);
    const deadline = setTimeout(stop, timeoutS * 1000);
    req.on('close', stop);
    res.on('close', stop);
  });
  if (!res.writableEnded) res.end();
}
