import type { ServerResponse } from 'node:http';

/**
 * Server-sent events as OpenAI streams them: one `data: <json>` event per chunk, `data: [DONE]` at the end. The
 * headers go out with the first event, so a request that fails before its first token still gets a real status.
 * JSON never holds a raw newline, so a chunk's text cannot end its event early or forge another.
 */
export class SseWriter {
  private opened = false;

  constructor(private readonly res: ServerResponse) {}

  /** Whether the headers (200, text/event-stream) have been sent: after that an error can only be an event. */
  get started(): boolean {
    return this.opened;
  }

  send(data: unknown): void {
    this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** The end of a stream that finished: `[DONE]`, then the response ends. */
  done(): void {
    this.write('data: [DONE]\n\n');
    this.res.end();
  }

  /** A stream cut by an error after it started: the error as its last event (OpenAI's clients throw it), no `[DONE]`. */
  fail(body: unknown): void {
    this.send(body);
    this.res.end();
  }

  private write(text: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.opened) {
      this.opened = true;
      // x-accel-buffering: a proxy (nginx, an ingress) in front of the server would otherwise hold the events back.
      this.res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    }
    this.res.write(text);
  }
}
