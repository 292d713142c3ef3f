import type { getOctokit } from '@actions/github';
import type { PullRequestInfo } from '../events/PullRequestEvent.js';
import type { ChangedFile, PullRequestHost } from '../repo/ChangedFile.js';
import { DiffParseError, parsePatchLines } from '../repo/changedLines.js';
import { changedFilesFromGit, changedLinesFromGit } from '../repo/git.js';

type Octokit = ReturnType<typeof getOctokit>;
type PullFile = Awaited<ReturnType<Octokit['rest']['pulls']['listFiles']>>['data'][number];

/**
 * Changed files from the REST API (exact, needs no history in the checkout); when the API is
 * out of reach, from `git diff base...head`, which needs the base commit fetched.
 *
 * Changed lines come from each file's `patch`. GitHub leaves `patch` out for binary files and
 * for diffs past its size limits; those files get their lines from git when both commits are in
 * the checkout, and otherwise stay unknown (the whole file counts as changed).
 */
export class GitHubPullRequestHost implements PullRequestHost {
  constructor(
    private readonly octokit: Octokit,
    private readonly pr: PullRequestInfo,
    private readonly repoDir: string,
    private readonly warn: (message: string) => void
  ) {}

  async listChangedFiles(): Promise<ChangedFile[]> {
    let listed: PullFile[];
    try {
      listed = await this.octokit.paginate(this.octokit.rest.pulls.listFiles, {
        owner: this.pr.owner,
        repo: this.pr.repo,
        pull_number: this.pr.number,
        per_page: 100
      });
    } catch (error) {
      this.warn(
        `Listing the pull request's files through the API failed (${(error as Error).message}); using git diff ${this.pr.baseSha.slice(0, 7)}...${this.pr.headSha.slice(0, 7)} instead.`
      );
      try {
        return await changedFilesFromGit(this.repoDir, this.pr.baseSha, this.pr.headSha);
      } catch (gitError) {
        throw new Error(
          `Cannot tell which files the pull request changes: the API failed and ${(gitError as Error).message}. Give the job a token that can read pull requests, or check out with fetch-depth: 0 so the base commit is present.`
        );
      }
    }
    const files = listed.map(fromApi);
    await this.fillLinesGitHubLeftOut(files, listed);
    return files;
  }

  private async fillLinesGitHubLeftOut(files: ChangedFile[], listed: readonly PullFile[]): Promise<void> {
    const missing = files.filter((f) => f.changedLines === undefined);
    if (missing.length === 0) return;
    try {
      const lines = await changedLinesFromGit(this.repoDir, this.pr.baseSha, this.pr.headSha, missing);
      for (const file of missing) file.changedLines = lines.get(file.filename);
    } catch (error) {
      // Binary files (no patch, no line counts) are expected here; only withheld text diffs are worth a warning.
      const withheld = listed.filter((f) => f.patch === undefined && f.changes > 0).map((f) => f.filename);
      if (withheld.length === 0) return;
      this.warn(
        `GitHub sent no diff for ${withheld.length} large file(s) (${withheld.slice(0, 3).join(', ')}${withheld.length > 3 ? ', …' : ''}) and git could not supply one (${(error as Error).message}); every line of them counts as changed. Check out with fetch-depth: 0 to measure only their changed lines.`
      );
    }
  }
}

function fromApi(file: PullFile): ChangedFile {
  const changed: ChangedFile = { filename: file.filename, status: file.status };
  if (file.previous_filename !== undefined) changed.previousFilename = file.previous_filename;
  if (file.status === 'removed') changed.changedLines = [];
  else if (file.patch !== undefined) changed.changedLines = linesOfPatch(file.patch);
  return changed;
}

/** A patch that does not parse is treated like a missing one: the lines are then asked of git. */
function linesOfPatch(patch: string): number[] | undefined {
  try {
    return parsePatchLines(patch);
  } catch (error) {
    if (error instanceof DiffParseError) return undefined;
    throw error;
  }
}
