import { AnthropicError, APIConnectionError, APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { CLOUD_INPUTS } from './cloudInputs.js';
import { CloudProviderError, type CloudFaultKind } from './CloudProviderError.js';

/** What a message needs to say where the request went and to keep the key out of it. */
export interface AnthropicErrorContext {
  model: string;
  /** The endpoint's host (never the URL's credentials or query). */
  host: string;
  apiKey: string;
}

/** Thrown before any request: the SDK would otherwise go looking for credentials in the environment and on disk. */
export function missingApiKeyError(): CloudProviderError {
  return new CloudProviderError(
    `Input "${CLOUD_INPUTS.anthropicApiKey}" is empty: the anthropic provider needs an Anthropic API key. ` +
      `Set ${CLOUD_INPUTS.anthropicApiKey} from a repository secret (e.g. \${{ secrets.ANTHROPIC_API_KEY }}); on a pull request from a fork secrets are not available.`,
    { kind: 'auth', retryable: false, input: CLOUD_INPUTS.anthropicApiKey }
  );
}

/** The answer arrived but is not what the Messages API sends. */
export function malformedResponseError(problem: string, context: AnthropicErrorContext, cause?: unknown): CloudProviderError {
  return new CloudProviderError(
    redact(
      `The Anthropic API at ${context.host} answered with a malformed response (${problem}). ` +
        `Check that the endpoint speaks the Anthropic Messages API, or retry later.`,
      context.apiKey
    ),
    { kind: 'malformed', retryable: false, cause }
  );
}

/**
 * Maps what the SDK threw (after its own retries) to a CloudProviderError; anything that is not the SDK's or a
 * parse failure is returned unchanged.
 */
export function toCloudProviderError(error: unknown, context: AnthropicErrorContext): unknown {
  if (error instanceof CloudProviderError) return error;
  if (isSyntaxError(error)) return malformedResponseError(`not JSON: ${quote(error.message)}`, context, error);
  if (error instanceof APIConnectionTimeoutError) {
    return fault(
      'timeout',
      undefined,
      true,
      `The Anthropic API at ${context.host} did not answer within the request timeout, retries included. Raise the timeout or retry later.`,
      context,
      error
    );
  }
  if (error instanceof APIConnectionError) {
    return fault(
      'unreachable',
      undefined,
      true,
      `The Anthropic API at ${context.host} cannot be reached (${quote(describeCause(error))}). Check the network and the endpoint, or retry later.`,
      context,
      error
    );
  }
  if (error instanceof APIError) return fromApiError(error as APIError, context);
  if (error instanceof AnthropicError) {
    return malformedResponseError(quote(error.message), context, error);
  }
  return error;
}

/**
 * The SDK's error is not kept as the cause: its message and body are the server's words, which a careless endpoint
 * fills with the headers it got, key included. What it said is quoted here, redacted.
 */
function fromApiError(error: APIError, context: AnthropicErrorContext): CloudProviderError {
  const status = error.status;
  const said = error.apiMessage ? `: ${quote(error.apiMessage)}` : '';
  const request = error.requestID ? ` (request-id ${quote(error.requestID)})` : '';
  const where = `The Anthropic API at ${context.host} answered ${status !== undefined ? `HTTP ${status}` : 'a stream error'}${error.type ? ` (${error.type})` : ''}${said}${request}`;
  const type = error.type ?? '';
  if (status === 401 || type === 'authentication_error') {
    return fault(
      'auth',
      status,
      false,
      `${where}. The key in ${CLOUD_INPUTS.anthropicApiKey} is not valid: set it to a current Anthropic API key.`,
      context,
      undefined,
      CLOUD_INPUTS.anthropicApiKey
    );
  }
  if (status === 403 || type === 'permission_error') {
    return fault(
      'auth',
      status,
      false,
      `${where}. The key in ${CLOUD_INPUTS.anthropicApiKey} may not use model ${quote(context.model)}: use a key with access to it, or change ${CLOUD_INPUTS.cloudModel}.`,
      context,
      undefined,
      CLOUD_INPUTS.anthropicApiKey
    );
  }
  if (status === 404 || type === 'not_found_error') {
    return fault(
      'bad-request',
      status,
      false,
      `${where}. Check ${CLOUD_INPUTS.cloudModel} (now ${quote(context.model)}): it must name a model the API serves.`,
      context,
      undefined,
      CLOUD_INPUTS.cloudModel
    );
  }
  if (status === 429 || type === 'rate_limit_error') {
    return fault(
      'rate-limit',
      status,
      true,
      `${where}. The rate limit held after the client's retries: lower the parallelism, or retry later.`,
      context,
      undefined
    );
  }
  if (status === 529 || type === 'overloaded_error') {
    return fault('overloaded', status, true, `${where}. The API stayed overloaded through the client's retries: retry later.`, context, undefined);
  }
  if (status === 408) {
    return fault('timeout', status, true, `${where}. The request timed out at the API: retry later.`, context, undefined);
  }
  if (status === undefined || status >= 500 || type === 'api_error') {
    return fault('server', status, true, `${where}. The API failed through the client's retries: retry later.`, context, undefined);
  }
  return fault(
    'bad-request',
    status,
    false,
    `${where}. The API refused the request: check ${CLOUD_INPUTS.cloudModel} (now ${quote(context.model)}) and the request size.`,
    context,
    error,
    CLOUD_INPUTS.cloudModel
  );
}

function fault(
  kind: CloudFaultKind,
  status: number | undefined,
  retryable: boolean,
  message: string,
  context: AnthropicErrorContext,
  cause: unknown,
  input?: (typeof CLOUD_INPUTS)[keyof typeof CLOUD_INPUTS]
): CloudProviderError {
  return new CloudProviderError(redact(message, context.apiKey), {
    kind,
    retryable,
    cause,
    ...(status !== undefined ? { status } : {}),
    ...(input ? { input } : {})
  });
}

/** By name: fetch parses the body in Node's own realm, whose SyntaxError (and Error) are not this realm's under a VM (jest). */
function isSyntaxError(error: unknown): error is { name: 'SyntaxError'; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'SyntaxError' &&
    typeof (error as { message?: unknown }).message === 'string'
  );
}

function describeCause(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ((cause as { cause?: unknown }).cause instanceof Error ? (cause.cause as Error) : cause) : undefined;
  return inner ? inner.message : error.message;
}

/** Text the server or the network wrote is data: quoted, escaped and bounded before it reaches a log. */
function quote(text: string): string {
  const bounded = text.length > 300 ? `${text.slice(0, 300)}…` : text;
  return JSON.stringify(bounded);
}

/** A server that echoes the request's headers must not put the key into a CI log through us. */
export function redact(text: string, apiKey: string): string {
  return apiKey.length >= 4 ? text.split(apiKey).join('[redacted]') : text;
}
