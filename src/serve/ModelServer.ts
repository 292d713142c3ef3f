import { createHash, timingSafeEqual } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isError } from '../core/isError.js';
import { ContextOverflowError, GenerationAbortedError, InvalidJsonOutputError, UnsupportedJsonSchemaError } from '../inference/errors.js';
import type { ChatRequest, GenerationResult, TextProvider } from '../inference/TextProvider.js';
import { AdmissionQueue, type QueueState } from './AdmissionQueue.js';
import { logText } from './logText.js';
import {
  chatChunk,
  chatCompletion,
  modelList,
  newCompletionIdentity,
  openAiFinishReason,
  openAiUsage,
  usageChunk,
  type CompletionIdentity
} from './openAiShapes.js';
import { parseChatRequest, type ParsedChatRequest } from './parseChatRequest.js';
import { readJsonBody } from './readJsonBody.js';
import { ServeError } from './ServeError.js';
import { SseWriter } from './SseWriter.js';

/** The model the server answers with, once it is loaded. */
export interface ServedModel {
  provider: TextProvider;
  /** The name clients ask for (`model` in a request, the id in /v1/models). */
  id: string;
}

export interface ModelServerOptions {
  host: string;
  /** 0 = any free port (see `port` of the running server). */
  port: number;
  /** Requests that may wait beyond the model's parallel sequences; more are refused with 429. */
  queueLimit: number;
  /** When set, every /v1 request must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  maxBodyBytes?: number;
  /** How long shutdown lets in-flight answers finish before it aborts them. */
  shutdownGraceMs?: number;
  /** One line per request and per lifecycle event. */
  log: (line: string) => void;
}

export interface RunningModelServer {
  /** `http://host:port`, the address clients use (add `/v1` for the OpenAI API root). */
  readonly url: string;
  readonly port: number;
  /** Queue figures once the model is loaded; undefined before. */
  queueState(): QueueState | undefined;
  /**
   * Stops accepting connections, lets in-flight answers finish for the grace period, aborts the rest, then disposes
   * the model. Safe to call more than once; every call waits for the same shutdown.
   */
  close(): Promise<void>;
}

export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
/** What a client is told to wait while the model loads. */
const LOADING_RETRY_AFTER_S = 5;

type ModelState = { kind: 'loading' } | { kind: 'ready'; model: ServedModel; queue: AdmissionQueue; loadedAt: number } | { kind: 'failed'; message: string };

/**
 * `aqe serve`'s HTTP face: the OpenAI chat-completions API over one loaded provider, its sequences shared by every
 * client through the admission queue. It listens before the model has loaded, so /health can say 503 until it has.
 */
