/** Errors of the inference layer; each message says what the user should change. */
export class InferenceError extends Error {
  override readonly name: string = 'InferenceError';
}

export class ModelNotFoundError extends InferenceError {
  override readonly name = 'ModelNotFoundError';
}

export class ModelLoadError extends InferenceError {
  override readonly name = 'ModelLoadError';
}

export class OutOfMemoryError extends InferenceError {
  override readonly name = 'OutOfMemoryError';
}

export class ProviderUnavailableError extends InferenceError {
  override readonly name = 'ProviderUnavailableError';
}

export class GenerationAbortedError extends InferenceError {
  override readonly name = 'GenerationAbortedError';
}

/** A request's prompt plus the tokens it may generate (0 for embeddings) do not fit in one sequence's context. */
export class ContextOverflowError extends InferenceError {
  override readonly name = 'ContextOverflowError';

  constructor(
    readonly promptTokens: number,
    readonly maxTokens: number,
    readonly contextSize: number,
    /** The most context-size can be raised to: the model's training context. */
    readonly trainContextSize?: number
  ) {
    const raise = trainContextSize !== undefined && trainContextSize > contextSize ? ` (this model allows up to ${trainContextSize})` : '';
    super(
      maxTokens === 0
        ? `The text to embed is ${promptTokens} tokens; the embedding context holds fewer than ${contextSize}. Raise context-size${raise} or split the text.`
        : `The prompt is ${promptTokens} tokens and up to ${maxTokens} may be generated: ${promptTokens + maxTokens} tokens, more than the context size of ${contextSize} tokens per sequence. ` +
            `Raise context-size${raise}, lower max-tokens, or shorten the prompt.`
    );
  }
}

/** node-llama-cpp cannot turn the request's JSON schema into a grammar. */
export class UnsupportedJsonSchemaError extends InferenceError {
  override readonly name = 'UnsupportedJsonSchemaError';
}

/** A JSON-schema request ended with text that is not a complete value of the schema (usually cut at max-tokens). */
export class InvalidJsonOutputError extends InferenceError {
  override readonly name = 'InvalidJsonOutputError';

  constructor(
    message: string,
    /** What the model wrote. */
    readonly text: string
  ) {
    super(message);
  }
}
