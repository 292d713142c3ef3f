import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An OpenAI-compatible server on 127.0.0.1 (what llama-server, vLLM and Ollama expose): `/v1/chat/completions`,
 * `/v1/completions` and `/v1/embeddings`, as JSON or as server-sent events ending in `data: [DONE]`, with a usage
 * chunk when the request asks for it. Unscripted requests get an answer derived from what was sent (the user message
 * echoed back, usage counted from it), so a test sees that its request arrived intact. Faults are scripted per path,
 * one reply per request in order. Every request is recorded.
 */
export interface RecordedOpenAiRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body (undefined when it was not JSON). */
  body: Record<string, unknown> | undefined;
  /** When the request arrived (Date.now()), for measuring the gap between retries. */
  at: number;
}

export type OpenAiReply =
  /** The answer the server would give, in JSON or SSE as the request asks. */
  | { kind: 'answer'; text?: string; finishReason?: string; usage?: Usage }
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: unknown }
  /** 200 with a body that is not JSON, though the content type says it is. */
  | { kind: 'malformed'; body?: string }
  /** Headers and body never come; the socket stays open until the client gives up. */
  | { kind: 'hang' }
  /** A stream that sends `chunks` pieces of the answer, then goes silent without finishing. */
  | { kind: 'stall'; text: string; chunks: number };

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number };
}

export interface FakeOpenAiServerOptions {
  /** Requests must carry `Authorization: Bearer <key>`; others get a 401 whose message quotes the key they sent. */
  apiKey?: string;
  /** Models the server serves; others get a 404 like vLLM's. All are served when absent. */
  models?: readonly string[];
  /** Pause between two SSE chunks, so a test can abort or measure mid-stream. */
  chunkDelayMs?: number;
  /** Cached prompt tokens to report in usage (prompt_tokens_details.cached_tokens). */
  cachedTokens?: number;
}

export interface FakeOpenAiServer {
  /** The server's address, without `/v1` (as llama-server prints it). */
  url: string;
  requests: RecordedOpenAiRequest[];
  /** Queues replies for the next requests to `path` (e.g. `/v1/chat/completions`), one each, then the default answer. */
  script(path: string, ...replies: OpenAiReply[]): void;
  close(): Promise<void>;
}

export async function startFakeOpenAiServer(options: FakeOpenAiServerOptions = {}): Promise<FakeOpenAiServer> {
  const scripts = new Map<string, OpenAiReply[]>();
  const requests: RecordedOpenAiRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const body = parseBody(Buffer.concat(chunks).toString('utf8'));
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() });
      const scripted = scripts.get(path)?.shift();
      respond(req, res, path, body, scripted ?? { kind: 'answer' }, options);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (path, ...replies) => scripts.set(path, [...(scripts.get(path) ?? []), ...replies]),
    close: () =>
      new Promise<void>((resolve, reject) => {
        // Hanging and stalled replies hold their sockets open; close() alone would wait for them forever.
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      })
  };
}

