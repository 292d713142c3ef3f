/**
 * The action's GitHub client against the fake GitHub API on 127.0.0.1, with its faults: an API
 * that never answers, 5xx that pass or persist, and rate limits. Limits are shortened through the
 * options the action takes from AQE_GITHUB_* so the suite stays fast; the mechanics are the real ones.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';

import {
  createGitHubClient,
  GitHubClientError,
  gitHubClientLimitsFromEnv,
  GitHubRequestTimeoutError,
  type GitHubClientOptions
} from '../../src/action/createGitHubClient.js';
import { type FakeGitHubApi, startFakeGitHubApi } from '../support/fakeGitHubApi.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';

const FILES = '/repos/acme/shop/pulls/5/files';
const COMMENTS = '/repos/acme/shop/issues/5/comments';

let api: FakeGitHubApi;
let warnings: string[];

beforeEach(async () => {
  api = await startFakeGitHubApi({ token: 'gh-token' });
  api.setPullFiles('acme', 'shop', 5, [{ filename: 'src/a.ts', additions: 1, patch: '@@ -0,0 +1 @@\n+a' }]);
  warnings = [];
});
afterEach(async () => {
  await api.close();
  expectValidExchanges(api);
});

const client = (options: Partial<GitHubClientOptions> = {}) =>
  createGitHubClient({
    token: 'gh-token',
    baseUrl: api.url,
    requestTimeoutMs: 300,
    retries: 2,
    retryBaseDelayMs: 10,
    warn: (m) => warnings.push(m),
    ...options
  });

const listFiles = async (options?: Partial<GitHubClientOptions>) => {
  const octokit = await client(options);
  return octokit.paginate(octokit.rest.pulls.listFiles, { owner: 'acme', repo: 'shop', pull_number: 5, per_page: 100 });
};

const sent = (path: string): number => api.requests.filter((r) => r.path === path).length;

describe('createGitHubClient', () => {
  it('aborts an attempt that gets no answer and retries it', async () => {
    api.hangOn({ path: FILES }, { times: 1 });
    const files = await listFiles();
    expect(files.map((f) => f.filename)).toEqual(['src/a.ts']);
    expect(sent(FILES)).toBe(2);
  });

  it('gives up on an API that never answers, in bounded time, naming the call', async () => {
    api.hangOn({ path: FILES });
    const started = Date.now();
    const failure = await listFiles().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GitHubRequestTimeoutError);
    expect((failure as Error).message).toBe('GitHub API did not answer GET /repos/acme/shop/pulls/5/files within 300 ms (attempt 3 of 3)');
    expect(sent(FILES)).toBe(3);
    // Three attempts of 300 ms and backoffs of 10 and 40 ms; far from anything like a hang.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('times out a POST that hangs and keeps the route in the message', async () => {
    api.hangOn({ method: 'POST', path: COMMENTS });
    const octokit = await client({ retries: 0 });
    await expect(octokit.rest.issues.createComment({ owner: 'acme', repo: 'shop', issue_number: 5, body: 'x' })).rejects.toThrow(
      'GitHub API did not answer POST /repos/acme/shop/issues/5/comments within 300 ms (attempt 1 of 1)'
    );
    expect(api.comments.get(5)).toBeUndefined();
  });

  it('retries a 5xx until it passes', async () => {
    api.failWith({ path: FILES }, 502, 'Bad Gateway', { times: 2 });
    expect(await listFiles()).toHaveLength(1);
    expect(api.requests.filter((r) => r.path === FILES).map((r) => r.status)).toEqual([502, 502, 200]);
  });

  it('fails with the last 5xx once the retries are spent', async () => {
    api.failWith({ path: FILES }, 500, 'Server Error');
    await expect(listFiles()).rejects.toMatchObject({ status: 500, message: expect.stringContaining('Server Error') });
    expect(sent(FILES)).toBe(3);
  });

  it('retries a 429', async () => {
    api.failWith({ path: FILES }, 429, 'Too Many Requests', { times: 1 });
    expect(await listFiles()).toHaveLength(1);
    expect(sent(FILES)).toBe(2);
  });

  it.each([403, 404, 422])('does not retry a %i', async (status) => {
    api.failWith({ path: FILES }, status, 'No');
    await expect(listFiles()).rejects.toMatchObject({ status });
    expect(sent(FILES)).toBe(1);
  });

  it("waits out a secondary rate limit for GitHub's Retry-After, and says so", async () => {
    api.failWith({ path: FILES }, 403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {
      times: 1,
      headers: { 'retry-after': '1' }
    });
    const started = Date.now();
    expect(await listFiles()).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sent(FILES)).toBe(2);
    expect(warnings).toEqual(["GitHub's secondary rate limit held up GET /repos/acme/shop/pulls/5/files; retrying in 1 s (retry 1 of 2)."]);
  });

  it('does not wait for a rate limit that lifts later than the cap', async () => {
    api.failWith({ path: FILES }, 403, 'You have exceeded a secondary rate limit.', { headers: { 'retry-after': '3600' } });
    await expect(listFiles()).rejects.toMatchObject({ status: 403 });
    expect(sent(FILES)).toBe(1);
    expect(warnings).toEqual([
      "GitHub's secondary rate limit stopped GET /repos/acme/shop/pulls/5/files; it lifts in 3600 s, longer than a run waits (60 s), so the call fails."
    ]);
  });

  it('names the input when there is no token', async () => {
    await expect(createGitHubClient({ token: '' })).rejects.toThrow(GitHubClientError);
    await expect(createGitHubClient({ token: '' })).rejects.toThrow(/`github-token` input is empty/);
  });
});

describe('gitHubClientLimitsFromEnv', () => {
  it('reads the limits that are set and leaves the rest to the defaults', () => {
    expect(gitHubClientLimitsFromEnv({})).toEqual({});
    expect(gitHubClientLimitsFromEnv({ AQE_GITHUB_REQUEST_TIMEOUT_MS: ' 2500 ', AQE_GITHUB_RETRIES: '0' })).toEqual({ requestTimeoutMs: 2500, retries: 0 });
  });

  it.each([
    ['AQE_GITHUB_REQUEST_TIMEOUT_MS', '30s'],
    ['AQE_GITHUB_REQUEST_TIMEOUT_MS', '0'],
    ['AQE_GITHUB_RETRIES', '-1'],
    ['AQE_GITHUB_RETRIES', '1.5']
  ])('names %s when it is %j', (name, value) => {
    expect(() => gitHubClientLimitsFromEnv({ [name]: value })).toThrow(new RegExp(`^${name}="${value.replace('.', '\\.')}" is not a whole number from`));
  });
});
