import type { getOctokit } from '@actions/github';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { ChangedFile, PullRequestHost } from '../repo/ChangedFile.js';
import { changedFilesFromGit } from '../repo/git.js';

type Octokit = ReturnType<typeof getOctokit>;

/**
 * Changed files from the REST API (exact, needs no history in the checkout); when the API is
 * out of reach, from `git diff base...head`, which needs the base commit fetched.
 */
export class GitHubPullRequestHost implements PullRequestHost {
  constructor(
    private readonly octokit: Octokit,
    private readonly pr: PullRequestInfo,
    private readonly repoDir: string,
    private readonly warn: (message: string) => void
  ) {}

  async listChangedFiles(): Promise<ChangedFile[]> {
    try {
      const files = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
        owner: this.pr.owner,
        repo: this.pr.repo,
        pull_number: this.pr.number,
        per_page: 100
      });
      return files.map((f) => ({ filename: f.filename, status: f.status }));
    } catch (error) {
      this.warn(`Listing the pull request's files through the API failed (${(error as Error).message}); using git diff ${this.pr.baseSha.slice(0, 7)}...${this.pr.headSha.slice(0, 7)} instead.`);
      try {
        return await changedFilesFromGit(this.repoDir, this.pr.baseSha, this.pr.headSha);
      } catch (gitError) {
        throw new Error(
          `Cannot tell which files the pull request changes: the API failed and ${(gitError as Error).message}. Give the job a token that can read pull requests, or check out with fetch-depth: 0 so the base commit is present.`
        );
      }
    }
  }
}
