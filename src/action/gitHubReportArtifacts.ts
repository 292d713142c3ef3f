/**
 * ReportArtifactSource and PullRequestFinder over the action's GitHub client. The zip download
 * answers 302 to a pre-signed blob URL: the redirect is taken by hand, so the token never goes
 * to the blob host and the bytes are counted as they arrive instead of buffered whole.
 */

import { HttpClient, type HttpClientResponse } from '@actions/http-client';
import type { WorkflowRunInfo } from '../events/WorkflowRunEvent.js';
import type { OpenPullRequest, PullRequestFinder, ReportArtifact, ReportArtifactSource } from '../reporting/reportFromArtifacts.js';
import { GITHUB_REQUEST_TIMEOUT_MS, type GitHubClient } from './createGitHubClient.js';

const PAGE_SIZE = 100;
/** A guard against a misbehaving server: 10 000 artifacts or pull requests is no real run's. */
const MAX_PAGES = 100;

export class ArtifactDownloadError extends Error {
  override readonly name = 'ArtifactDownloadError';
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message);
  }
}

export function gitHubReportArtifacts(octokit: GitHubClient, run: WorkflowRunInfo, timeoutMs = GITHUB_REQUEST_TIMEOUT_MS): ReportArtifactSource {
  const repo = { owner: run.owner, repo: run.repo };
  return {
    async list() {
      const all: ReportArtifact[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const { data } = await octokit.rest.actions.listWorkflowRunArtifacts({ ...repo, run_id: run.runId, per_page: PAGE_SIZE, page });
        for (const a of data.artifacts) all.push({ id: a.id, name: a.name, sizeInBytes: a.size_in_bytes, expired: a.expired });
        if (data.artifacts.length < PAGE_SIZE) break;
      }
      return all;
    },
    async download(artifact, maxBytes) {
      const answer = await octokit.request('GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}', {
        ...repo,
        artifact_id: artifact.id,
        archive_format: 'zip',
        request: { redirect: 'manual' }
      });
      const location = (answer.headers as Record<string, string | undefined>).location;
      if ((answer.status as number) !== 302 || !location) {
        throw new ArtifactDownloadError(`GitHub answered ${answer.status} without a download location for artifact ${artifact.id}`, answer.status);
      }
      return fetchBounded(location, maxBytes, timeoutMs);
    }
  };
}

/**
 * Reads at most `maxBytes` from `url`, which must answer within `timeoutMs` as a whole. Through
 * @actions/http-client, which honours the runner's proxy (HTTPS_PROXY, NO_PROXY) as the API calls
 * do; it is given no token.
 */
async function fetchBounded(url: string, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const client = new HttpClient('aqe-local-inference', [], { socketTimeout: timeoutMs, keepAlive: false, allowRedirects: false });
  let timer: NodeJS.Timeout | undefined;
  let response: HttpClientResponse | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      response?.message.destroy();
      reject(new ArtifactDownloadError(`the artifact's storage did not answer within ${Math.round(timeoutMs / 1000)} s`));
    }, timeoutMs);
    timer.unref();
  });
  try {
    try {
      response = await Promise.race([client.get(url), deadline]);
    } catch (error) {
      if (error instanceof ArtifactDownloadError) throw error;
      throw new ArtifactDownloadError(`the artifact's storage did not answer (${(error as Error).message})`);
    }
    const message = response.message;
    const status = message.statusCode ?? 0;
    if (status < 200 || status >= 300) {
      message.resume();
      throw new ArtifactDownloadError(`the artifact's storage answered ${status}`, status);
    }
    const declared = Number(message.headers['content-length'] ?? NaN);
    if (declared > maxBytes) {
      message.destroy();
      throw new ArtifactDownloadError(`the artifact is ${declared} bytes, more than the ${maxBytes} a report artifact may be`);
    }
    return await Promise.race([readBounded(message, maxBytes), deadline]);
  } finally {
    clearTimeout(timer);
    client.dispose();
  }
}

async function readBounded(stream: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        throw new ArtifactDownloadError(`the artifact is more than the ${maxBytes} bytes a report artifact may be`);
      }
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ArtifactDownloadError) throw error;
    throw new ArtifactDownloadError(`the artifact's download broke off (${(error as Error).message})`);
  }
  return Buffer.concat(chunks);
}

export function gitHubPullRequestFinder(octokit: GitHubClient, owner: string, repo: string): PullRequestFinder {
  return {
    async openWithHead(headOwner, headBranch) {
      const found: OpenPullRequest[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const { data } = await octokit.rest.pulls.list({ owner, repo, state: 'open', head: `${headOwner}:${headBranch}`, per_page: PAGE_SIZE, page });
        for (const p of data) found.push({ number: p.number, headSha: p.head.sha, baseSha: p.base.sha, title: p.title, url: p.html_url });
        if (data.length < PAGE_SIZE) break;
      }
      return found;
    }
  };
}
