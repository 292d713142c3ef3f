import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';

import { createOctokitCommentApi } from '../../src/reporting/octokitCommentApi.js';
import { STICKY_COMMENT_MARKER, renderComment } from '../../src/reporting/renderMarkdown.js';
import { upsertStickyComment } from '../../src/reporting/stickyComment.js';
import { type FakeGitHubApi, startFakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { makeHugeReport, makeReport } from './reportFixture.js';

describe('sticky comment through Octokit against the fake GitHub API', () => {
  let api: FakeGitHubApi;
  const ref = { owner: 'acme', repo: 'shop', pullNumber: 42 };

  beforeEach(async () => {
    api = await startFakeGitHubApi({ token: 'gh-token' });
  });

  afterEach(async () => {
    await api.close();
    expectValidExchanges(api);
  });

  const commentApi = () => createOctokitCommentApi(getOctokit('gh-token', { baseUrl: api.url }), ref);

  it('creates the comment, then updates it: one comment in total', async () => {
    api.addComment('acme', 'shop', 42, 'Nice work!', { login: 'reviewer', id: 7, type: 'User' });

    const first = await upsertStickyComment(commentApi(), renderComment(makeReport({ durationMs: 1_000 })));
    expect(first).toMatchObject({ action: 'created' });
    if (first.action === 'skipped') throw new Error('unreachable');
    expect(first.url).toBe(`https://github.com/acme/shop/pull/42#issuecomment-${first.id}`);

    const second = await upsertStickyComment(commentApi(), renderComment(makeReport({ durationMs: 2_000 })));
    expect(second).toMatchObject({ action: 'updated', id: first.id });

    const thread = api.comments.get(42) ?? [];
    expect(thread).toHaveLength(2);
    const ours = thread.filter((c) => c.body.includes(STICKY_COMMENT_MARKER));
    expect(ours).toHaveLength(1);
    expect(ours[0].body).toContain('run took 2.0 s');
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/acme/shop/issues/42/comments',
      'POST /repos/acme/shop/issues/42/comments',
      'GET /repos/acme/shop/issues/42/comments',
      `PATCH /repos/acme/shop/issues/comments/${first.id}`
    ]);
  });

  it('finds its comment beyond the first page of a busy thread', async () => {
    for (let i = 0; i < 150; i++) api.addComment('acme', 'shop', 42, `chatter ${i}`);
    const mine = api.addComment('acme', 'shop', 42, `${STICKY_COMMENT_MARKER}\nold report`);

    expect(await upsertStickyComment(commentApi(), renderComment(makeReport()))).toMatchObject({ action: 'updated', id: mine.id });
    expect(api.comments.get(42)).toHaveLength(151);
  });

  it('posts a 2,000-candidate report that GitHub would accept', async () => {
    // The fake enforces GitHub's 65,536-character limit with a 422, as the real API does.
    const result = await upsertStickyComment(commentApi(), renderComment(makeHugeReport(2_000, 400)));
    expect(result).toMatchObject({ action: 'created' });
  });

  it('skips with a warning when the token may not write (fork PR)', async () => {
    api.failWith({ method: 'POST', path: '/repos/acme/shop/issues/42/comments' }, 403, 'Resource not accessible by integration');
    const result = await upsertStickyComment(commentApi(), renderComment(makeReport()));
    expect(result).toMatchObject({ action: 'skipped' });
    if (result.action !== 'skipped') throw new Error('unreachable');
    expect(result.warning).toContain('Resource not accessible by integration');
    expect(api.comments.get(42)).toBeUndefined();
  });

  it('propagates server errors, naming the call that failed', async () => {
    api.failWith({ method: 'GET' }, 500, 'Server Error');
    await expect(upsertStickyComment(commentApi(), renderComment(makeReport()))).rejects.toMatchObject({
      name: 'StickyCommentError',
      status: 500,
      message: 'listing the comments failed (HTTP 500: Server Error - https://docs.github.com/rest)'
    });
  });

  it('posts a new comment when its comment is gone by the time it edits it (PATCH 404)', async () => {
    const old = api.addComment('acme', 'shop', 42, `${STICKY_COMMENT_MARKER}\nold report`);
    api.failWith({ method: 'PATCH', path: `/repos/acme/shop/issues/comments/${old.id}` }, 404, 'Not Found');
    const result = await upsertStickyComment(commentApi(), renderComment(makeReport()));
    expect(result).toMatchObject({ action: 'created' });
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /repos/acme/shop/issues/42/comments 200',
      `PATCH /repos/acme/shop/issues/comments/${old.id} 404`,
      'POST /repos/acme/shop/issues/42/comments 201'
    ]);
  });
});
