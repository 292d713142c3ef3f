import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A model host on 127.0.0.1 for download tests: serves files with Range support (206, 416,
 * If-Range), can cut a transfer mid-body, fail with a status, ignore Range, and answer the
 * Hugging Face listing API. Every request is recorded.
 */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
}

export type Behaviour =
  | { kind: 'file'; body: Buffer; ignoreRange?: boolean }
  /** The first `times` requests send the headers of the whole file, then only `cutAt` bytes of body, then drop the connection. */
  | { kind: 'cut'; body: Buffer; cutAt: number; times?: number }
  /** The first `times` requests answer `status`; later ones serve the file. */
  | { kind: 'status'; status: number; times?: number; body?: Buffer }
  | { kind: 'json'; value: unknown; status?: number };

export interface FakeModelServer {
  url: string;
  requests: RecordedRequest[];
  route(path: string, behaviour: Behaviour): void;
  close(): Promise<void>;
}

export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
}

export async function startFakeModelServer(): Promise<FakeModelServer> {
  const routes = new Map<string, Behaviour>();
  const hits = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const pathOnly = (req.url ?? '/').split('?')[0]!;
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers });
    const behaviour = routes.get(pathOnly) ?? routes.get(req.url ?? '/');
    const hit = (hits.get(pathOnly) ?? 0) + 1;
    hits.set(pathOnly, hit);
    if (!behaviour) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Entry not found');
      return;
    }
    switch (behaviour.kind) {
      case 'json':
        res.writeHead(behaviour.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(behaviour.value));
        return;
      case 'status':
        if (hit <= (behaviour.times ?? Infinity) || !behaviour.body) {
          res.writeHead(behaviour.status, { 'content-type': 'text/plain' }).end(`status ${behaviour.status}`);
          return;
        }
        serveFile(req, res, behaviour.body, false);
        return;
      case 'cut':
        if (hit <= (behaviour.times ?? 1)) {
          res.writeHead(200, { 'content-length': behaviour.body.length, etag: etagOf(behaviour.body), 'accept-ranges': 'bytes' });
          // The cut comes a moment after the bytes are flushed, so the client has read them first: a cut
          // racing the data could reach the client before any byte and make the test about a restart instead.
          res.write(behaviour.body.subarray(0, behaviour.cutAt), () => setTimeout(() => res.socket?.destroy(), 250));
          return;
        }
        serveFile(req, res, behaviour.body, false);
        return;
      case 'file':
        serveFile(req, res, behaviour.body, behaviour.ignoreRange ?? false);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    route: (path, behaviour) => {
      routes.set(path, behaviour);
      hits.delete(path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

function serveFile(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, ignoreRange: boolean): void {
  const etag = etagOf(body);
  const range = req.headers.range?.match(/^bytes=(\d+)-$/);
  const ifRange = req.headers['if-range'];
  if (range && !ignoreRange && (ifRange === undefined || ifRange === etag)) {
    const start = Number(range[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}`, etag });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, { 'content-length': body.length, etag, 'accept-ranges': 'bytes' });
  res.end(body);
}
