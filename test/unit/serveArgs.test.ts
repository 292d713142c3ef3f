import { describe, expect, it } from '@jest/globals';
import { parseServeArgs } from '../../src/cli/serveCommand.js';
import { InputError } from '../../src/core/InputError.js';
import { AdmissionQueue } from '../../src/serve/AdmissionQueue.js';
import { parseChatRequest } from '../../src/serve/parseChatRequest.js';
import { ServeError } from '../../src/serve/ServeError.js';

const parse = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseServeArgs(argv, env, '/work', '/tmp');

function thrown(task: () => unknown): Error {
  try {
    task();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('parseServeArgs', () => {
  it('listens on 127.0.0.1:8080 with a queue of 16 and no key by default', () => {
    const settings = parse(['--model', 'demo']);
    expect(settings).toMatchObject({ host: '127.0.0.1', port: 8080, queueLimit: 16 });
    expect(settings).not.toHaveProperty('apiKey');
    expect(settings !== 'help' && settings.run.model).toBe('demo');
  });

  it('reads the key from AQE_SERVE_API_KEY and refuses it as a flag', () => {
    expect(parse(['--port', '0', '--queue', '0'], { AQE_SERVE_API_KEY: ' sk-1 ' })).toMatchObject({ port: 0, queueLimit: 0, apiKey: 'sk-1' });
    const error = thrown(() => parse(['--api-key', 'sk-secret']));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('AQE_SERVE_API_KEY');
    expect(error.message).not.toContain('sk-secret');
  });

  it('names the flag of a wrong value and says what to give', () => {
    expect(thrown(() => parse(['--port', '70000'])).message).toBe('Input "--port": 70000 is out of range. Give a number from 0 to 65535.');
    expect(thrown(() => parse(['--queue=-1'])).message).toMatch(/^Input "--queue": "-1" is not a whole number/);
    expect(thrown(() => parse(['--max-parallel', 'lots'])).message).toMatch(/^Input "max-parallel"/);
    expect(thrown(() => parse(['extra']))).toBeInstanceOf(InputError);
    expect(parse(['--help'])).toBe('help');
  });
});

describe('AdmissionQueue', () => {
  it('runs `slots` at once, queues up to the limit, refuses beyond, and admits the waiting in order', async () => {
    const queue = new AdmissionQueue(1, 1);
    const first = await queue.tryEnter()!;
    const second = queue.tryEnter()!;
    expect(queue.state()).toEqual({ running: 1, queued: 1, slots: 1, queueLimit: 1 });
    expect(queue.tryEnter()).toBeUndefined();
    first.release();
    first.release(); // a second release must not free a slot twice
    const admitted = await second;
    expect(queue.state()).toMatchObject({ running: 1, queued: 0 });
    expect(queue.retryAfterSeconds()).toBeGreaterThanOrEqual(1);
    admitted.release();
    expect(queue.state()).toMatchObject({ running: 0, queued: 0 });
  });

  it('takes a client that leaves out of the queue', async () => {
    const queue = new AdmissionQueue(1, 0);
    const held = await queue.tryEnter()!;
    expect(queue.tryEnter()).toBeUndefined();
    held.release();
    const other = new AdmissionQueue(1, 1);
    const busy = await other.tryEnter()!;
    const controller = new AbortController();
    const waiting = other.tryEnter(controller.signal)!;
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(other.state()).toMatchObject({ running: 1, queued: 0 });
    busy.release();
  });
});

describe('parseChatRequest', () => {
  it('turns system and user messages, text parts, stop and response_format into a provider request', () => {
    const parsed = parseChatRequest({
      model: 'demo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Hello ' },
            { type: 'text', text: 'there' }
          ]
        }
      ],
      max_completion_tokens: 40,
      stop: 'END',
      seed: 4,
      stream: true,
      stream_options: { include_usage: true },
      top_p: 0.9,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } }
    });
    expect(parsed).toEqual({
      model: 'demo',
      stream: true,
      includeUsage: true,
      request: { system: 'Be brief.', user: 'Hello there', maxTokens: 40, temperature: 0, seed: 4, stopSequences: ['END'], jsonSchema: { type: 'object' } }
    });
  });

  it('refuses what it cannot answer with a 400 naming the field', () => {
    const refusal = (body: unknown): ServeError => thrown(() => parseChatRequest(body)) as ServeError;
    expect(refusal({ model: 'demo', messages: [] })).toMatchObject({ status: 400, options: { param: 'messages' } });
    expect(refusal({ model: 'demo', messages: [{ role: 'user', content: 'a' }], n: 2 })).toMatchObject({ status: 400, options: { param: 'n' } });
    expect(refusal({ model: 'demo', messages: [{ role: 'system', content: 'a' }] }).message).toContain('no user message');
    expect(refusal({ model: 'demo', messages: [{ role: 'user', content: 'a' }], stop: ['1', '2', '3', '4', '5'] })).toMatchObject({
      options: { param: 'stop' }
    });
  });
});
