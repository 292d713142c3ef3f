import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The Anthropic Messages API on 127.0.0.1 for provider tests: answers POST /v1/messages as JSON or, when the body asks
 * for `stream: true`, as server-sent events in the API's event order (message_start, content_block_start, ping,
 * content_block_delta…, content_block_stop, message_delta, message_stop), and POST /v1/messages/count_tokens. Replies
 * to /v1/messages are scripted one per request; every request is recorded with its headers and parsed body.
 */
export interface RecordedAnthropicRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (the raw text when it is not JSON). */
  body: unknown;
  /** When the request arrived (performance.now()), to measure the client's retry delays. */
  receivedAt: number;
}

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number | null;
  cache_read_input_tokens: number | null;
}

export type AnthropicReply =
  /** A message; `text` as several pieces streams one content_block_delta per piece. */
  | {
      kind: 'message';
      text: string | readonly string[];
      stopReason?: 'end_turn' | 'max_tokens' | 'stop_sequence';
      stopSequence?: string;
      usage?: Partial<FakeUsage>;
      /** Between streamed pieces. */
      chunkDelayMs?: number;
      /** Streaming only: after this many pieces the server sends nothing more and keeps the connection open. */
      stallAfterChunks?: number;
    }
  /** An error in the API's format: `{ type: 'error', error: { type, message } }`. */
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** Reads the request and never answers. */
  | { kind: 'hang' }
  /** Anything at all, e.g. a body that is not JSON. */
  | { kind: 'raw'; status: number; headers: Record<string, string>; body: string };

export interface FakeAnthropicApi {
  /** The base URL to give the SDK (no trailing /v1: the SDK adds it). */
  url: string;
  requests: RecordedAnthropicRequest[];
  /** Requests to /v1/messages only (not count_tokens). */
  messageRequests(): RecordedAnthropicRequest[];
  /** Queues replies for the next /v1/messages requests, in order. */
  reply(...replies: AnthropicReply[]): void;
  close(): Promise<void>;
}

export interface FakeAnthropicOptions {
  /** When set, requests must carry it (Authorization: Bearer or x-api-key), else 401 authentication_error. */
  apiKey?: string;
  /**
   * Answers a /v1/messages request when no queued reply is left (queued replies go first), e.g. by what the prompt
   * holds, for tests whose requests arrive in no fixed order. Without it an unscripted request gets a 500.
   */
  respond?: (request: RecordedAnthropicRequest) => AnthropicReply;
}

/**
 * The fake's token count: one token per 4 characters of every text the request holds (system and messages). Not
 * Claude's tokenizer, but a figure the server computes from what was actually sent, so a test can check it arrived.
 */
export function fakeTokenCount(body: unknown): number {
  return Math.ceil(textsOf(body).join('').length / 4);
}

export async function startFakeAnthropicApi(options: FakeAnthropicOptions = {}): Promise<FakeAnthropicApi> {
  const requests: RecordedAnthropicRequest[] = [];
  const queue: AnthropicReply[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedAnthropicRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: parseJson(raw),
        receivedAt: performance.now()
      };
      requests.push(recorded);
      answer(recorded, res);
    });
  });

  function answer(request: RecordedAnthropicRequest, res: http.ServerResponse): void {
    const path = request.path.split('?')[0];
    if (request.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens')) {
      sendError(res, { kind: 'error', status: 404, type: 'not_found_error', message: `No route ${request.method} ${path}` });
      return;
    }
    if (options.apiKey !== undefined) {
      const presented = presentedKey(request.headers);
      if (presented !== options.apiKey) {
        // Echoes what it got, as a careless proxy might: the client must keep that out of its errors.
        sendError(res, { kind: 'error', status: 401, type: 'authentication_error', message: `invalid x-api-key: ${presented ?? '(none)'}` });
        return;
      }
    }
    if (path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: fakeTokenCount(request.body) });
      return;
    }
    const reply = queue.shift() ?? options.respond?.(request);
    if (!reply) {
      sendError(res, { kind: 'error', status: 500, type: 'api_error', message: 'The fake has no scripted reply for this request.' });
      return;
    }
    switch (reply.kind) {
      case 'error':
        sendError(res, reply);
        return;
      case 'hang':
        return;
      case 'raw':
        res.writeHead(reply.status, reply.headers).end(reply.body);
        return;
      case 'message':
        if ((request.body as { stream?: unknown } | null)?.stream === true) streamMessage(request, reply, res);
        else sendJson(res, 200, messageBody(request, reply, pieces(reply).join('')));
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messageRequests: () => requests.filter((r) => r.path.split('?')[0] === '/v1/messages'),
    reply: (...replies) => queue.push(...replies),
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging and stalled replies hold their sockets open; close() would wait for them forever.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      })
  };
}

function streamMessage(request: RecordedAnthropicRequest, reply: Extract<AnthropicReply, { kind: 'message' }>, res: http.ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (event: string, data: unknown): void => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const whole = messageBody(request, reply, '');
  send('message_start', {
    type: 'message_start',
    message: { ...whole, stop_reason: null, stop_sequence: null, usage: { ...whole.usage, output_tokens: 1 } }
  });
  send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
  send('ping', { type: 'ping' });
  const parts = pieces(reply);
  let sent = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (reply.stallAfterChunks !== undefined && sent >= reply.stallAfterChunks) return;
    if (sent < parts.length) {
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: parts[sent] } });
      sent += 1;
      setTimeout(next, reply.chunkDelayMs ?? 0);
      return;
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: whole.stop_reason, stop_sequence: whole.stop_sequence },
      usage: { output_tokens: whole.usage.output_tokens }
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  };
  next();
}

function messageBody(request: RecordedAnthropicRequest, reply: Extract<AnthropicReply, { kind: 'message' }>, text: string) {
  const usage: FakeUsage = {
    input_tokens: fakeTokenCount(request.body),
    output_tokens: pieces(reply).length,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    ...reply.usage
  };
  return {
    id: `msg_fake_${Math.random().toString(36).slice(2, 10)}`,
    type: 'message' as const,
    role: 'assistant' as const,
    model: (request.body as { model?: unknown } | null)?.model ?? 'unknown',
    content: [{ type: 'text' as const, text }],
    stop_reason: reply.stopReason ?? 'end_turn',
    stop_sequence: reply.stopSequence ?? null,
    usage
  };
}

function sendError(res: http.ServerResponse, reply: Extract<AnthropicReply, { kind: 'error' }>): void {
  sendJson(res, reply.status, { type: 'error', error: { type: reply.type, message: reply.message } }, reply.headers);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'request-id': 'req_fake', ...headers }).end(body);
}

function pieces(reply: Extract<AnthropicReply, { kind: 'message' }>): readonly string[] {
  return typeof reply.text === 'string' ? [reply.text] : reply.text;
}

function presentedKey(headers: http.IncomingHttpHeaders): string | undefined {
  const bearer = headers.authorization?.match(/^Bearer (.*)$/)?.[1];
  const header = headers['x-api-key'];
  return bearer ?? (typeof header === 'string' ? header : undefined);
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Every text of a request body: the system prompt (string or blocks) and each message's content. */
function textsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const { system, messages } = body as { system?: unknown; messages?: unknown };
  const texts = blockTexts(system);
  if (Array.isArray(messages)) for (const message of messages) texts.push(...blockTexts((message as { content?: unknown }).content));
  return texts;
}

function blockTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.map((block) => (block as { text?: unknown }).text).filter((text): text is string => typeof text === 'string');
}
