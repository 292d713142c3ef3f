/**
 * The one place the action's GitHub client is made. It is @actions/github's octokit (which reads
 * GITHUB_API_URL and routes through the runner's proxy settings) with three additions, so that a
 * GitHub API that is slow, flaky or gone can never hang the job or cost it the report:
 *
 * - every attempt of every request is aborted after a timeout;
 * - 5xx, 429, network errors and timeouts are retried with backoff (@octokit/plugin-retry);
 * - primary and secondary rate limits wait for GitHub's Retry-After, within a cap (@octokit/plugin-throttling).
 *
 * @actions/github is imported lazily: its module-level `context` parses GITHUB_EVENT_PATH on
 * import, and a broken event file must be reported by our own EventError, not a stack trace.
 */

import type { getOctokit } from '@actions/github';

export type GitHubClient = ReturnType<typeof getOctokit>;

/** How long one attempt of one request may take before it is aborted (and retried). */
export const GITHUB_REQUEST_TIMEOUT_MS = 30_000;
/** Retries after the first attempt, for 5xx, 429, network errors, timeouts and rate limits. */
export const GITHUB_REQUEST_RETRIES = 3;
/** plugin-retry waits (n + 1)² times this before retry n (1 s, 4 s, 9 s). */
export const GITHUB_RETRY_BASE_DELAY_MS = 1_000;
/** A rate limit that resets later than this is not waited for: the call fails, the run goes on. */
export const GITHUB_RATE_LIMIT_MAX_WAIT_S = 60;

/** Environment variables that override the limits above; documented in README ("Environment variables"). */
export const GitHubClientEnv = {
  RequestTimeoutMs: 'AQE_GITHUB_REQUEST_TIMEOUT_MS',
  Retries: 'AQE_GITHUB_RETRIES'
} as const;

export interface GitHubClientLimits {
  requestTimeoutMs: number;
  retries: number;
  retryBaseDelayMs: number;
  rateLimitMaxWaitS: number;
}

export interface GitHubClientOptions extends Partial<GitHubClientLimits> {
  token: string;
  /** Where rate-limit waits are reported; they can last up to a minute and should not look like a hang. */
  warn?: (message: string) => void;
  /** Overrides GITHUB_API_URL (tests against a fake API). */
  baseUrl?: string;
}

export class GitHubClientError extends Error {
  override readonly name = 'GitHubClientError';
}

/**
 * One attempt that did not answer in time. `status` 500 and `request` are what plugin-retry
 * looks for to retry an error, the same shape octokit gives network failures.
 */
export class GitHubRequestTimeoutError extends Error {
  override readonly name = 'GitHubRequestTimeoutError';
  readonly status = 500;
  constructor(
    readonly request: { method: string; url: string; request?: object },
    readonly timeoutMs: number,
    readonly attempt: number,
    readonly attempts: number
  ) {
    super(`GitHub API did not answer ${describeRequest(request)} within ${formatMs(timeoutMs)} (attempt ${attempt} of ${attempts})`);
  }
}

/** Limits from AQE_GITHUB_* variables; unset ones keep their defaults. */
export function gitHubClientLimitsFromEnv(env: NodeJS.ProcessEnv): Partial<GitHubClientLimits> {
  const limits: Partial<GitHubClientLimits> = {};
  const timeout = wholeNumber(env, GitHubClientEnv.RequestTimeoutMs, 1, 600_000);
  if (timeout !== undefined) limits.requestTimeoutMs = timeout;
  const retries = wholeNumber(env, GitHubClientEnv.Retries, 0, 10);
  if (retries !== undefined) limits.retries = retries;
  return limits;
}

