import type { Llama, LlamaContextSequence, LlamaModel, Token } from 'node-llama-cpp';
import type { DecodeProbe, DecodeSample } from './threadCalibration.js';

/** Code-like, so a real model decodes as on a run's prompts; what it decodes is thrown away. */
const PROBE_TEXT = 'export function clamp(';

/**
 * Decodes on one sequence of the run's own context. The thread count is set through `llama.maxThreads`, which
 * node-llama-cpp reads before every batch: the context was created wanting every usable CPU, and its thread
 * splitter grants it `maxThreads` of them, so the count changes on the live context without recreating it (which
 * would reallocate its KV cache). Slices continue one generation, so the prompt is evaluated once, not per slice:
 * an oversubscribed count evaluates it slowly too.
 */
export class SequenceDecodeProbe implements DecodeProbe {
  private readonly prompt: Token[];
  private steps?: AsyncGenerator<Token, void, void | Token | Token[]>;

  constructor(
    private readonly llama: Llama,
    model: LlamaModel,
    private readonly sequence: LlamaContextSequence
  ) {
    const tokens = model.tokenize(PROBE_TEXT);
    const bos = model.tokens.bos;
    this.prompt = tokens.length > 0 ? tokens : bos !== null ? [bos] : [];
    if (this.prompt.length === 0)
      throw new Error('The model tokenizes the calibration prompt to nothing and has no BOS token: set the threads input to a count.');
  }

  async decode(threads: number, tokens: number, maxMs: number): Promise<DecodeSample> {
    this.llama.maxThreads = threads;
    // The prompt's evaluation and the first token, on a start or a full context, are not part of the sample.
    if ((!this.steps || this.full()) && !(await this.restart())) return { tokens: 0, ms: 0 };
    const started = performance.now();
    let decoded = 0;
    while (decoded < tokens && !this.full()) {
      const step = await this.steps!.next();
      if (step.done) {
        this.steps = undefined;
        break;
      }
      decoded++;
      if (performance.now() - started >= maxMs) break;
    }
    return { tokens: decoded, ms: performance.now() - started };
  }

  /** Ends the generation and empties the sequence for the run. */
  async finish(): Promise<void> {
    await this.steps?.return();
    this.steps = undefined;
    await this.sequence.clearHistory();
  }

  private full(): boolean {
    return this.sequence.nextTokenIndex >= this.sequence.context.contextSize - 1;
  }

  /** A fresh generation from the prompt; false when it yields nothing. */
  private async restart(): Promise<boolean> {
    await this.steps?.return();
    await this.sequence.clearHistory();
    // yieldEogToken: a real model may end its answer; the cost of a decode step does not depend on the token.
    this.steps = this.sequence.evaluate(this.prompt, { temperature: 0, yieldEogToken: true });
    const first = await this.steps.next(); // the prompt's evaluation and the first token
    if (first.done) {
      this.steps = undefined;
      return false;
    }
    return true;
  }
}
