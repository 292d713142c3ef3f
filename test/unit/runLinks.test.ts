import { describe, expect, it } from '@jest/globals';
import { artifactUrl, workflowRunUrl } from '../../src/action/runLinks.js';

describe('workflowRunUrl', () => {
  const env = { GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'aqe/example', GITHUB_RUN_ID: '1234567' };

  it("is the run's page on the runner's server, for this run or another one", () => {
    expect(workflowRunUrl(env)).toBe('https://github.com/aqe/example/actions/runs/1234567');
    expect(workflowRunUrl({ ...env, GITHUB_SERVER_URL: 'https://ghe.example.com:8443/' }, 99)).toBe('https://ghe.example.com:8443/aqe/example/actions/runs/99');
  });

  it('gives no link when a variable is missing or not of the form GitHub sets', () => {
    expect(workflowRunUrl({ ...env, GITHUB_RUN_ID: undefined })).toBeUndefined();
    expect(workflowRunUrl({ ...env, GITHUB_RUN_ID: '12; rm -rf /' })).toBeUndefined();
    expect(workflowRunUrl({ ...env, GITHUB_REPOSITORY: 'aqe/example)(evil' })).toBeUndefined();
    expect(workflowRunUrl({ ...env, GITHUB_SERVER_URL: 'javascript:alert(1)' })).toBeUndefined();
  });
});

describe('artifactUrl', () => {
  it('is the artifact page under the run, only for an id the service gave', () => {
    expect(artifactUrl('https://github.com/a/b/actions/runs/1', 42)).toBe('https://github.com/a/b/actions/runs/1/artifacts/42');
    expect(artifactUrl('https://github.com/a/b/actions/runs/1', undefined)).toBeUndefined();
    expect(artifactUrl(undefined, 42)).toBeUndefined();
    expect(artifactUrl('https://github.com/a/b/actions/runs/1', 0)).toBeUndefined();
  });
});
