/**
 * The lab's echo Service backend, run inside a pod namespace:
 *   ip netns exec <ns> node dist/lab/echo-server.js <listen-ip> <port> <pod-name> [ready-file]
 * A tiny HTTP server: `GET /` answers with the pod name and the client address it saw (so a
 * test can tell which endpoint a ClusterIP picked and whether the source was masqueraded);
 * `GET /bytes/<n>` sends n bytes, for transfers larger than one packet (MTU problems).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [listen, portText, podName, readyFile] = process.argv.slice(2);
if (!listen || !portText || !podName) {
  process.stderr.write('usage: echo-server <listen-ip> <port> <pod-name>\n');
  process.exit(2);
}

createServer((req, res) => {
  const bytes = /^\/bytes\/(\d+)$/.exec(req.url ?? '');
  if (bytes) {
    const n = Math.min(Number(bytes[1]), 16 * 1024 * 1024);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(n) });
    res.end(Buffer.alloc(n, 0x61));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hostname: ${podName}\nclient: ${req.socket.remoteAddress}:${req.socket.remotePort}\n`);
}).listen(Number(portText), listen, () => {
  if (readyFile) writeFileSync(readyFile, String(process.pid));
});
