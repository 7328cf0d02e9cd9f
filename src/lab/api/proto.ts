/**
 * Just enough Kubernetes protobuf to read a SelfSubjectAccessReview body: typed clients (e.g.
 * `kubectl auth can-i`) POST `application/vnd.kubernetes.protobuf` and cannot be told to send
 * JSON. The answer can still be JSON — clients decode by the response's Content-Type.
 *
 * Wire format: the 4-byte magic `k8s\0`, then a runtime.Unknown message
 * {1: typeMeta, 2: raw, 3: contentEncoding, 4: contentType} whose `raw` is the object.
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function readVarint(buf: Buffer, pos: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= buf.length) throw new Error('truncated varint');
    const b = buf[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [value, pos];
    shift += 7;
  }
}

/** The length-delimited fields of one message, by field number (other wire types skipped). */
function fields(buf: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p1] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = p1;
    if (wire === 0) pos = readVarint(buf, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      out.set(field, buf.subarray(p2, p2 + len));
      pos = p2 + len;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
  }
  return out;
}

/** True when the body is a Kubernetes protobuf envelope. */
export function isKubeProtobuf(body: Buffer): boolean {
  return body.length >= 4 && body.subarray(0, 4).equals(MAGIC);
}

function strings(buf: Buffer | undefined, names: Record<number, string>): Record<string, string> {
  const out: Record<string, string> = {};
  if (!buf) return out;
  const f = fields(buf);
  for (const [num, name] of Object.entries(names)) {
    const v = f.get(Number(num));
    if (v !== undefined) out[name] = v.toString('utf8');
  }
  return out;
}

/** Decodes a protobuf SelfSubjectAccessReview into its JSON shape (spec only). */
export function decodeSelfSubjectAccessReview(body: Buffer): { spec: Record<string, unknown> } {
  const unknown = fields(body.subarray(4));
  const raw = unknown.get(2);
  if (!raw) throw new Error('protobuf envelope without an object');
  const spec = fields(raw).get(2);
  const specFields = spec ? fields(spec) : new Map<number, Buffer>();
  const out: Record<string, unknown> = {};
  if (specFields.has(1)) {
    out.resourceAttributes = strings(specFields.get(1), { 1: 'namespace', 2: 'verb', 3: 'group', 4: 'version', 5: 'resource', 6: 'subresource', 7: 'name' });
  }
  if (specFields.has(2)) out.nonResourceAttributes = strings(specFields.get(2), { 1: 'path', 2: 'verb' });
  return { spec: out };
}
