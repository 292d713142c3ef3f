/**
 * Git's smart HTTP protocol on 127.0.0.1: a small bridge that runs `git http-backend` (CGI) for
 * every request, serving the bare repositories under `projectRoot`. Reads are anonymous, as on a
 * public GitHub repository; pushes need `Authorization: basic x-access-token:<token>`, as with a
 * GitHub token. Every request's Authorization headers are recorded (raw, so duplicates show).
 */

import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedGitRequest {
  method: string;
  path: string;
  service: 'upload-pack' | 'receive-pack';
  /** Every Authorization header the request carried, in order. */
  authorization: string[];
}

export interface GitHttpServer {
  url: string;
  requests: RecordedGitRequest[];
  /** Answer pushes with this status (403: a read-only token), or serve them again (null). */
  refusePushes(status: number | null): void;
  close(): Promise<void>;
}

export async function startGitHttpServer(projectRoot: string, pushToken: string): Promise<GitHttpServer> {
  const requests: RecordedGitRequest[] = [];
  let refusal: number | null = null;
  const expected = `basic ${Buffer.from(`x-access-token:${pushToken}`).toString('base64')}`;

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const service = url.searchParams.get('service') === 'git-receive-pack' || url.pathname.endsWith('/git-receive-pack') ? 'receive-pack' : 'upload-pack';
    const authorization: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'authorization') authorization.push(req.rawHeaders[i + 1]!);
    requests.push({ method: req.method ?? 'GET', path: url.pathname, service, authorization });
    if (service === 'receive-pack') {
      if (authorization.length !== 1 || authorization[0]!.toLowerCase() !== expected.toLowerCase()) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
        res.end('Authentication required\n');
        return;
      }
      if (refusal !== null) {
        res.writeHead(refusal, { 'Content-Type': 'text/plain' });
        res.end('Write access to repository not granted.\n');
        return;
      }
    }
    runBackend(projectRoot, req, url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusePushes: (status) => {
      refusal = status;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      })
  };
}

/** The CGI contract: request line and headers as variables, body on stdin, headers then body on stdout. */
function runBackend(projectRoot: string, req: IncomingMessage, url: URL, res: ServerResponse): void {
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: '127.0.0.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {})
    },
    stdio: ['pipe', 'pipe', 'pipe']
  });
  req.pipe(child.stdin);
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    headersSent = true;
    res.write(head.subarray(end + 4));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('close', (code) => {
    if (!headersSent) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
}