export async function startModelServer(options: ModelServerOptions, model: Promise<ServedModel>): Promise<RunningModelServer> {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const expectedKey = options.apiKey ? digest(options.apiKey) : undefined;
  let state: ModelState = { kind: 'loading' };
  let stopping = false;
  /** Aborts an in-flight request's generation; a request is in flight from admission to its last byte. */
  const inFlight = new Map<Promise<void>, AbortController>();

  const loaded = model.then(
    (served) => {
      const info = served.provider.info();
      state = { kind: 'ready', model: served, queue: new AdmissionQueue(info.parallelSequences, options.queueLimit), loadedAt: Math.floor(Date.now() / 1000) };
      options.log(
        `Model ${logText(served.id)} loaded: ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens, queue of ${options.queueLimit}.`
      );
      return served;
    },
    (error: unknown) => {
      state = { kind: 'failed', message: isError(error) ? error.message : String(error) };
      return undefined;
    }
  );

  const server = http.createServer((req, res) => {
    const startedAt = Date.now();
    const controller = new AbortController();
    // The client went away before its answer was complete: its generation stops and frees the sequence.
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new GenerationAbortedError('The client closed the connection before the answer was complete.'));
    });
    const handled = handle(req, res, controller.signal)
      .catch((error: unknown) => sendError(res, toServeError(error)))
      .finally(() => {
        inFlight.delete(handled);
        // Probes ask every few seconds; their answers would bury the requests in the log.
        if ((req.url ?? '').startsWith('/health')) return;
        options.log(
          `${req.method ?? '?'} ${logText(req.url ?? '')} ${res.statusCode}${res.writableFinished ? '' : ' (client gone)'} ${Date.now() - startedAt} ms`
        );
      });
    inFlight.set(handled, controller);
  });
  // Generations can take minutes: node's default 5-minute request timeout would cut long answers off.
  server.requestTimeout = 0;

  async function handle(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const route = (req.url ?? '/').split('?')[0]!;
    if (route === '/health') return allow(req, ['GET', 'HEAD'], () => sendHealth(res));
    if (route === '/v1/models') return allow(req, ['GET'], () => authorized(req, () => sendModels(res)));
    if (route === '/v1/chat/completions') return allow(req, ['POST'], () => authorized(req, () => answerChat(req, res, signal)));
    throw new ServeError(
      404,
      'not_found_error',
      'not_found',
      `There is no ${route.slice(0, 100)} here. aqe serve answers POST /v1/chat/completions, GET /v1/models and GET /health.`
    );
  }

  async function allow(req: IncomingMessage, methods: readonly string[], then: () => Promise<void> | void): Promise<void> {
    if (!methods.includes(req.method ?? '')) {
      throw new ServeError(405, 'invalid_request_error', 'method_not_allowed', `This path answers ${methods.join(' and ')} only.`, {
        headers: { allow: methods.join(', ') }
      });
    }
    await then();
  }

  async function authorized(req: IncomingMessage, then: () => Promise<void> | void): Promise<void> {
    if (expectedKey) {
      const given = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      // Digests of equal length, compared in constant time: the key cannot be guessed a character at a time.
      if (given === undefined || !timingSafeEqual(digest(given), expectedKey)) {
        throw new ServeError(
          401,
          'authentication_error',
          'invalid_api_key',
          given === undefined
            ? 'This server needs an API key: send it as "Authorization: Bearer <key>" (the router reads it from AQE_SHARED_SERVER_API_KEY).'
            : 'The API key is not the one this server was started with (AQE_SERVE_API_KEY). Send the right key.'
        );
      }
    }
    await then();
  }

  function ready(): Extract<ModelState, { kind: 'ready' }> {
    if (stopping)
      throw new ServeError(503, 'server_error', 'shutting_down', 'The server is shutting down. Send the request to another server, or retry once it is back.');
    if (state.kind === 'ready') return state;
    if (state.kind === 'failed') throw new ServeError(503, 'server_error', 'model_failed', `The model could not be loaded: ${state.message}`);
    throw new ServeError(503, 'server_error', 'model_loading', 'The model is still loading. Retry shortly (GET /health says 200 once it is ready).', {
      headers: { 'retry-after': String(LOADING_RETRY_AFTER_S) }
    });
  }

  function sendHealth(res: ServerResponse): void {
    const body =
      state.kind === 'ready'
        ? { status: stopping ? 'stopping' : 'ok', model: state.model.id, queue: state.queue.state() }
        : { status: state.kind, model: null, queue: null, ...(state.kind === 'failed' ? { error: state.message } : {}) };
    sendJson(res, state.kind === 'ready' && !stopping ? 200 : 503, body);
  }

  function sendModels(res: ServerResponse): void {
    const { model, loadedAt } = ready();
    sendJson(res, 200, modelList(model.id, loadedAt));
  }

  async function answerChat(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const { model, queue } = ready();
    const parsed = parseChatRequest(await readJsonBody(req, maxBodyBytes));
    if (parsed.model !== model.id) {
      throw new ServeError(
        404,
        'not_found_error',
        'model_not_found',
        `This server serves the model "${model.id}", not the one asked for. Ask for "${model.id}" (GET /v1/models lists it).`,
        {
          param: 'model'
        }
      );
    }
    const request = fitToContext(parsed, model.provider);
    const admitted = queue.tryEnter(signal);
    if (!admitted) {
      const seconds = queue.retryAfterSeconds();
      const { slots, queueLimit } = queue.state();
      throw new ServeError(
        429,
        'rate_limit_error',
        'queue_full',
        `All ${slots} sequence(s) are busy and ${queueLimit} request(s) already wait. Retry after ${seconds} s, or start the server with a longer --queue.`,
        { headers: { 'retry-after': String(seconds) } }
      );
    }
    let admission;
    try {
      admission = await admitted;
    } catch {
      return; // the client left while queued: nobody to answer
    }
    try {
      // How long the answer waited for a sequence: what a client (or a test) reads to see the queue at work.
      res.setHeader('x-aqe-queue-ms', String(admission.waitedMs));
      const identity = newCompletionIdentity(model.id);
      if (parsed.stream) await streamChat(res, model.provider, { ...request, signal }, identity, parsed.includeUsage);
      else sendJson(res, 200, await wholeChat(model.provider, { ...request, signal }, identity));
    } finally {
      admission.release();
    }
  }

  async function shutdown(): Promise<void> {
    stopping = true;
    options.log('Shutting down: no new requests; in-flight answers may finish.');
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const grace = options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    const pending = [...inFlight.keys()];
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), grace)));
    const outcome = await Promise.race([Promise.all(pending).then(() => 'done' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      options.log(`${inFlight.size} answer(s) still running after ${grace} ms: aborting them.`);
      for (const controller of inFlight.values()) controller.abort(new GenerationAbortedError('The server is shutting down.'));
      await Promise.all([...inFlight.keys()]);
    }
    server.closeAllConnections();
    await stopped;
    const served = await loaded;
    await served?.provider.dispose();
    options.log('Stopped; the model is unloaded.');
  }
  let closing: Promise<void> | undefined;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    queueState: () => (state.kind === 'ready' ? state.queue.state() : undefined),
    close: () => (closing ??= shutdown())
  };
}

