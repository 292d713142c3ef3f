import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

import {
  builtInPrice,
  builtInPriceModels,
  DEFAULT_CLOUD_MODEL,
  DEFAULT_LOCAL_COST_PER_HOUR,
  DEFAULT_LOCAL_COST_SOURCE,
  maxRequestCostUsd,
  priceFamily,
  requestCostUsd,
  resolvePrice,
  UnknownModelPriceError
} from '../../src/routing/priceTable.js';

/** [input, output, 5-minute cache write, cache read] USD per MTok, copied by hand from the pages the table cites. */
const PAGE_FIGURES: Record<string, [number, number, number, number]> = {
  'claude-opus-5-5': [4, 20, 5, 0.2],
  'claude-opus-5': [5, 25, 6.25, 0.5],
  'claude-opus-4-8': [5, 25, 6.25, 0.5],
  'claude-opus-4-7': [5, 25, 6.25, 0.5],
  'claude-opus-4-6': [5, 25, 6.25, 0.5],
  'claude-opus-4-5': [5, 25, 6.25, 0.5],
  'claude-sonnet-5-5': [2, 10, 2.5, 0.2],
  'claude-sonnet-5': [2, 10, 2.5, 0.2],
  'claude-sonnet-4-6': [3, 15, 3.75, 0.3],
  'claude-sonnet-4-5': [3, 15, 3.75, 0.3],
  'claude-haiku-5-5': [0.1, 0.5, 0.125, 0.01],
  'claude-haiku-4-5': [1, 5, 1.25, 0.1]
};

function figures(model: string): [number, number, number, number] | undefined {
  const p = builtInPrice(model);
  return p === undefined ? undefined : [p.inputPerMTok, p.outputPerMTok, p.cacheWritePerMTok, p.cacheReadPerMTok];
}

describe('builtInPrice', () => {
  it('holds every current Opus, Sonnet and Haiku model at the published figures', () => {
    expect(builtInPriceModels().sort()).toEqual(Object.keys(PAGE_FIGURES).sort());
    for (const [model, expected] of Object.entries(PAGE_FIGURES)) expect([model, figures(model)]).toEqual([model, expected]);
  });

  it('follows the pricing page: a 5-minute cache write is 1.25x input, a cache hit 0.1x (Opus 5.5: 0.05x, as its page says)', () => {
    for (const model of builtInPriceModels()) {
      const p = builtInPrice(model)!;
      expect([model, p.cacheWritePerMTok]).toEqual([model, expect.closeTo(p.inputPerMTok * 1.25, 12)]);
      const hitRate = model === 'claude-opus-5-5' ? 0.05 : 0.1;
      expect([model, p.cacheReadPerMTok]).toEqual([model, expect.closeTo(p.inputPerMTok * hitRate, 12)]);
    }
  });

  it('prices dated snapshots and -latest aliases as their family', () => {
    expect(priceFamily('claude-sonnet-4-5-20250929')).toBe('claude-sonnet-4-5');
    expect(builtInPrice('claude-sonnet-4-5-20250929')).toBe(builtInPrice('claude-sonnet-4-5'));
    expect(builtInPrice('claude-haiku-4-5-20251001')).toBe(builtInPrice('claude-haiku-4-5'));
    expect(builtInPrice('claude-opus-4-5-20251101')).toBe(builtInPrice('claude-opus-4-5'));
    expect(builtInPrice('claude-opus-4-6-latest')).toBe(builtInPrice('claude-opus-4-6'));
    expect(builtInPrice(' claude-sonnet-5-5 ')).toBe(builtInPrice('claude-sonnet-5-5'));
  });

  it('knows no price for retired, foreign or malformed ids, nor for names on Object.prototype', () => {
    for (const model of [
      'claude-sonnet-4',
      'claude-opus-4-1',
      'claude-3-5-sonnet-latest',
      'gpt-4o',
      'claude-sonnet-4-5-2025',
      'claude-sonnet',
      'constructor',
      'toString',
      ''
    ]) {
      expect([model, builtInPrice(model)]).toEqual([model, undefined]);
    }
  });

  it('makes the current Sonnet the default cloud model, with a built-in price', () => {
    expect(DEFAULT_CLOUD_MODEL).toBe('claude-sonnet-5-5');
    expect(builtInPrice(DEFAULT_CLOUD_MODEL)).toBeDefined();
  });

  it('gives Haiku 5.5 its long-prompt band: over 100,000 prompt tokens, 5x on every rate', () => {
    const band = builtInPrice('claude-haiku-5-5')!.longPrompt!;
    expect(band.aboveTokens).toBe(100_000);
    expect([band.price.inputPerMTok, band.price.outputPerMTok, band.price.cacheWritePerMTok, band.price.cacheReadPerMTok]).toEqual([0.5, 2.5, 0.625, 0.05]);
  });
});

