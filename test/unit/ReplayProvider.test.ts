import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { InvalidJsonOutputError, ProviderUnavailableError } from '../../src/inference/errors.js';
import { RecordingProvider, ReplayProvider, requestKey, type ReplayEntry } from '../../src/inference/ReplayProvider.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aqe-replay-unit-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function replayOf(name: string, entries: ReplayEntry[]): Promise<ReplayProvider> {
  const file = path.join(dir, name);
  await writeFile(file, entries.map((e) => JSON.stringify(e)).join('\n'));
  return ReplayProvider.open(file);
}

describe('requestKey', () => {
  it('keeps the key of a chat request as older recordings computed it', () => {
    const request = { system: 'sys', user: 'Write tests', maxTokens: 256, temperature: 0, seed: 3 };
    const old = createHash('sha256')
      .update(JSON.stringify(['model.gguf', 'sys', 'Write tests', 256, 0, 3]))
      .digest('hex');
    expect(requestKey('model.gguf', request)).toBe(old);
    expect(requestKey('model.gguf', { ...request, stopSequences: [] })).toBe(old);
  });

  it('tells chat from completion and includes the newer options when set', () => {
    const chat = requestKey('m', { user: 'same text', maxTokens: 10 });
    const completion = requestKey('m', { prompt: 'same text', maxTokens: 10 });
    expect(completion).not.toBe(chat);
    expect(requestKey('m', { user: 'same text', maxTokens: 10, stopSequences: ['\n'] })).not.toBe(chat);
    expect(requestKey('m', { user: 'same text', maxTokens: 10, jsonSchema: { type: 'object' } })).not.toBe(chat);
  });
});

describe('ReplayProvider', () => {
  it('answers complete() by target, and stream() as one chunk', async () => {
    const provider = await replayOf('complete.jsonl', [
      { target: 'src/a.ts', response: { text: 'first answer' } },
      { target: 'src/a.ts', response: { text: 'second answer', finishReason: 'length' } }
    ]);
    await expect(provider.complete({ prompt: 'p', maxTokens: 5, target: 'src/a.ts' })).resolves.toMatchObject({
      text: 'first answer',
      finishReason: 'stop',
      provider: 'replay'
    });
    const stream = provider.stream({ prompt: 'p', maxTokens: 5, target: 'src/a.ts' });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks).toEqual(['second answer']);
    expect((await stream.result).finishReason).toBe('length');
  });

  it('cuts a hand-written answer at the earliest stop sequence', async () => {
    const provider = await replayOf('stop.jsonl', [{ target: 't', response: { text: 'one. two; three' } }]);
    const result = await provider.chat({ user: 'u', maxTokens: 5, target: 't', stopSequences: [';', '.'] });
    expect(result).toMatchObject({ text: 'one', finishReason: 'stop', stopSequence: '.' });
  });

  it('parses the answer of a JSON-schema request, and rejects one that is not JSON', async () => {
    const provider = await replayOf('json.jsonl', [
      { target: 'good', response: { text: '{"kind":"unit"}\n\n' } },
      { target: 'bad', response: { text: 'sure, here it is' } }
    ]);
    const schema = { type: 'object', properties: { kind: { enum: ['unit'] } } };
    await expect(provider.chat({ user: 'u', maxTokens: 5, target: 'good', jsonSchema: schema })).resolves.toMatchObject({ json: { kind: 'unit' } });
    const error = await provider.chat({ user: 'u', maxTokens: 5, target: 'bad', jsonSchema: schema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJsonOutputError);
    expect((error as InvalidJsonOutputError).text).toBe('sure, here it is');
  });

  it('has no embeddings and says so', async () => {
    const provider = await replayOf('embed.jsonl', [{ target: 't', response: { text: 'x' } }]);
    await expect(provider.embed(['text'])).rejects.toThrow(ProviderUnavailableError);
    await expect(provider.embed(['text'])).rejects.toThrow(/Replay files hold no embeddings: embed\.jsonl .*Embed with a model/);
    expect(provider.info().gpuLayers).toBe(0);
  });
});

describe('RecordingProvider', () => {
  it('records chat, completion and streamed answers that a replay then finds by key', async () => {
    const inner = await replayOf('inner.jsonl', [
      { target: 'chat', response: { text: 'chat answer' } },
      { target: 'complete', response: { text: 'completion answer' } },
      { target: 'stream', response: { text: 'streamed answer' } }
    ]);
    const file = path.join(dir, 'recorded.jsonl');
    const recorder = new RecordingProvider(inner, file);
    await recorder.chat({ system: 's', user: 'u', maxTokens: 9, target: 'chat' });
    await recorder.complete({ prompt: 'continue this', maxTokens: 9, target: 'complete', stopSequences: ['\n'] });
    const stream = recorder.stream({ prompt: 'stream this', maxTokens: 9, target: 'stream' });
    for await (const _ of stream) void _;
    await stream.result;

    const lines = (await readFile(file, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ReplayEntry);
    expect(lines.map((l) => l.request)).toEqual([
      { system: 's', user: 'u', maxTokens: 9, temperature: 0 },
      { prompt: 'continue this', maxTokens: 9, temperature: 0, stopSequences: ['\n'] },
      { prompt: 'stream this', maxTokens: 9, temperature: 0 }
    ]);

    // Replayed without targets: only the keys can match.
    const replay = await ReplayProvider.open(file);
    await expect(replay.chat({ system: 's', user: 'u', maxTokens: 9 })).resolves.toMatchObject({ text: 'chat answer' });
    await expect(replay.complete({ prompt: 'continue this', maxTokens: 9, stopSequences: ['\n'] })).resolves.toMatchObject({ text: 'completion answer' });
    await expect(replay.complete({ prompt: 'stream this', maxTokens: 9 })).resolves.toMatchObject({ text: 'streamed answer' });
    // The same text as chat is a different request.
    await expect(replay.chat({ user: 'stream this', maxTokens: 9 })).rejects.toThrow(/has no answer/);
  });

  it('passes embed() through to the provider it wraps', async () => {
    const inner = await replayOf('inner-embed.jsonl', [{ target: 't', response: { text: 'x' } }]);
    const recorder = new RecordingProvider(inner, path.join(dir, 'unused.jsonl'));
    await expect(recorder.embed(['a'])).rejects.toThrow(ProviderUnavailableError);
  });
});
