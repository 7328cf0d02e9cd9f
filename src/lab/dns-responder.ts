/**
 * A small DNS server for the lab, run inside a pod or gateway namespace:
 *   ip netns exec <ns> node dist/lab/dns-responder.js <config.json>
 * As CoreDNS it answers the cluster's names (A records for Services) authoritatively for the
 * cluster domain and forwards everything else to the node's upstream, logging upstream
 * timeouts the way CoreDNS's errors plugin does. As the lab's "external" upstream it answers
 * its own names only. UDP and TCP on the configured address; SIGHUP reloads the config
 * (Services added or removed).
 */
import { createSocket } from 'node:dgram';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** The JSON config file the lab writes for each responder. */
export interface DnsResponderConfig {
  listen: string;
  port: number;
  /** FQDN without trailing dot (lowercase) → IPv4. */
  records: Record<string, string>;
  /** Names under these suffixes that are not in `records` get NXDOMAIN (authoritative). */
  authoritativeZones: string[];
  /** Upstream resolver for everything else (CoreDNS `forward . /etc/resolv.conf`). */
  forward?: string;
  /** Where CoreDNS-style error lines are appended (the pod's container log). */
  logFile?: string;
  /** Written once both UDP and TCP listen (the lab waits for it). */
  readyFile?: string;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

interface Question {
  id: number;
  name: string;
  qtype: number;
  /** Offset just past the question section (the answer is appended there). */
  end: number;
}

/** Parses the header and first question of a query (uncompressed, as stub resolvers send). */
function parseQuestion(msg: Buffer): Question | undefined {
  if (msg.length < 17) return undefined;
  let off = 12;
  const labels: string[] = [];
  while (off < msg.length) {
    const len = msg[off];
    if (len === 0) break;
    if (len > 63 || off + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('ascii'));
    off += 1 + len;
  }
  if (off + 5 > msg.length) return undefined;
  return { id: msg.readUInt16BE(0), name: labels.join('.').toLowerCase(), qtype: msg.readUInt16BE(off + 1), end: off + 5 };
}

/** Builds a response to `q` from the original query bytes: rcode and optional A answer. */
function respond(query: Buffer, q: Question, rcode: number, address?: string): Buffer {
  const head = Buffer.from(query.subarray(0, q.end));
  const rd = head[2] & 0x01;
  head[2] = 0x80 | 0x04 | rd; // QR, AA, copy RD
  head[3] = 0x80 | rcode; // RA
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(address ? 1 : 0, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(0, 10);
  if (!address) return head;
  const answer = Buffer.alloc(16);
  answer.writeUInt16BE(0xc00c, 0); // pointer to the question name
  answer.writeUInt16BE(TYPE_A, 2);
  answer.writeUInt16BE(1, 4);
  answer.writeUInt32BE(30, 6);
  answer.writeUInt16BE(4, 10);
  address.split('.').forEach((o, i) => answer.writeUInt8(Number(o), 12 + i));
  return Buffer.concat([head, answer]);
}

function main(): void {
  const configFile = process.argv[2];
  if (!configFile) {
    process.stderr.write('usage: dns-responder <config.json>\n');
    process.exit(2);
  }
  let config = JSON.parse(readFileSync(configFile, 'utf8')) as DnsResponderConfig;
  process.on('SIGHUP', () => {
    config = JSON.parse(readFileSync(configFile, 'utf8')) as DnsResponderConfig;
  });
  const log = (line: string) => {
    if (config.logFile) appendFileSync(config.logFile, line + '\n');
  };

  /** Resolves one query; forwards when the name is not ours. */
  const answer = (query: Buffer, done: (reply: Buffer) => void) => {
    const q = parseQuestion(query);
    if (!q) return;
    const address = config.records[q.name];
    if (address) return done(respond(query, q, 0, q.qtype === TYPE_A ? address : undefined));
    const ours = config.authoritativeZones.some((z) => q.name === z || q.name.endsWith('.' + z));
    if (ours || !config.forward) return done(respond(query, q, 3));
    const upstream = createSocket('udp4');
    const timer = setTimeout(() => {
      const addr = upstream.address();
      const type = q.qtype === TYPE_AAAA ? 'AAAA' : q.qtype === TYPE_A ? 'A' : String(q.qtype);
      log(`[ERROR] plugin/errors: 2 ${q.name}. ${type}: read udp ${addr.address}:${addr.port}->${config.forward}:53: i/o timeout`);
      upstream.close();
      done(respond(query, q, 2));
    }, 2000);
    upstream.on('message', (reply) => {
      clearTimeout(timer);
      upstream.close();
      done(reply);
    });
    upstream.on('error', () => undefined);
    upstream.bind(0, config.listen, () => upstream.send(query, 53, config.forward!));
  };

  let listening = 0;
  const ready = () => {
    if (++listening === 2 && config.readyFile) writeFileSync(config.readyFile, String(process.pid));
  };
  const udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => answer(msg, (reply) => udp.send(reply, rinfo.port, rinfo.address)));
  udp.bind(config.port, config.listen, ready);

  createServer((conn) => {
    let buf = Buffer.alloc(0);
    conn.on('error', () => undefined);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const query = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + query.length);
        answer(Buffer.from(query), (reply) => {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(reply.length);
          if (!conn.destroyed) conn.write(Buffer.concat([len, reply]));
        });
      }
    });
  }).listen(config.port, config.listen, ready);
}

main();
