import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { isError } from '../../core/isError.js';
import { CLOUD_INPUTS } from './cloudInputs.js';
import { CloudProviderError } from './CloudProviderError.js';

/** What a message about a failed request to an OpenAI-compatible server needs to know, the key only to redact it. */
export interface SharedServerContext {
  /** The endpoint without credentials, for messages. */
  endpoint: string;
  model: string;
  /** The API path the request went to, e.g. `/chat/completions`. */
  operation: string;
  apiKey: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

/** Longest piece of a server's own error text quoted in a message: enough to read the reason, not a whole HTML page. */
const QUOTED_TEXT_MAX = 300;

/**
 * Turns an error of the openai SDK (or of reading its answer) into a CloudProviderError whose message names the input
 * to fix. Server text is quoted as JSON (it is data) with the key cut out; the SDK's HTTP errors are not kept as
 * `cause` because their bodies and headers are the server's and might echo the key.
 */
export function sharedServerError(error: unknown, context: SharedServerContext): CloudProviderError {
  const where = `the shared server at ${context.endpoint} (shared-server-url)`;
  const retries = context.maxRetries === 0 ? '' : ` (tried ${context.maxRetries + 1} times)`;
  if (error instanceof CloudProviderError) return error;
  if (error instanceof APIConnectionTimeoutError) {
    return new CloudProviderError(
      `${capitalise(where)} did not answer ${context.operation} within ${context.timeoutMs} ms${retries}. Check that the server is up and not overloaded, or allow it more time.`,
      { kind: 'timeout', retryable: true, input: CLOUD_INPUTS.sharedServerUrl }
    );
  }
  if (error instanceof APIConnectionError) {
    const code = connectionCode(error);
    return new CloudProviderError(
      `Cannot connect to ${where}${code ? ` (${code})` : ''}${retries}. Check shared-server-url (scheme, host and port) and that the server is running and reachable from this runner.`,
      { kind: 'unreachable', retryable: true, input: CLOUD_INPUTS.sharedServerUrl, cause: error.cause ?? error }
    );
  }
  if (error instanceof APIError) {
    // instanceof widens the generics to any; the defaults are what the SDK throws.
    const apiError = error as APIError;
    if (apiError.status !== undefined) return statusError(apiError.status, apiError, context, where, retries);
    // An error event inside an SSE stream: the server failed after it had started answering.
    return new CloudProviderError(`${capitalise(where)} reported an error while streaming ${context.operation}: ${quote(serverText(apiError), context)}.`, {
      kind: 'server',
      retryable: true
    });
  }
  if (error instanceof SyntaxError) {
    return new CloudProviderError(
      `${capitalise(where)} answered ${context.operation} with a body that is not valid JSON (${error.message}). Check that shared-server-url points at an OpenAI-compatible API (llama-server, vLLM, Ollama), not at another web page.`,
      { kind: 'malformed', retryable: false, input: CLOUD_INPUTS.sharedServerUrl }
    );
  }
  const message = isError(error) ? error.message : String(error);
  return new CloudProviderError(`The request to ${where} failed: ${quote(message, context)}.`, { kind: 'server', retryable: false });
}

function statusError(status: number, error: APIError, context: SharedServerContext, where: string, retries: string): CloudProviderError {
  const said = serverText(error);
  const reason = said ? `: ${quote(said, context)}` : '';
  if (status === 401 || status === 403) {
    // The server's own text is left out: some servers quote part of the rejected key in it.
    const fix =
      context.apiKey === undefined
        ? 'The server requires an API key: set shared-server-api-key.'
        : status === 401
          ? 'The key in shared-server-api-key was rejected: check that it is the key this server expects.'
          : 'The key in shared-server-api-key is not allowed to use this model or endpoint: use a key with access, or another shared-server-model.';
    return new CloudProviderError(`${capitalise(where)} refused ${context.operation} with HTTP ${status}. ${fix}`, {
      kind: 'auth',
      status,
      retryable: false,
      input: CLOUD_INPUTS.sharedServerApiKey
    });
  }
  if (status === 404) {
    return new CloudProviderError(
      `${capitalise(where)} answered HTTP 404 for ${context.operation} with model ${JSON.stringify(context.model)}${reason}. Check shared-server-model (it must be a model the server serves: see its /v1/models) and that shared-server-url is the server's address.`,
      { kind: 'bad-request', status, retryable: false, input: CLOUD_INPUTS.sharedServerModel }
    );
  }
  if (status === 429) {
    return new CloudProviderError(`${capitalise(where)} is rate-limiting requests (HTTP 429)${retries}${reason}. Lower the concurrency or try again later.`, {
      kind: 'rate-limit',
      status,
      retryable: true
    });
  }
  if (status === 408) {
    return new CloudProviderError(`${capitalise(where)} timed out the request (HTTP 408)${retries}. Check the server's load, or allow it more time.`, {
      kind: 'timeout',
      status,
      retryable: true,
      input: CLOUD_INPUTS.sharedServerUrl
    });
  }
  if (status === 503 || status === 529) {
    return new CloudProviderError(`${capitalise(where)} is overloaded or still loading the model (HTTP ${status})${retries}${reason}. Try again later.`, {
      kind: 'overloaded',
      status,
      retryable: true
    });
  }
  if (status >= 500) {
    return new CloudProviderError(`${capitalise(where)} failed with HTTP ${status}${retries}${reason}. Check the server's log.`, {
      kind: 'server',
      status,
      retryable: true
    });
  }
  return new CloudProviderError(
    `${capitalise(where)} rejected ${context.operation} for model ${JSON.stringify(context.model)} with HTTP ${status}${reason}. Check shared-server-model and the request's size against the server's context.`,
    { kind: 'bad-request', status, retryable: false, input: CLOUD_INPUTS.sharedServerModel }
  );
}

/** The server's own explanation: `error.message` of an OpenAI-style error body, else the SDK's summary of it. */
function serverText(error: APIError): string {
  const body = error.error as { message?: unknown } | undefined;
  if (body && typeof body.message === 'string') return body.message;
  return error.message.replace(/^\d{3}\s*/, '');
}

/** Data from the server, as a JSON string: no newlines or control characters reach the log, and never the key. */
function quote(text: string, context: SharedServerContext): string {
  let safe = context.apiKey ? text.split(context.apiKey).join('[shared-server-api-key]') : text;
  if (safe.length > QUOTED_TEXT_MAX) safe = `${safe.slice(0, QUOTED_TEXT_MAX)}…`;
  return JSON.stringify(safe);
}

/** ECONNREFUSED, ENOTFOUND and the like, from the fetch failure the SDK wraps. */
function connectionCode(error: APIConnectionError): string | undefined {
  let current: unknown = error.cause;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
