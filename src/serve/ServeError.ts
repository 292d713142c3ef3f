/** The `type` of an OpenAI error body: what kind of fault it is, as OpenAI's clients branch on it. */
export type OpenAiErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

/** OpenAI's error body: `{ error: { message, type, param, code } }`, what every OpenAI client parses. */
export interface OpenAiErrorBody {
  error: { message: string; type: OpenAiErrorType; param: string | null; code: string };
}

/**
 * A request `aqe serve` refuses or could not answer, with the HTTP status and the OpenAI error it is sent as. The
 * message is for the client that sent the request: it says what is wrong with it and what to change.
 */
export class ServeError extends Error {
  override readonly name = 'ServeError';

  constructor(
    readonly status: number,
    readonly type: OpenAiErrorType,
    readonly code: string,
    message: string,
    readonly options: { param?: string; headers?: Readonly<Record<string, string>> } = {}
  ) {
    super(message);
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.options.param ?? null, code: this.code } };
  }
}
