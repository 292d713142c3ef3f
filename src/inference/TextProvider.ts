/** A request for one chat completion. */
export interface ChatRequest {
  system?: string;
  user: string;
  maxTokens: number;
  /** 0 = greedy (the default: reproducible runs). */
  temperature?: number;
  seed?: number;
  signal?: AbortSignal;
  /** What the request is for: the source file, or `file#unit` (replay files can be keyed by it). */
  target?: string;
  /** Called with each piece of text as it is generated (progress lines, streaming). */
  onText?: (chunk: string) => void;
}

export interface GenerationResult {
  text: string;
  provider: string;
  model: string;
  finishReason: 'stop' | 'length' | 'abort';
  usage: { promptTokens: number; completionTokens: number };
  timings: {
    /** Waiting for a free sequence slot. */
    queuedMs: number;
    firstTokenMs: number;
    generationMs: number;
    tokensPerSecond: number;
  };
}

/** What a provider runs on, for the report. */
export interface ProviderInfo {
  provider: string;
  model: string;
  backend: string;
  hardware: string;
  threads: number;
  parallelSequences: number;
  contextSize: number;
  modelLoadMs: number;
}

/** A text generation back end: local llama.cpp now, cloud and replay later, same shape. */
export interface TextProvider {
  chat(request: ChatRequest): Promise<GenerationResult>;
  /** Exact token count under this model's tokenizer (for fitting prompts to the context). */
  countTokens(text: string): number;
  info(): ProviderInfo;
  dispose(): Promise<void>;
}
