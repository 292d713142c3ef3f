import { beforeAll, describe, expect, it } from '@jest/globals';

import { type GitHubOpenApi, loadGitHubOpenApi } from './githubOpenApi.js';

/** A comment as GitHub documents it (issue-comment), complete enough to validate. */
function validComment(): Record<string, unknown> {
  const login = 'github-actions[bot]';
  const user = `https://api.github.com/users/${encodeURIComponent(login)}`;
  return {
    id: 1,
    node_id: 'IC_1',
    url: 'https://api.github.com/repos/acme/shop/issues/comments/1',
    html_url: 'https://github.com/acme/shop/pull/7#issuecomment-1',
    issue_url: 'https://api.github.com/repos/acme/shop/issues/7',
    body: 'hello',
    user: {
      login,
      id: 41898282,
      node_id: 'MDM6Qm90NDE4OTgyODI=',
      avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
      gravatar_id: '',
      url: user,
      html_url: 'https://github.com/apps/github-actions',
      followers_url: `${user}/followers`,
      following_url: `${user}/following{/other_user}`,
      gists_url: `${user}/gists{/gist_id}`,
      starred_url: `${user}/starred{/owner}{/repo}`,
      subscriptions_url: `${user}/subscriptions`,
      organizations_url: `${user}/orgs`,
      repos_url: `${user}/repos`,
      events_url: `${user}/events{/privacy}`,
      received_events_url: `${user}/received_events`,
      type: 'Bot',
      site_admin: false
    },
    author_association: 'NONE',
    created_at: '2024-01-01T00:00:01Z',
    updated_at: '2024-01-01T00:00:01Z'
  };
}

const COMMENTS = '/repos/acme/shop/issues/7/comments';

describe("GitHub's OpenAPI description as a validator", () => {
  let spec: GitHubOpenApi;

  beforeAll(async () => {
    spec = await loadGitHubOpenApi();
  });

  // No timing here: a suite's figures depend on the machine and its load (it took 4.9 s once on a loaded CI machine).
  it('loads once per module instance, and compiles an operation', async () => {
    expect(await loadGitHubOpenApi()).toBe(spec);
    expect(() => spec.prepare('GET', '/repos/{owner}/{repo}/pulls/{pull_number}')).not.toThrow();
  });

  it('accepts a documented exchange and names its operation', () => {
    expect(spec.validateRequest({ method: 'POST', path: COMMENTS, query: {}, body: { body: 'hi' } })).toEqual({
      operationId: 'issues/create-comment',
      problems: []
    });
    expect(spec.validateResponse({ method: 'POST', path: COMMENTS, status: 201, body: validComment() })).toEqual({
      operationId: 'issues/create-comment',
      problems: []
    });
    expect(spec.validateResponse({ method: 'GET', path: COMMENTS, status: 200, body: [validComment()] }).problems).toEqual([]);
    expect(spec.validateResponse({ method: 'DELETE', path: '/repos/acme/shop/issues/comments/1', status: 204, body: undefined })).toEqual({
      operationId: 'issues/delete-comment',
      problems: []
    });
  });

  it('prefers a literal segment to a parameter when both templates match', () => {
    expect(spec.validateRequest({ method: 'GET', path: '/repos/acme/shop/issues/comments/5', query: {}, body: undefined }).operationId).toBe(
      'issues/get-comment'
    );
  });

  it('reports a response comment without id, or with a string where an integer belongs, naming the field', () => {
    const { id: _id, ...withoutId } = validComment();
    expect(spec.validateResponse({ method: 'POST', path: COMMENTS, status: 201, body: withoutId }).problems).toEqual([
      "response 201 body at #: must have required property 'id'"
    ]);
    const stringId = { ...validComment(), id: '1' };
    expect(spec.validateResponse({ method: 'GET', path: COMMENTS, status: 200, body: [stringId] }).problems).toEqual([
      'response 200 body at #/0/id: must be integer'
    ]);
    const { node_id: _n, ...user } = validComment().user as Record<string, unknown>;
    const problems = spec.validateResponse({ method: 'POST', path: COMMENTS, status: 201, body: { ...validComment(), user } }).problems;
    expect(problems).toContain("response 201 body at #/user: must have required property 'node_id'");
  });

  it('checks the timestamps and URLs the fakes produce against their formats', () => {
    const body = { ...validComment(), created_at: 'yesterday', html_url: 'github.com/acme/shop/pull/7' };
    expect(spec.validateResponse({ method: 'POST', path: COMMENTS, status: 201, body }).problems).toEqual([
      'response 201 body at #/html_url: must match format "uri"',
      'response 201 body at #/created_at: must match format "date-time"'
    ]);
  });

  it('reports a POST without body, a body with the wrong type, and a missing body', () => {
    expect(spec.validateRequest({ method: 'POST', path: COMMENTS, query: {}, body: {} }).problems).toEqual([
      "request body at #: must have required property 'body'"
    ]);
    expect(spec.validateRequest({ method: 'PATCH', path: '/repos/acme/shop/issues/comments/1', query: {}, body: { body: 3 } }).problems).toEqual([
      'request body at #/body: must be string'
    ]);
    expect(spec.validateRequest({ method: 'POST', path: COMMENTS, query: {}, body: undefined }).problems).toEqual([
      'request body at #: required by the operation, but the request had none'
    ]);
  });

  it('checks query and path parameters: known names and their types', () => {
    expect(spec.validateRequest({ method: 'GET', path: COMMENTS, query: { per_page: '100', page: '2' }, body: undefined }).problems).toEqual([]);
    expect(spec.validateRequest({ method: 'GET', path: COMMENTS, query: { per_page: 'lots', sort: 'x' }, body: undefined }).problems).toEqual([
      "request parameters at #/query: must NOT have additional properties 'sort'",
      'request parameters at #/query/per_page: must be integer'
    ]);
    expect(spec.validateRequest({ method: 'GET', path: '/repos/acme/shop/issues/seven/comments', query: {}, body: undefined }).problems).toEqual([
      'request parameters at #/path/issue_number: must be integer'
    ]);
  });

  it('validates error bodies, and reports statuses the operation does not document', () => {
    const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };
    expect(spec.validateResponse({ method: 'GET', path: COMMENTS, status: 404, body: notFound }).problems).toEqual([]);
    expect(spec.validateResponse({ method: 'GET', path: COMMENTS, status: 404, body: { message: 404 } }).problems).toEqual([
      'response 404 body at #/message: must be string'
    ]);
    // 409 is documented nowhere for updating a comment, nor one GitHub answers on any endpoint.
    expect(spec.validateResponse({ method: 'PATCH', path: '/repos/acme/shop/issues/comments/1', status: 409, body: notFound }).problems).toEqual([
      'response status 409 is not documented for issues/update-comment (documented: 200, 422)'
    ]);
    expect(spec.validateResponse({ method: 'DELETE', path: '/repos/acme/shop/issues/comments/1', status: 204, body: {} }).problems).toEqual([
      'response 204 body at #: the status has no content, but a body was sent'
    ]);
  });

  it('reports a path that is no operation of the REST API', () => {
    expect(spec.validateRequest({ method: 'GET', path: '/nope/at/all', query: {}, body: undefined })).toEqual({
      problems: ["no operation in GitHub's OpenAPI description matches GET /nope/at/all"]
    });
    expect(spec.validateRequest({ method: 'PUT', path: COMMENTS, query: {}, body: undefined }).problems).toEqual([
      `no operation in GitHub's OpenAPI description matches PUT ${COMMENTS}`
    ]);
  });
});
