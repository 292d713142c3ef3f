import { describe, expect, it } from '@jest/globals';

import { STICKY_COMMENT_MARKER } from '../../src/reporting/renderMarkdown.js';
import { type CommentApi, StickyCommentError, upsertStickyComment } from '../../src/reporting/stickyComment.js';

type Call = 'list' | 'create' | 'update';

/** An in-memory PR thread; `fail` (one kind of call) or `failures` (several) make calls throw. */
class MemoryCommentApi implements CommentApi {
  comments: Array<{ id: number; body: string; authorType?: string }> = [];
  calls: string[] = [];
  fail: { on: Call; error: unknown } | undefined;
  failures: Partial<Record<Call, unknown>> = {};
  private nextId = 100;

  async listComments(): Promise<Array<{ id: number; body: string; authorType?: string }>> {
    this.calls.push('list');
    this.maybeFail('list');
    return this.comments.map((c) => ({ ...c }));
  }

  async createComment(body: string): Promise<{ id: number; url?: string }> {
    this.calls.push('create');
    this.maybeFail('create');
    const id = this.nextId++;
    this.comments.push({ id, body });
    return { id, url: `https://github.com/acme/shop/pull/1#issuecomment-${id}` };
  }

  async updateComment(id: number, body: string): Promise<{ id: number; url?: string }> {
    this.calls.push(`update ${id}`);
    this.maybeFail('update');
    const comment = this.comments.find((c) => c.id === id);
    if (!comment) throw Object.assign(new Error('Not Found'), { status: 404 });
    comment.body = body;
    return { id };
  }

  private maybeFail(on: Call): void {
    if (this.fail?.on === on) throw this.fail.error;
    if (on in this.failures) throw this.failures[on];
  }
}

const body = (text: string): string => `${STICKY_COMMENT_MARKER}\n${text}`;
const httpError = (status: number, message: string): Error => Object.assign(new Error(message), { status });