export async function createGitHubClient(options: GitHubClientOptions): Promise<GitHubClient> {
  if (options.token === '') {
    throw new GitHubClientError(
      'No GitHub token: the `github-token` input is empty and GITHUB_TOKEN is not set. Leave `github-token` at its default (`${{ github.token }}`) or pass a token that can read pull requests.'
    );
  }
  const limits: GitHubClientLimits = {
    requestTimeoutMs: options.requestTimeoutMs ?? GITHUB_REQUEST_TIMEOUT_MS,
    retries: options.retries ?? GITHUB_REQUEST_RETRIES,
    retryBaseDelayMs: options.retryBaseDelayMs ?? GITHUB_RETRY_BASE_DELAY_MS,
    rateLimitMaxWaitS: options.rateLimitMaxWaitS ?? GITHUB_RATE_LIMIT_MAX_WAIT_S
  };
  const warn = options.warn ?? (() => {});
  const [{ getOctokit: makeOctokit }, { retry }, { throttling }] = await Promise.all([
    import('@actions/github'),
    import('@octokit/plugin-retry'),
    import('@octokit/plugin-throttling')
  ]);
  const onLimit =
    (kind: string) =>
    (retryAfterS: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
      const where = describeRequest(request);
      if (retryAfterS > limits.rateLimitMaxWaitS) {
        warn(`GitHub's ${kind} stopped ${where}; it lifts in ${retryAfterS} s, longer than a run waits (${limits.rateLimitMaxWaitS} s), so the call fails.`);
        return false;
      }
      if (retryCount >= limits.retries) {
        warn(`GitHub's ${kind} stopped ${where} again after ${limits.retries} retries, so the call fails.`);
        return false;
      }
      warn(`GitHub's ${kind} held up ${where}; retrying in ${retryAfterS} s (retry ${retryCount + 1} of ${limits.retries}).`);
      return true;
    };
  // Plugin order matters: the timeout hook is registered first so it sits innermost and every
  // retry (plugin-retry re-enters the hooks inside it) gets a fresh timeout of its own.
  return makeOctokit(
    options.token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      retry: { retries: limits.retries, retryAfterBaseValue: limits.retryBaseDelayMs },
      throttle: {
        onRateLimit: onLimit('rate limit'),
        onSecondaryRateLimit: onLimit('secondary rate limit')
      }
    },
    requestTimeout(limits.requestTimeoutMs, limits.retries + 1),
    retry,
    throttling
  );
}

/**
 * Aborts each attempt after `timeoutMs`. Hooks cannot hand changed options inward (before-after-hook
 * binds every hook to the one options object of the call), so the fresh signal is set on that
 * object, which plugin-retry also reuses for every attempt: the caller's own signal, if any, is
 * remembered from the first attempt, before a spent timeout replaces it.
 * A `request: { signal }` constructor option would not do: it would replace @actions/github's
 * proxy-aware `fetch` in the same object, and one signal would time the whole client, not each call.
 */
function requestTimeout(timeoutMs: number, attempts: number): (octokit: Pick<GitHubClient, 'hook'>) => Record<string, never> {
  const callerSignals = new WeakMap<object, AbortSignal | undefined>();
  return (octokit) => {
    octokit.hook.wrap('request', async (request, options) => {
      if (!callerSignals.has(options)) callerSignals.set(options, options.request?.signal ?? undefined);
      const callerSignal = callerSignals.get(options);
      const timeout = AbortSignal.timeout(timeoutMs);
      options.request = { ...options.request, signal: callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout };
      // plugin-retry counts finished attempts in request.retryCount.
      const attempt = Number((options.request as { retryCount?: number }).retryCount ?? 0) + 1;
      try {
        return await request(options);
      } catch (error) {
        if (timeout.aborted && !callerSignal?.aborted) throw new GitHubRequestTimeoutError(options, timeoutMs, attempt, Math.max(attempt, attempts));
        throw error;
      }
    });
    return {};
  };
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, min: number, max: number): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw.trim());
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new GitHubClientError(
      `${name}=${JSON.stringify(raw)} is not a whole number from ${min} to ${max}. Unset it to use the default, or give such a number.`
    );
  }
  return value;
}

/**
 * "POST /repos/o/r/issues/7/comments": the route with its parameters filled in, without host and
 * query (the host is the runner's own setting, the query adds nothing a reader needs).
 */
function describeRequest(request: { method: string; url: string }): string {
  const params = request as unknown as Record<string, unknown>;
  const filled = request.url.replace(/\{(\w+)\}/g, (whole, name: string) =>
    typeof params[name] === 'string' || typeof params[name] === 'number' ? encodeURIComponent(String(params[name])) : whole
  );
  const path = filled.replace(/^[a-z]+:\/\/[^/]+/i, '').split('?')[0] ?? '';
  return `${request.method} ${path === '' ? '/' : path}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
