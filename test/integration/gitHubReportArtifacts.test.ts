import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createGitHubClient } from '../../src/action/createGitHubClient.js';
import { ArtifactDownloadError, gitHubReportArtifacts } from '../../src/action/gitHubReportArtifacts.js';
import { parseWorkflowRunPayload } from '../../src/events/WorkflowRunEvent.js';
import { expectValidExchanges } from '../support/expectValidExchanges.js';
import { startFakeGitHubApi, type FakeGitHubApi } from '../support/fakeGitHubApi.js';
import { workflowRunPayload } from '../support/workflowRunPayload.js';
import { buildZip } from '../support/zipBuilder.js';

const HEAD = `1111111${'a'.repeat(33)}`;

/** The artifact download of comment-from-artifact: the API's redirect taken by hand, the blob read bounded, without the token. */
describe('gitHubReportArtifacts', () => {
  let github: FakeGitHubApi;
  const apiUrl = process.env.GITHUB_API_URL;
  const zip = buildZip([{ name: 'aqe-report.json', data: '{"schemaVersion":1}' }]);

  beforeAll(async () => {
    github = await startFakeGitHubApi({ token: 'write-token' });
    process.env.GITHUB_API_URL = github.url;
    github.addWorkflowRunArtifact('acme', 'shop', 77, 'aqe-report-pr1', zip);
  });
  afterAll(async () => {
    if (apiUrl === undefined) delete process.env.GITHUB_API_URL;
    else process.env.GITHUB_API_URL = apiUrl;
    await github?.close();
    expectValidExchanges(github);
  });

  async function source(timeoutMs: number): Promise<ReturnType<typeof gitHubReportArtifacts>> {
    const octokit = await createGitHubClient({ token: 'write-token', retries: 0 });
    const run = parseWorkflowRunPayload(workflowRunPayload({ owner: 'acme', repo: 'shop', runId: 77, headSha: HEAD, headOwner: 'someone' }), 'event.json');
    return gitHubReportArtifacts(octokit, run, timeoutMs);
  }

  it('lists the run’s artifacts and downloads one through the redirect, without sending the token to the storage', async () => {
    const artifacts = await source(5_000);
    const [listed] = await artifacts.list();
    expect(listed).toMatchObject({ name: 'aqe-report-pr1', sizeInBytes: zip.length, expired: false });
    expect(await artifacts.download(listed!, 1024 ** 2)).toEqual(zip);
    const blob = github.requests.filter((r) => r.path.startsWith('/_blob/'));
    expect(blob.map((r) => r.headers.authorization)).toEqual([undefined]);
  });

  it('refuses to read more than it may', async () => {
    const artifacts = await source(5_000);
    const [listed] = await artifacts.list();
    await expect(artifacts.download(listed!, zip.length - 1)).rejects.toThrow(ArtifactDownloadError);
  });

  it('gives up on a storage that never answers, within its time', async () => {
    const artifacts = await source(700);
    const [listed] = await artifacts.list();
    github.hangOn({ path: /^\/_blob\// });
    const started = Date.now();
    await expect(artifacts.download(listed!, 1024 ** 2)).rejects.toThrow(/did not answer/);
    expect(Date.now() - started).toBeLessThan(5_000);
    github.clearFailures();
  });
});