describe('upsertStickyComment', () => {
  it('creates the comment the first time and updates it in place the second time', async () => {
    const api = new MemoryCommentApi();
    const first = await upsertStickyComment(api, body('run 1'));
    expect(first).toEqual({ action: 'created', id: 100, url: 'https://github.com/acme/shop/pull/1#issuecomment-100' });

    const second = await upsertStickyComment(api, body('run 2'));
    expect(second).toEqual({ action: 'updated', id: 100 });
    expect(api.comments).toEqual([{ id: 100, body: body('run 2') }]);
  });

  it('picks the marker comment among others, the newest when there are several', async () => {
    const api = new MemoryCommentApi();
    api.comments = [
      { id: 1, body: 'LGTM' },
      { id: 2, body: body('old report') },
      { id: 5, body: body('newer report') },
      { id: 7, body: 'please add tests' }
    ];
    const result = await upsertStickyComment(api, body('fresh'));
    expect(result).toMatchObject({ action: 'updated', id: 5 });
    expect(api.comments.map((c) => c.body)).toEqual(['LGTM', body('old report'), body('fresh'), 'please add tests']);
  });

  it("prefers a bot's marker comment to a newer one a person pasted the marker into", async () => {
    const api = new MemoryCommentApi();
    api.comments = [
      { id: 3, body: body('our report'), authorType: 'Bot' },
      { id: 8, body: body('a fork author wants the report here'), authorType: 'User' }
    ];
    expect(await upsertStickyComment(api, body('fresh'))).toMatchObject({ action: 'updated', id: 3 });
    expect(api.comments.map((c) => c.body)).toEqual([body('fresh'), body('a fork author wants the report here')]);
  });

  it("posts its own comment when the only marker comment is someone else's that the token may not edit (PATCH 403)", async () => {
    const api = new MemoryCommentApi();
    api.comments = [{ id: 8, body: body('pasted'), authorType: 'User' }];
    api.failures.update = httpError(403, 'Forbidden');
    expect(await upsertStickyComment(api, body('fresh'))).toMatchObject({ action: 'created', id: 100 });
    expect(api.calls).toEqual(['list', 'update 8', 'create']);
    expect(api.comments[0]).toEqual({ id: 8, body: body('pasted'), authorType: 'User' });
  });

  it('adds the marker when the body lacks it, so the next run can find the comment', async () => {
    const api = new MemoryCommentApi();
    await upsertStickyComment(api, 'plain body');
    expect(api.comments[0].body).toBe(`${STICKY_COMMENT_MARKER}\nplain body`);
    expect(await upsertStickyComment(api, 'again')).toMatchObject({ action: 'updated' });
  });

  it('honours a custom marker', async () => {
    const api = new MemoryCommentApi();
    api.comments = [{ id: 3, body: body('default-marker comment') }];
    const result = await upsertStickyComment(api, '<!-- other -->\nx', '<!-- other -->');
    expect(result).toMatchObject({ action: 'created' });
    expect(api.comments).toHaveLength(2);
  });

  it('turns a 403 into a skip with a warning that explains the fix', async () => {
    const api = new MemoryCommentApi();
    api.fail = { on: 'create', error: Object.assign(new Error('Resource not accessible by integration'), { status: 403 }) };
    const result = await upsertStickyComment(api, body('x'));
    expect(result.action).toBe('skipped');
    if (result.action !== 'skipped') throw new Error('unreachable');
    expect(result.warning).toContain('HTTP 403: Resource not accessible by integration');
    expect(result.warning).toContain('forks');
    expect(result.warning).toContain('permissions: pull-requests: write');
    expect(result.warning).toContain('mode: comment-from-artifact');
    expect(result.warning).toContain('job summary still has the full report');
  });

  it.each([
    ['a 404 from a restricted token', Object.assign(new Error('Not Found'), { status: 404 })],
    ['the status only on the response', Object.assign(new Error('denied'), { response: { status: 403 } })],
    ['only the message', new Error('HttpError: Resource not accessible by integration')]
  ])('also skips for %s', async (_label, error) => {
    const api = new MemoryCommentApi();
    api.fail = { on: 'list', error };
    expect(await upsertStickyComment(api, body('x'))).toMatchObject({ action: 'skipped' });
  });

  it('posts a new comment when the one it found was deleted before the edit (PATCH 404)', async () => {
    const api = new MemoryCommentApi();
    api.comments = [{ id: 9, body: body('old') }];
    // The list still had it; the edit finds it gone, as when someone deletes it mid-run.
    api.failures.update = httpError(404, 'Not Found');
    const result = await upsertStickyComment(api, body('fresh'));
    expect(result).toEqual({ action: 'created', id: 100, url: 'https://github.com/acme/shop/pull/1#issuecomment-100' });
    expect(api.calls).toEqual(['list', 'update 9', 'create']);
    expect(api.comments.at(-1)).toEqual({ id: 100, body: body('fresh') });
  });

  it('warns about write access when the new comment after a PATCH 404 is refused', async () => {
    const api = new MemoryCommentApi();
    api.comments = [{ id: 9, body: body('old') }];
    api.failures = { update: httpError(404, 'Not Found'), create: httpError(403, 'Resource not accessible by integration') };
    const result = await upsertStickyComment(api, body('x'));
    expect(result).toMatchObject({ action: 'skipped', warning: expect.stringContaining('cannot write pull-request comments') });
  });

  it('says the token cannot see the PR on a 404 from listing or creating', async () => {
    for (const on of ['list', 'create'] as const) {
      const api = new MemoryCommentApi();
      api.failures[on] = httpError(404, 'Not Found');
      const result = await upsertStickyComment(api, body('x'));
      if (result.action !== 'skipped') throw new Error(`a 404 on ${on} should skip`);
      expect(result.warning).toContain('(HTTP 404: Not Found). The workflow token cannot see this pull request');
      expect(result.warning).toContain('permissions: pull-requests: write');
      expect(result.warning).toContain('job summary still has the full report');
    }
  });

  it('lets other errors through as a StickyCommentError that names the failed call', async () => {
    const api = new MemoryCommentApi();
    const serverError = httpError(500, 'Server Error');
    api.fail = { on: 'update', error: serverError };
    api.comments = [{ id: 9, body: body('old') }];
    const failure = await upsertStickyComment(api, body('x')).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StickyCommentError);
    expect(failure).toMatchObject({
      step: 'updating the comment',
      status: 500,
      cause: serverError,
      message: 'updating the comment failed (HTTP 500: Server Error)'
    });
    expect(api.calls).toEqual(['list', 'update 9']);

    const network = new MemoryCommentApi();
    network.fail = { on: 'list', error: new TypeError('fetch failed') };
    await expect(upsertStickyComment(network, body('x'))).rejects.toThrow(new StickyCommentError('listing the comments', new TypeError('fetch failed')));
    await expect(upsertStickyComment(network, body('x'))).rejects.toThrow('listing the comments failed (fetch failed)');
  });

  it('does not call a failure with no answer an HTTP 500, though the client numbers it so', async () => {
    // Octokit's shape for a network failure or timeout: status 500 for its retry logic, a request, no response.
    const timeout = Object.assign(new Error('GitHub API did not answer POST /repos/acme/shop/issues/1/comments within 30 s (attempt 4 of 4)'), {
      status: 500,
      request: { method: 'POST', url: '/repos/acme/shop/issues/1/comments' }
    });
    const api = new MemoryCommentApi();
    api.failures.create = timeout;
    await expect(upsertStickyComment(api, body('x'))).rejects.toMatchObject({
      status: undefined,
      message: 'creating the comment failed (GitHub API did not answer POST /repos/acme/shop/issues/1/comments within 30 s (attempt 4 of 4))'
    });
  });
});
