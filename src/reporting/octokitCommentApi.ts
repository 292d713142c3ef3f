/**
 * CommentApi over an Octokit-shaped client. The client is described structurally rather than
 * imported, so the core keeps no dependency on @actions/*: the action adapter passes in the
 * octokit it got from @actions/github, tests pass one pointed at the fake API.
 */

import type { CommentApi } from './stickyComment.js';

// Type aliases rather than interfaces: only aliases are assignable to Octokit's
// index-signature `RequestParameters`, which is what lets a real octokit satisfy IssueCommentsClient.
type IssueRef = {
  owner: string;
  repo: string;
  issue_number: number;
};

interface CommentData {
  id: number;
  body?: string | null;
  html_url?: string;
  user?: { type?: string } | null;
}

/** The slice of `octokit.rest.issues` that the sticky comment uses. */
export interface IssueCommentsClient {
  rest: {
    issues: {
      listComments(params: IssueRef & { per_page?: number; page?: number }): Promise<{ data: CommentData[] }>;
      createComment(params: IssueRef & { body: string }): Promise<{ data: CommentData }>;
      updateComment(params: { owner: string; repo: string; comment_id: number; body: string }): Promise<{
        data: CommentData;
      }>;
    };
  };
}

export interface PullRequestRef {
  owner: string;
  repo: string;
  /** PR comments are issue comments; the PR number is the issue number. */
  pullNumber: number;
}

const PAGE_SIZE = 100; // GitHub's maximum; busy PRs can have hundreds of comments.
const MAX_PAGES = 100; // a guard against a misbehaving server, not a real-world limit

export function createOctokitCommentApi(client: IssueCommentsClient, ref: PullRequestRef): CommentApi {
  const issue: IssueRef = { owner: ref.owner, repo: ref.repo, issue_number: ref.pullNumber };
  return {
    async listComments() {
      const all: Array<{ id: number; body: string; authorType?: string }> = [];
      // Paged by hand rather than with octokit.paginate so the structural type above stays small.
      for (let page = 1; page <= MAX_PAGES; page++) {
        const { data } = await client.rest.issues.listComments({ ...issue, per_page: PAGE_SIZE, page });
        for (const c of data) all.push({ id: c.id, body: c.body ?? '', ...(c.user?.type ? { authorType: c.user.type } : {}) });
        if (data.length < PAGE_SIZE) break;
      }
      return all;
    },
    async createComment(body) {
      const { data } = await client.rest.issues.createComment({ ...issue, body });
      return toRef(data);
    },
    async updateComment(id, body) {
      const { data } = await client.rest.issues.updateComment({ owner: ref.owner, repo: ref.repo, comment_id: id, body });
      return toRef(data);
    }
  };
}

function toRef(data: CommentData): { id: number; url?: string } {
  return data.html_url ? { id: data.id, url: data.html_url } : { id: data.id };
}
