import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import { expectValidExchanges } from './expectValidExchanges.js';
import { type FakeComment, type FakeGitHubApi, startFakeGitHubApi } from './fakeGitHubApi.js';

describe('fake GitHub API', () => {
  let api: FakeGitHubApi;

  beforeEach(async () => {
    api = await startFakeGitHubApi();
  });

  afterEach(async () => {
    await api.close();
    expectValidExchanges(api);
  });

  const get = (path: string, init: RequestInit = {}): Promise<Response> => fetch(`${api.url}${path}`, init);
  const send = (method: string, path: string, body: unknown, token = 't0ken'): Promise<Response> =>
    fetch(`${api.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `token ${token}` },
      body: JSON.stringify(body)
    });

  it('listens on 127.0.0.1 with a random port', () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('serves pull files with GitHub fields, paging through a Link header', async () => {
    api.setPullFiles('acme', 'shop', 7, [
      { filename: 'src/a.ts', status: 'added', additions: 10, patch: '@@ -0,0 +1,10 @@' },
      { filename: 'src/b.ts', additions: 2, deletions: 3 },
      { filename: 'src/new-name.ts', previous_filename: 'src/old-name.ts' },
      { filename: 'src/gone.ts', status: 'removed', deletions: 4 },
      { filename: 'src/e.ts' }
    ]);

    const first = await get('/repos/acme/shop/pulls/7/files?per_page=2');
    expect(first.status).toBe(200);
    const page1 = (await first.json()) as Array<Record<string, unknown>>;
    expect(page1.map((f) => f.filename)).toEqual(['src/a.ts', 'src/b.ts']);
    expect(page1[0]).toMatchObject({ status: 'added', additions: 10, deletions: 0, changes: 10, patch: '@@ -0,0 +1,10 @@' });
    expect(page1[0].sha).toMatch(/^[0-9a-f]{40}$/);
    expect(page1[1]).toMatchObject({ status: 'modified', changes: 5 });
    expect(page1[1]).not.toHaveProperty('patch');

    const link = first.headers.get('link') ?? '';
    expect(link).toContain('rel="next"');
    expect(link).toContain('rel="last"');
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? '';
    expect(new URL(next).searchParams.get('page')).toBe('2');

    const page2 = (await (await fetch(next)).json()) as Array<Record<string, unknown>>;
    expect(page2).toEqual([
      expect.objectContaining({ filename: 'src/new-name.ts', status: 'renamed', previous_filename: 'src/old-name.ts' }),
      expect.objectContaining({ filename: 'src/gone.ts', status: 'removed', deletions: 4 })
    ]);

    const last = await get('/repos/acme/shop/pulls/7/files?per_page=2&page=3');
    expect(((await last.json()) as unknown[]).length).toBe(1);
    expect(last.headers.get('link')).toContain('rel="prev"');
    expect(last.headers.get('link')).not.toContain('rel="next"');
  });

  it('serves the pull request itself, and 404 for one it does not know', async () => {
    api.setPull('acme', 'shop', 3, { title: 'Add cart', headSha: 'a'.repeat(40), headRepo: 'forker/shop' });
    api.setPullFiles('acme', 'shop', 3, [{ filename: 'src/cart.ts', additions: 5, deletions: 1 }]);

    const pr = (await (await get('/repos/acme/shop/pulls/3')).json()) as { head: unknown; base: { repo: unknown } };
    expect(pr).toMatchObject({ number: 3, state: 'open', title: 'Add cart', changed_files: 1, additions: 5, deletions: 1 });
    expect(pr.head).toMatchObject({ sha: 'a'.repeat(40), repo: { full_name: 'forker/shop', fork: true } });
    expect(pr.base.repo).toMatchObject({ full_name: 'acme/shop', fork: false });

    const missing = await get('/repos/acme/shop/pulls/99');
    expect(missing.status).toBe(404);
  });

  it('creates, lists and updates issue comments, keeping state per issue', async () => {
    const created = await send('POST', '/repos/acme/shop/issues/7/comments', { body: 'first' });
    expect(created.status).toBe(201);
    const comment = (await created.json()) as FakeComment;
    expect(comment).toMatchObject({ body: 'first', user: { login: 'github-actions[bot]', type: 'Bot' } });
    expect(typeof comment.id).toBe('number');
    expect(comment.html_url).toBe(`https://github.com/acme/shop/pull/7#issuecomment-${comment.id}`);

    const patched = await send('PATCH', `/repos/acme/shop/issues/comments/${comment.id}`, { body: 'second' });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { body: string }).body).toBe('second');

    const listed = (await (await get('/repos/acme/shop/issues/7/comments')).json()) as Array<{ id: number; body: string }>;
    expect(listed).toEqual([expect.objectContaining({ id: comment.id, body: 'second' })]);
    expect(api.comments.get(7)?.map((c) => c.body)).toEqual(['second']);
    expect(api.comments.get(8)).toBeUndefined();

    // The same issue number in another repository is a different thread.
    const elsewhere = (await (await get('/repos/other/repo/issues/7/comments')).json()) as unknown[];
    expect(elsewhere).toEqual([]);
    expect((await send('PATCH', `/repos/other/repo/issues/comments/${comment.id}`, { body: 'x' })).status).toBe(404);
  });

  it('pages comments with a Link header', async () => {
    for (let i = 0; i < 5; i++) api.addComment('acme', 'shop', 1, `c${i}`);
    const res = await get('/repos/acme/shop/issues/1/comments?per_page=2&page=2');
    expect(((await res.json()) as Array<{ body: string }>).map((c) => c.body)).toEqual(['c2', 'c3']);
    expect(res.headers.get('link')).toMatch(/page=3[^>]*>; rel="next"/);
  });

  it('answers 422 for a missing or oversized comment body, like GitHub', async () => {
    expect((await send('POST', '/repos/acme/shop/issues/1/comments', {})).status).toBe(422);
    // The request was invalid, and the validator says so; the 422 answer itself is as documented.
    expect(api.openApiProblems.splice(0)).toEqual([
      {
        method: 'POST',
        path: '/repos/acme/shop/issues/1/comments',
        operationId: 'issues/create-comment',
        problems: ["request body at #: must have required property 'body'"]
      }
    ]);
    const tooLong = await send('POST', '/repos/acme/shop/issues/1/comments', { body: 'x'.repeat(65_537) });
    expect(tooLong.status).toBe(422);
    expect(JSON.stringify(await tooLong.json())).toContain('body is too long');
    expect(api.comments.get(1)).toBeUndefined();
  });

  it('records every request: method, path, query, authorization and parsed body', async () => {
    await send('POST', '/repos/acme/shop/issues/2/comments?x=1', { body: 'hello' }, 'secret');
    expect(api.requests).toEqual([
      {
        method: 'POST',
        path: '/repos/acme/shop/issues/2/comments',
        query: { x: '1' },
        headers: expect.objectContaining({ authorization: 'token secret' }),
        body: { body: 'hello' },
        status: 201
      }
    ]);
    // x is no parameter of the operation.
    expect(api.openApiProblems.splice(0)).toEqual([
      expect.objectContaining({ operationId: 'issues/create-comment', problems: ["request parameters at #/query: must NOT have additional properties 'x'"] })
    ]);
  });

  it('answers unknown routes with a JSON 404, and records them too', async () => {
    const res = await get('/nope/at/all?q=1');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ message: 'Not Found' });
    expect(api.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/nope/at/all', query: { q: '1' }, status: 404 })]);
    const unknown = { method: 'GET', path: '/nope/at/all', problems: ["no operation in GitHub's OpenAPI description matches GET /nope/at/all"] };
    expect(api.openApiProblems.splice(0)).toEqual([unknown, unknown]);
  });

  it('leaves paths outside the REST API (blob downloads, the results service) to their own checks', async () => {
    expect((await get('/_blob/artifact/1')).status).toBe(404);
    expect((await send('POST', '/twirp/github.actions.results.api.v1.ArtifactService/CreateArtifact', {})).status).toBe(404);
    expect(api.requests).toHaveLength(2);
    expect(api.openApiProblems).toEqual([]);
  });

  it('injects errors for matching requests, optionally a limited number of times', async () => {
    api.failWith({ method: 'POST', path: /\/issues\/\d+\/comments$/ }, 403, 'Resource not accessible by integration');
    api.failWith((req) => req.path.endsWith('/pulls/5'), 502, 'Bad gateway', { times: 1 });
    api.setPull('acme', 'shop', 5, {});

    const denied = await send('POST', '/repos/acme/shop/issues/5/comments', { body: 'hi' });
    expect(denied.status).toBe(403);
    expect(await denied.json()).toMatchObject({ message: 'Resource not accessible by integration' });
    expect(api.comments.get(5)).toBeUndefined();
    // Reads are unaffected by a matcher for POST.
    expect((await get('/repos/acme/shop/issues/5/comments')).status).toBe(200);

    expect((await get('/repos/acme/shop/pulls/5')).status).toBe(502);
    expect((await get('/repos/acme/shop/pulls/5')).status).toBe(200);

    api.clearFailures();
    expect((await send('POST', '/repos/acme/shop/issues/5/comments', { body: 'hi' })).status).toBe(201);
  });

  it('requires the configured token when one is given', async () => {
    const guarded = await startFakeGitHubApi({ token: 'right' });
    try {
      const wrong = await fetch(`${guarded.url}/repos/a/b/issues/1/comments`, { headers: { authorization: 'token wrong' } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ message: 'Bad credentials' });
      const right = await fetch(`${guarded.url}/repos/a/b/issues/1/comments`, { headers: { authorization: 'Bearer right' } });
      expect(right.status).toBe(200);
    } finally {
      await guarded.close();
    }
    expectValidExchanges(guarded);
  });

  it('works with Octokit from @actions/github, including paginate over several pages', async () => {
    const files = Array.from({ length: 75 }, (_, i) => ({ filename: `src/file${i}.ts`, additions: 1 }));
    api.setPullFiles('acme', 'shop', 11, files);
    api.setPull('acme', 'shop', 11, { title: 'Many files' });

    const { getOctokit } = await import('@actions/github');
    const octokit = getOctokit('gh-token', { baseUrl: api.url });

    const listed = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner: 'acme',
      repo: 'shop',
      pull_number: 11,
      per_page: 30
    });
    expect(listed.map((f) => f.filename)).toEqual(files.map((f) => f.filename));
    const pages = api.requests.filter((r) => r.path === '/repos/acme/shop/pulls/11/files');
    expect(pages.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3']);
    expect(pages.every((r) => r.headers.authorization === 'token gh-token')).toBe(true);

    const { data: pr } = await octokit.rest.pulls.get({ owner: 'acme', repo: 'shop', pull_number: 11 });
    expect(pr.title).toBe('Many files');

    const { data: created } = await octokit.rest.issues.createComment({ owner: 'acme', repo: 'shop', issue_number: 11, body: 'hi' });
    expect(created.body).toBe('hi');

    api.failWith({ method: 'PATCH' }, 403, 'Resource not accessible by integration');
    await expect(octokit.rest.issues.updateComment({ owner: 'acme', repo: 'shop', comment_id: created.id, body: 'x' })).rejects.toMatchObject({ status: 403 });
  });
});