/**
 * The request with its maxTokens: what the client asked, or else the rest of the sequence's context. A prompt that
 * leaves no room is refused with OpenAI's context_length_exceeded before it takes a place in the queue.
 */
function fitToContext(parsed: ParsedChatRequest, provider: TextProvider): ChatRequest {
  const { contextSize } = provider.info();
  const promptTokens = provider.countPromptTokens({ ...parsed.request, maxTokens: 1 });
  const maxTokens = parsed.request.maxTokens ?? contextSize - promptTokens;
  if (maxTokens < 1 || promptTokens + maxTokens > contextSize) {
    throw new ServeError(
      400,
      'invalid_request_error',
      'context_length_exceeded',
      `The messages take ${promptTokens} tokens and up to ${Math.max(maxTokens, 0)} may be generated, more than the ${contextSize} tokens of one sequence. Shorten the messages or lower max_tokens (or start the server with a larger --context-size).`,
      { param: 'messages' }
    );
  }
  return { ...parsed.request, maxTokens };
}

/** The whole answer as one chat.completion. */
async function wholeChat(provider: TextProvider, request: ChatRequest, identity: CompletionIdentity): Promise<Record<string, unknown>> {
  const answer = await answerOrCut(() => provider.chat(request), provider);
  return chatCompletion(identity, answer.text, openAiFinishReason(answer), openAiUsage(answer.usage));
}

/** The answer as chat.completion.chunk events, each piece of text as the model writes it. */
async function streamChat(
  res: ServerResponse,
  provider: TextProvider,
  request: ChatRequest,
  identity: CompletionIdentity,
  includeUsage: boolean
): Promise<void> {
  const sse = new SseWriter(res);
  const stream = provider.stream(request);
  const sendText = (text: string): void => {
    // OpenAI's first chunk carries the role; the text follows in later ones.
    if (!sse.started) sse.send(chatChunk(identity, { role: 'assistant', content: '' }, null));
    sse.send(chatChunk(identity, { content: text }, null));
  };
  try {
    for await (const piece of stream) sendText(piece);
    const answer = await answerOrCut(() => stream.result, provider);
    if (answer.finishReason === 'abort') return; // the client is gone
    if (!sse.started) sse.send(chatChunk(identity, { role: 'assistant', content: '' }, null));
    sse.send(chatChunk(identity, {}, openAiFinishReason(answer)));
    if (includeUsage) sse.send(usageChunk(identity, openAiUsage(answer.usage)));
    sse.done();
  } catch (error) {
    const served = toServeError(error);
    if (!sse.started) throw served;
    sse.fail(served.body());
  }
}

/**
 * A JSON-schema answer cut at max_tokens is not complete JSON, and the provider rejects it; OpenAI answers it as
 * text with finish_reason "length", which tells the client to allow more tokens, so that is what it gets here too.
 */
async function answerOrCut(answer: () => Promise<GenerationResult>, provider: TextProvider): Promise<GenerationResult> {
  try {
    return await answer();
  } catch (error) {
    if (!(error instanceof InvalidJsonOutputError)) throw error;
    const info = provider.info();
    return {
      text: error.text,
      provider: info.provider,
      model: info.model,
      finishReason: 'length',
      usage: { promptTokens: 0, completionTokens: provider.countTokens(error.text) },
      timings: { queuedMs: 0, firstTokenMs: 0, generationMs: 0, tokensPerSecond: 0 }
    };
  }
}

/** The client's fault as a 4xx, anything else as a 500 whose message says what failed. */
function toServeError(error: unknown): ServeError {
  if (error instanceof ServeError) return error;
  if (error instanceof ContextOverflowError) {
    return new ServeError(400, 'invalid_request_error', 'context_length_exceeded', error.message, { param: 'messages' });
  }
  if (error instanceof UnsupportedJsonSchemaError) {
    return new ServeError(400, 'invalid_request_error', 'unsupported_json_schema', error.message, { param: 'response_format' });
  }
  const message = isError(error) ? error.message : String(error);
  return new ServeError(500, 'server_error', 'generation_failed', `The model failed to answer: ${message}`);
}

function sendError(res: ServerResponse, error: ServeError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A body refused part-way is still arriving: the connection closes after the answer instead of reading it all.
  const unread = !res.req.complete;
  sendJson(res, error.status, error.body(), { ...error.options.headers, ...(unread ? { connection: 'close' } : {}) });
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