function respond(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
  body: Record<string, unknown> | undefined,
  reply: OpenAiReply,
  options: FakeOpenAiServerOptions
): void {
  const json = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
  };
  if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
    // Like OpenAI's own 401, the message quotes the key sent: the client must keep it out of its errors.
    json(401, {
      error: { message: `Incorrect API key provided: ${req.headers.authorization ?? '(none)'}`, type: 'invalid_request_error', code: 'invalid_api_key' }
    });
    return;
  }
  const model = typeof body?.model === 'string' ? body.model : '';
  if (options.models && path !== '/v1/models' && !options.models.includes(model)) {
    json(404, { error: { message: `The model \`${model}\` does not exist.`, type: 'NotFoundError', code: 404 } });
    return;
  }
  switch (reply.kind) {
    case 'status':
      if (reply.body === undefined) res.writeHead(reply.status, reply.headers).end();
      else json(reply.status, reply.body, reply.headers);
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply.body ?? '{"choices": [{"message": {"content": "cut');
      return;
    case 'hang':
      return;
    case 'stall':
      writeStream(res, path, model, reply.text, { finishReason: undefined, usage: undefined, stallAfter: reply.chunks, chunkDelayMs: options.chunkDelayMs });
      return;
    case 'answer':
      break;
  }
  if (path === '/v1/embeddings') {
    const input = Array.isArray(body?.input) ? (body.input as unknown[]).map(asText) : [asText(body?.input)];
    json(200, {
      object: 'list',
      model,
      data: input.map((text, index) => ({ object: 'embedding', index, embedding: embeddingOf(text) })),
      usage: { prompt_tokens: input.reduce((n, t) => n + wordCount(t), 0), total_tokens: input.reduce((n, t) => n + wordCount(t), 0) }
    });
    return;
  }
  if (path !== '/v1/chat/completions' && path !== '/v1/completions') {
    json(404, { error: { message: `No route for ${path}` } });
    return;
  }
  const prompt = promptOf(path, body);
  const text = reply.text ?? `echo: ${prompt}`;
  const usage = reply.usage ?? usageOf(prompt, text, options.cachedTokens);
  const finishReason = reply.finishReason ?? 'stop';
  if (body?.stream === true) {
    const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
    writeStream(res, path, model, text, { finishReason, usage: includeUsage ? usage : undefined, chunkDelayMs: options.chunkDelayMs });
    return;
  }
  const choice =
    path === '/v1/chat/completions'
      ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason }
      : { index: 0, text, finish_reason: finishReason };
  json(200, { id: 'cmpl-fake', object: path === '/v1/chat/completions' ? 'chat.completion' : 'text_completion', created: 0, model, choices: [choice], usage });
}

/** SSE as the OpenAI API streams it: one chunk per word, the finish reason, the usage chunk, then `[DONE]`. */
function writeStream(
  res: http.ServerResponse,
  path: string,
  model: string,
  text: string,
  plan: { finishReason: string | undefined; usage: Usage | undefined; stallAfter?: number; chunkDelayMs?: number }
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const chat = path === '/v1/chat/completions';
  const piece = (content: string, finish: string | null): unknown => ({
    id: 'cmpl-fake',
    object: chat ? 'chat.completion.chunk' : 'text_completion',
    created: 0,
    model,
    choices: [chat ? { index: 0, delta: content === '' ? {} : { content }, finish_reason: finish } : { index: 0, text: content, finish_reason: finish }]
  });
  const events: unknown[] = text.split(/(?<= )/).map((word) => piece(word, null));
  if (plan.stallAfter !== undefined) events.splice(plan.stallAfter);
  else {
    events.push(piece('', plan.finishReason ?? 'stop'));
    if (plan.usage)
      events.push({ id: 'cmpl-fake', object: chat ? 'chat.completion.chunk' : 'text_completion', created: 0, model, choices: [], usage: plan.usage });
  }
  let next = 0;
  const send = (): void => {
    if (res.destroyed) return;
    if (next < events.length) {
      res.write(`data: ${JSON.stringify(events[next++])}\n\n`);
      setTimeout(send, plan.chunkDelayMs ?? 0);
    } else if (plan.stallAfter === undefined) {
      res.end('data: [DONE]\n\n');
    }
  };
  send();
}

function promptOf(path: string, body: Record<string, unknown> | undefined): string {
  if (path === '/v1/completions') return asText(body?.prompt);
  const messages = Array.isArray(body?.messages) ? (body.messages as Array<{ role?: unknown; content?: unknown }>) : [];
  return asText(messages.filter((m) => m.role === 'user').at(-1)?.content);
}

function usageOf(prompt: string, text: string, cachedTokens: number | undefined): Usage {
  const usage: Usage = { prompt_tokens: wordCount(prompt), completion_tokens: wordCount(text), total_tokens: wordCount(prompt) + wordCount(text) };
  if (cachedTokens !== undefined) usage.prompt_tokens_details = { cached_tokens: cachedTokens };
  return usage;
}

/** A request field as text: strings as they are, anything else as its JSON. */
function asText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length;
}

/** A vector that differs for different texts: length, words, and the first character's code. */
function embeddingOf(text: string): number[] {
  return [text.length, wordCount(text), text.charCodeAt(0) || 0];
}

function parseBody(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
