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