describe('resolvePrice', () => {
  const mine = { inputPerMTok: 7, outputPerMTok: 21, cacheWritePerMTok: 8.75, cacheReadPerMTok: 0.7 };

  it('takes the configuration first, under the exact id or the family id, then the built-in table', () => {
    expect(resolvePrice('claude-sonnet-4-5', { 'claude-sonnet-4-5': mine })).toEqual({ price: mine, source: 'config' });
    expect(resolvePrice('claude-sonnet-4-5-20250929', { 'claude-sonnet-4-5': mine })).toEqual({ price: mine, source: 'config' });
    expect(resolvePrice('my-finetune', { 'my-finetune': mine })).toEqual({ price: mine, source: 'config' });
    expect(resolvePrice('claude-sonnet-4-5-20250929', { 'claude-opus-4-5': mine })).toEqual({ price: builtInPrice('claude-sonnet-4-5'), source: 'built-in' });
  });

  it('throws UnknownModelPriceError naming the model, the input and the config snippet that adds a price', () => {
    let caught: unknown;
    try {
      resolvePrice('acme-coder-9', { 'acme-coder-8': mine });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UnknownModelPriceError);
    const error = caught as UnknownModelPriceError;
    expect(error.model).toBe('acme-coder-9');
    expect(error.message).toContain('Input "cloud-model"');
    expect(error.message).toContain('"acme-coder-9"');
    expect(error.message).toContain('.aqe/config.yml');
    expect(error.message).toContain('claude-sonnet-5-5');
    const snippet = error.message.slice(error.message.indexOf('cost:\n'));
    expect(parse(snippet)).toEqual({
      cost: {
        prices: {
          'acme-coder-9': { input: expect.any(String), output: expect.any(String), 'cache-write': expect.any(String), 'cache-read': expect.any(String) }
        }
      }
    });
  });

  it('does not take inherited properties of the overrides for prices', () => {
    expect(() => resolvePrice('toString', {})).toThrow(UnknownModelPriceError);
    expect(() => resolvePrice('__proto__', {})).toThrow(UnknownModelPriceError);
  });

  it('quotes a model name in the snippet, so a strange name is still one YAML key and no injected line', () => {
    const error = new UnknownModelPriceError('evil: 1\n  other: {x}');
    const snippet = error.message.slice(error.message.indexOf('cost:\n'));
    expect(Object.keys((parse(snippet) as { cost: { prices: object } }).cost.prices)).toEqual(['evil: 1\n  other: {x}']);
  });
});

