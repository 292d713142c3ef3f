import { expect } from '@jest/globals';

import type { FakeGitHubApi } from './fakeGitHubApi.js';

/**
 * Asserts that every request the fake GitHub API received and every response it sent matched
 * GitHub's OpenAPI description. Call it after each test (or once after all) of a file that starts
 * the fake; a test that sends something invalid on purpose asserts and removes its own problems first.
 */
export function expectValidExchanges(api: Pick<FakeGitHubApi, 'openApiProblems'> | undefined): void {
  // A beforeAll that failed before starting the fake has already failed the file.
  if (api === undefined) return;
  expect(api.openApiProblems).toEqual([]);
}
