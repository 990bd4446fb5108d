/**
 * The trivial server of `npm run bench:load`: answers `{}` at once to every request, on 127.0.0.1.
 * Run by the benchmark with child_process.fork, so client and server have an event loop each, as in
 * a drill. It tells its parent the port over IPC, and exits when the parent goes (IPC disconnect),
 * on SIGTERM, or after BENCH_LOAD_SERVER_MAX_S seconds (default 900) whatever happens.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

const body = Buffer.from('{}');
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 30_000;
server.headersTimeout = 31_000;

const bye = () => {
  server.closeAllConnections();
  server.close();
  process.exit(0);
};
process.on('disconnect', bye);
process.on('SIGTERM', bye);
const maxS = Number(process.env.BENCH_LOAD_SERVER_MAX_S);
setTimeout(bye, (Number.isFinite(maxS) && maxS > 0 ? maxS : 900) * 1000).unref();

server.listen({ host: '127.0.0.1', port: 0, backlog: 2048 }, () => {
  const { port } = server.address() as AddressInfo;
  if (process.send) process.send({ port });
  else process.stdout.write(`listening on http://127.0.0.1:${port}\n`);
});