describe('requestCostUsd', () => {
  const sonnet45 = builtInPrice('claude-sonnet-4-5')!;

  it('prices the uncached, cache-written, cache-read and output tokens each at their rate (hand-checked)', () => {
    // 2,000 uncached × $3 + 2,000 written × $3.75 + 8,000 read × $0.30 + 1,500 out × $15 = $38,400 per million = $0.0384
    expect(requestCostUsd(sonnet45, { promptTokens: 12_000, completionTokens: 1_500, cacheReadTokens: 8_000, cacheWriteTokens: 2_000 })).toBeCloseTo(
      0.0384,
      12
    );
    // No cache figures (a shared server, or a response without them): every prompt token at the input rate.
    expect(requestCostUsd(sonnet45, { promptTokens: 1_000_000, completionTokens: 0 })).toBeCloseTo(3, 12);
    expect(requestCostUsd(sonnet45, { promptTokens: 0, completionTokens: 0 })).toBe(0);
  });

  it('bills a Haiku 5.5 request by the band its whole prompt falls in, output included', () => {
    const haiku55 = builtInPrice('claude-haiku-5-5')!;
    // 100,000 × $0.10 + 1,000 × $0.50 = $0.0105
    expect(requestCostUsd(haiku55, { promptTokens: 100_000, completionTokens: 1_000 })).toBeCloseTo(0.0105, 12);
    // 100,001 × $0.50 + 1,000 × $2.50 = $0.0525005
    expect(requestCostUsd(haiku55, { promptTokens: 100_001, completionTokens: 1_000 })).toBeCloseTo(0.0525005, 12);
    // Cached tokens count toward the band: 60,000 uncached × $0.50 + 50,000 read × $0.05 = $0.0325
    expect(requestCostUsd(haiku55, { promptTokens: 110_000, completionTokens: 0, cacheReadTokens: 50_000 })).toBeCloseTo(0.0325, 12);
  });

  it('refuses usage whose cached parts exceed the prompt, and counts that are not counts', () => {
    expect(() => requestCostUsd(sonnet45, { promptTokens: 100, completionTokens: 0, cacheReadTokens: 80, cacheWriteTokens: 30 })).toThrow(
      /must include the cached parts/
    );
    expect(() => requestCostUsd(sonnet45, { promptTokens: -1, completionTokens: 0 })).toThrow(RangeError);
    expect(() => requestCostUsd(sonnet45, { promptTokens: 1, completionTokens: Number.NaN })).toThrow(/completionTokens/);
  });
});

describe('maxRequestCostUsd', () => {
  const sonnet45 = builtInPrice('claude-sonnet-4-5')!;

  it('prices every input token at the dearest input rate and max-tokens of output (hand-checked)', () => {
    // 10,000 × $3.75 (cache write, above the $3 input) + 2,000 × $15 = $0.0675
    expect(maxRequestCostUsd(sonnet45, 10_000, 2_000)).toBeCloseTo(0.0675, 12);
    // Haiku 5.5 beyond 100,000 input tokens: 200,000 × $0.625 + 4,000 × $2.50 = $0.135
    expect(maxRequestCostUsd(builtInPrice('claude-haiku-5-5')!, 200_000, 4_000)).toBeCloseTo(0.135, 12);
  });

  it('is never below what the same request can be billed, however the prompt splits between cache and not', () => {
    for (const model of builtInPriceModels()) {
      const p = builtInPrice(model)!;
      for (const prompt of [1, 5_000, 99_999, 100_000, 100_001, 400_000]) {
        const bound = maxRequestCostUsd(p, prompt, 4_096);
        for (const [read, write] of [
          [0, 0],
          [0, prompt],
          [prompt, 0],
          [Math.floor(prompt / 3), Math.floor(prompt / 3)]
        ]) {
          for (const completion of [0, 1, 4_096]) {
            const billed = requestCostUsd(p, { promptTokens: prompt, completionTokens: completion, cacheReadTokens: read, cacheWriteTokens: write });
            expect({ model, prompt, read, write, completion, over: billed > bound }).toEqual({ model, prompt, read, write, completion, over: false });
          }
        }
      }
    }
  });
});

describe('DEFAULT_LOCAL_COST_PER_HOUR', () => {
  it("is the standard Linux 2-core runner's $0.006 a minute × 60, and says where that figure is from", () => {
    expect(DEFAULT_LOCAL_COST_PER_HOUR).toBeCloseTo(0.36, 12);
    expect(DEFAULT_LOCAL_COST_SOURCE).toContain('$0.006 a minute');
    expect(DEFAULT_LOCAL_COST_SOURCE).toContain('https://docs.github.com/en/billing/reference/actions-runner-pricing');
    expect(DEFAULT_LOCAL_COST_SOURCE).not.toContain('\n');
  });
});
