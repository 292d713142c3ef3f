/**
 * A stand-in for the GitHub REST API on 127.0.0.1, for tests that exercise the real HTTP path
 * (Octokit from @actions/github included) without a network. Point GITHUB_API_URL, or Octokit's
 * `baseUrl`, at `url`.
 *
 * Only the endpoints the product uses are served, with the response fields Octokit and our code
 * read, shaped like GitHub's own (pagination through a Link header, 201 on create, JSON errors).
 * Every request is recorded, unknown routes included, so tests can assert on what was sent.
 * Faults are opt-in: a GitHub-style error status (`failWith`, optionally only the first N times,
 * optionally with headers such as Retry-After), or no answer at all (`hangOn`).
 *
 * Every exchange is checked against GitHub's OpenAPI description (./githubOpenApi.ts): the request
 * when it arrives, the response before it is sent. Problems are recorded in `openApiProblems`, not
 * thrown, because a fake that answered 500 would hide what was wrong; tests assert the list is empty.
 */

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type GitHubOpenApi, loadGitHubOpenApi, type OpenApiVerdict } from './githubOpenApi.js';

export type PullFileStatus = 'added' | 'modified' | 'removed' | 'renamed';

export interface FakePullFileInput {
  filename: string;
  /** Defaults to 'modified', or 'renamed' when previous_filename is given. */
  status?: PullFileStatus;
  additions?: number;
  deletions?: number;
  patch?: string;
  previous_filename?: string;
  sha?: string;
}

/** The fields of GitHub's "diff entry" (GET /pulls/{n}/files). */
export interface FakePullFile {
  sha: string;
  filename: string;
  status: PullFileStatus;
  additions: number;
  deletions: number;
  changes: number;
  blob_url: string;
  raw_url: string;
  contents_url: string;
  patch?: string;
  previous_filename?: string;
}

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot';
}

/** A user as GitHub's API shows one (simple-user): the login, id and type, and the URLs derived from them. */
export interface FakeUserJson extends FakeUser {
  node_id: string;
  avatar_url: string;
  gravatar_id: string;
  url: string;
  html_url: string;
  followers_url: string;
  following_url: string;
  gists_url: string;
  starred_url: string;
  subscriptions_url: string;
  organizations_url: string;
  repos_url: string;
  events_url: string;
  received_events_url: string;
  site_admin: boolean;
}

export interface FakePullInput {
  title?: string;
  body?: string;
  state?: 'open' | 'closed';
  draft?: boolean;
  headRef?: string;
  headSha?: string;
  baseRef?: string;
  baseSha?: string;
  /** "owner/repo" of the head branch; a different repository makes this a fork PR. */
  headRepo?: string;
  user?: FakeUser;
}

export interface FakeComment {
  id: number;
  node_id: string;
  url: string;
  html_url: string;
  issue_url: string;
  body: string;
  user: FakeUserJson;
  author_association: string;
  created_at: string;
  updated_at: string;
}

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. "/repos/o/r/issues/1/comments". */
  path: string;
  query: Record<string, string>;
  headers: { authorization?: string; accept?: string; 'user-agent'?: string };
  /** Parsed JSON body; the raw text when it was not JSON; undefined when empty. */
  body: unknown;
  /** Status the fake answered with (0 until the response is sent). */
  status: number;
}

/** One request or response that does not match GitHub's OpenAPI description. */
export interface OpenApiProblemRecord {
  method: string;
  path: string;
  operationId?: string;
  problems: string[];
}

/** GitHub's "artifact" object (GET …/actions/runs/{run_id}/artifacts). */
export interface FakeArtifact {
  id: number;
  node_id: string;
  name: string;
  size_in_bytes: number;
  url: string;
  archive_download_url: string;
  expired: boolean;
  created_at: string;
  expires_at: string;
  updated_at: string;
  digest: string;
  workflow_run: { id: number; repository_id: number; head_repository_id: number; head_branch: string; head_sha: string };
}

export type RequestMatcher = { method?: string; path?: string | RegExp } | ((request: RecordedRequest) => boolean);

export interface FakeGitHubApiOptions {
  /** When set, requests must send `Authorization: token <token>` (or Bearer); others get 401, like GitHub. */
  token?: string;
  /** Author of comments created through the API; GitHub Actions' bot by default. */
  commentAuthor?: FakeUser;
  /** GitHub's default page size is 30; tests can lower it to force pagination with few items. */
  defaultPerPage?: number;
}

export interface FakeGitHubApi {
  /** Base URL, e.g. "http://127.0.0.1:41234" (no trailing slash). */
  url: string;
  requests: RecordedRequest[];
  /** Requests and responses that GitHub's OpenAPI description does not allow; empty when all were valid. */
  openApiProblems: OpenApiProblemRecord[];
  /** Live comment state, per issue/PR number, oldest first. */
  comments: Map<number, FakeComment[]>;
  setPullFiles(owner: string, repo: string, pullNumber: number, files: FakePullFileInput[]): void;
  setPull(owner: string, repo: string, pullNumber: number, pull: FakePullInput): void;
  /**
   * An artifact of workflow run `runId`, listed by GET …/actions/runs/{run_id}/artifacts; its zip
   * download answers 302 to a `/_blob/` URL of this server that serves `zip` without a token.
   */
  addWorkflowRunArtifact(owner: string, repo: string, runId: number, name: string, zip: Buffer): FakeArtifact;
  /** Seeds a comment as if someone had posted it earlier. */
  addComment(owner: string, repo: string, issueNumber: number, body: string, user?: FakeUser): FakeComment;
  /**
   * Makes matching requests fail with a GitHub-style error; `times` limits how often (default:
   * always), after which they succeed again. `headers` go on the error response (e.g. retry-after).
   */
  failWith(matcher: RequestMatcher, status: number, message: string, options?: { times?: number; headers?: Record<string, string> }): void;
  /**
   * Makes matching requests hang: the request is read and recorded (status stays 0) and no
   * response is ever sent, like an API behind a dead proxy. `times` as for failWith.
   */
  hangOn(matcher: RequestMatcher, options?: { times?: number }): void;
  /** Removes every failWith and hangOn fault; requests already hanging stay so until close(). */
  clearFailures(): void;
  close(): Promise<void>;
}

const GITHUB_ACTIONS_BOT: FakeUser = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' };
const MAX_PER_PAGE = 100;
/** GitHub's own limit on issue-comment bodies, enforced so oversized reports fail here as they would there. */
const MAX_COMMENT_BODY_CHARS = 65_536;
const DOCS_URL = 'https://docs.github.com/rest';
/**
 * Path prefixes served next to the REST API that are not part of it (artifact blob downloads, the
 * Actions results service), so GitHub's OpenAPI description does not apply to them.
 */
const OUTSIDE_REST_API: readonly string[] = ['/_blob/', '/twirp/'];
/** The operations route() serves, compiled when the fake starts so no request pays for it. */
const SERVED_OPERATIONS: ReadonlyArray<readonly [method: string, template: string]> = [
  ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['GET', '/repos/{owner}/{repo}/pulls/{pull_number}/files'],
  ['GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['GET', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['GET', '/repos/{owner}/{repo}/pulls'],
  ['GET', '/repos/{owner}/{repo}/actions/runs/{run_id}/artifacts'],
  ['GET', '/repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}']
];

interface PullState {
  owner: string;
  repo: string;
  number: number;
  pull: Required<Omit<FakePullInput, 'user'>> & { user: FakeUser };
  files: FakePullFile[];
}

interface Failure {
  matcher: RequestMatcher;
  status: number;
  message: string;
  headers: Record<string, string>;
  remaining: number;
}

interface Hang {
  matcher: RequestMatcher;
  remaining: number;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }
}

export async function startFakeGitHubApi(options: FakeGitHubApiOptions = {}): Promise<FakeGitHubApi> {
  const requests: RecordedRequest[] = [];
  const openApiProblems: OpenApiProblemRecord[] = [];
  const openApi: GitHubOpenApi = await loadGitHubOpenApi();
  for (const [method, template] of SERVED_OPERATIONS) openApi.prepare(method, template);
  const comments = new Map<number, FakeComment[]>();
  // Which repository each comment belongs to; GitHub's comment JSON only implies it through URLs.
  const commentRepo = new Map<number, string>();
  const pulls = new Map<string, PullState>();
  const artifacts: Array<{ repo: string; runId: number; artifact: FakeArtifact; zip: Buffer }> = [];
  const failures: Failure[] = [];
  const hangs: Hang[] = [];
  let nextCommentId = 1_000_001;
  let clock = Date.parse('2024-01-01T00:00:00Z');
  let baseUrl = '';

  const perPageDefault = options.defaultPerPage ?? 30;
  const commentAuthor = options.commentAuthor ?? GITHUB_ACTIONS_BOT;

  const repoKey = (owner: string, repo: string): string => `${owner}/${repo}`.toLowerCase();
  const pullKey = (owner: string, repo: string, n: number): string => `${repoKey(owner, repo)}#${n}`;
  // Strictly increasing timestamps, so ordering by time and by id always agree.
  const now = (): string => new Date((clock += 1000)).toISOString();

  function ensurePull(owner: string, repo: string, number: number): PullState {
    const key = pullKey(owner, repo, number);
    let state = pulls.get(key);
    if (!state) {
      state = {
        owner,
        repo,
        number,
        pull: {
          title: `Pull request #${number}`,
          body: '',
          state: 'open',
          draft: false,
          headRef: `feature-${number}`,
          headSha: fakeSha(`head:${key}`),
          baseRef: 'main',
          baseSha: fakeSha(`base:${key}`),
          headRepo: `${owner}/${repo}`,
          user: { login: 'octocat', id: 583231, type: 'User' }
        },
        files: []
      };
      pulls.set(key, state);
    }
    return state;
  }

  function setPull(owner: string, repo: string, number: number, pull: FakePullInput): void {
    const state = ensurePull(owner, repo, number);
    const defined = Object.fromEntries(Object.entries(pull).filter(([, v]) => v !== undefined));
    state.pull = { ...state.pull, ...defined };
  }

  function setPullFiles(owner: string, repo: string, number: number, files: FakePullFileInput[]): void {
    const state = ensurePull(owner, repo, number);
    const head = state.pull.headSha;
    state.files = files.map((f) => {
      const additions = f.additions ?? 0;
      const deletions = f.deletions ?? 0;
      const entry: FakePullFile = {
        sha: f.sha ?? fakeSha(`blob:${f.filename}:${f.patch ?? ''}`),
        filename: f.filename,
        status: f.status ?? (f.previous_filename ? 'renamed' : 'modified'),
        additions,
        deletions,
        changes: additions + deletions,
        blob_url: `https://github.com/${owner}/${repo}/blob/${head}/${encodePath(f.filename)}`,
        raw_url: `https://github.com/${owner}/${repo}/raw/${head}/${encodePath(f.filename)}`,
        contents_url: `${baseUrl}/repos/${owner}/${repo}/contents/${encodePath(f.filename)}?ref=${head}`
      };
      // GitHub omits `patch` for binary or huge diffs, and `previous_filename` unless renamed.
      if (f.patch !== undefined) entry.patch = f.patch;
      if (f.previous_filename !== undefined) entry.previous_filename = f.previous_filename;
      return entry;
    });
  }

  function addComment(owner: string, repo: string, issueNumber: number, body: string, user: FakeUser = commentAuthor): FakeComment {
    const id = nextCommentId++;
    const created = now();
    const comment: FakeComment = {
      id,
      node_id: `IC_${Buffer.from(String(id)).toString('base64')}`,
      url: `${baseUrl}/repos/${owner}/${repo}/issues/comments/${id}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${issueNumber}#issuecomment-${id}`,
      issue_url: `${baseUrl}/repos/${owner}/${repo}/issues/${issueNumber}`,
      body,
      user: userJson(user, baseUrl),
      author_association: user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
      created_at: created,
      updated_at: created
    };
    const list = comments.get(issueNumber) ?? [];
    list.push(comment);
    comments.set(issueNumber, list);
    commentRepo.set(id, repoKey(owner, repo));
    return comment;
  }

  function addWorkflowRunArtifact(owner: string, repo: string, runId: number, name: string, zip: Buffer): FakeArtifact {
    const id = 7_000_001 + artifacts.length;
    const created = now();
    const api = `${baseUrl}/repos/${owner}/${repo}/actions/artifacts/${id}`;
    const artifact: FakeArtifact = {
      id,
      node_id: `MDg6QXJ0aWZhY3Q${id}`,
      name,
      size_in_bytes: zip.length,
      url: api,
      archive_download_url: `${api}/zip`,
      expired: false,
      created_at: created,
      expires_at: new Date(Date.parse(created) + 90 * 86_400_000).toISOString(),
      updated_at: created,
      digest: `sha256:${createHash('sha256').update(zip).digest('hex')}`,
      workflow_run: {
        id: runId,
        repository_id: numericId(`${owner}/${repo}`),
        head_repository_id: numericId(`${owner}/${repo}`),
        head_branch: 'main',
        head_sha: fakeSha(`run:${runId}`)
      }
    };
    artifacts.push({ repo: repoKey(owner, repo), runId, artifact, zip });
    return artifact;
  }

  function findComment(owner: string, repo: string, id: number): FakeComment {
    if (commentRepo.get(id) !== repoKey(owner, repo)) throw new HttpError(404, 'Not Found');
    for (const list of comments.values()) {
      const found = list.find((c) => c.id === id);
      if (found) return found;
    }
    throw new HttpError(404, 'Not Found');
  }

  function deleteComment(owner: string, repo: string, id: number): void {
    findComment(owner, repo, id);
    for (const [issue, list] of comments) {
      const remaining = list.filter((c) => c.id !== id);
      if (remaining.length !== list.length) comments.set(issue, remaining);
    }
    commentRepo.delete(id);
  }

  function pullJson(state: PullState): Record<string, unknown> {
    const { owner, repo, number, pull } = state;
    const api = `${baseUrl}/repos/${owner}/${repo}`;
    const [headOwner = owner, headName = repo] = pull.headRepo.split('/');
    const baseRepo = repoJson(owner, repo, false, baseUrl);
    const headRepo = repoJson(headOwner, headName, repoKey(headOwner, headName) !== repoKey(owner, repo), baseUrl);
    const links = {
      self: `${api}/pulls/${number}`,
      html: `https://github.com/${owner}/${repo}/pull/${number}`,
      issue: `${api}/issues/${number}`,
      comments: `${api}/issues/${number}/comments`,
      review_comments: `${api}/pulls/${number}/comments`,
      review_comment: `${api}/pulls/comments{/number}`,
      commits: `${api}/pulls/${number}/commits`,
      statuses: `${api}/statuses/${pull.headSha}`
    };
    const additions = state.files.reduce((sum, f) => sum + f.additions, 0);
    const deletions = state.files.reduce((sum, f) => sum + f.deletions, 0);
    return {
      url: `${api}/pulls/${number}`,
      id: 100_000 + number,
      node_id: `PR_${number}`,
      html_url: `https://github.com/${owner}/${repo}/pull/${number}`,
      diff_url: `https://github.com/${owner}/${repo}/pull/${number}.diff`,
      patch_url: `https://github.com/${owner}/${repo}/pull/${number}.patch`,
      issue_url: links.issue,
      commits_url: links.commits,
      review_comments_url: links.review_comments,
      review_comment_url: links.review_comment,
      comments_url: links.comments,
      statuses_url: links.statuses,
      number,
      state: pull.state,
      locked: false,
      draft: pull.draft,
      title: pull.title,
      body: pull.body,
      user: userJson(pull.user, baseUrl),
      labels: [],
      milestone: null,
      assignee: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      author_association: 'CONTRIBUTOR',
      auto_merge: null,
      active_lock_reason: null,
      created_at: '2024-01-01T00:00:00Z',
      updated_at: '2024-01-01T00:00:00Z',
      closed_at: null,
      merged_at: null,
      merge_commit_sha: null,
      head: { label: `${headOwner}:${pull.headRef}`, ref: pull.headRef, sha: pull.headSha, user: headRepo.owner, repo: headRepo },
      base: { label: `${owner}:${pull.baseRef}`, ref: pull.baseRef, sha: pull.baseSha, user: baseRepo.owner, repo: baseRepo },
      _links: Object.fromEntries(Object.entries(links).map(([rel, href]) => [rel, { href }])),
      merged: false,
      mergeable: true,
      rebaseable: true,
      mergeable_state: 'clean',
      merged_by: null,
      maintainer_can_modify: false,
      review_comments: 0,
      comments: comments.get(number)?.filter((c) => commentRepo.get(c.id) === repoKey(owner, repo)).length ?? 0,
      commits: 1,
      additions,
      deletions,
      changed_files: state.files.length
    };
  }

  function route(req: RecordedRequest, reqUrl: URL): { status: number; body: unknown; headers?: Record<string, string> } {
    const { method, path } = req;
    let m: RegExpMatchArray | null;

    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)$/)) && method === 'GET') {
      const state = pulls.get(pullKey(m[1], m[2], Number(m[3])));
      if (!state) throw new HttpError(404, 'Not Found');
      return { status: 200, body: pullJson(state) };
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/pulls$/)) && method === 'GET') {
      const [, owner, repo] = m;
      // head is "user:ref"; GitHub matches the user against the head repository's owner.
      const wantState = reqUrl.searchParams.get('state') ?? 'open';
      const head = reqUrl.searchParams.get('head');
      const listed = [...pulls.values()]
        .filter((p) => repoKey(p.owner, p.repo) === repoKey(owner, repo))
        .filter((p) => wantState === 'all' || p.pull.state === wantState)
        .filter((p) => head === null || `${p.pull.headRepo.split('/')[0]}:${p.pull.headRef}`.toLowerCase() === head.toLowerCase())
        .sort((a, b) => b.number - a.number)
        .map(pullJson);
      return paginated(listed, reqUrl);
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/artifacts$/)) && method === 'GET') {
      const ofRun = artifacts.filter((a) => a.repo === repoKey(m![1]!, m![2]!) && a.runId === Number(m![3]));
      const page = paginated(
        ofRun.map((a) => a.artifact),
        reqUrl
      );
      return { ...page, body: { total_count: ofRun.length, artifacts: page.body } };
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/actions\/artifacts\/(\d+)\/zip$/)) && method === 'GET') {
      const found = artifacts.find((a) => a.repo === repoKey(m![1]!, m![2]!) && a.artifact.id === Number(m![3]));
      if (!found) throw new HttpError(404, 'Not Found');
      // Like GitHub's: a short-lived signed URL on another host that needs no token.
      return { status: 302, body: undefined, headers: { location: `${baseUrl}/_blob/artifacts/${found.artifact.id}.zip?sig=fake-signature` } };
    }
    if ((m = path.match(/^\/_blob\/artifacts\/(\d+)\.zip$/)) && method === 'GET') {
      const found = artifacts.find((a) => a.artifact.id === Number(m![1]));
      if (!found || reqUrl.searchParams.get('sig') !== 'fake-signature') throw new HttpError(404, 'The specified blob does not exist.');
      return { status: 200, body: found.zip, headers: { 'content-type': 'application/zip', 'content-length': String(found.zip.length) } };
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/)) && method === 'GET') {
      const state = pulls.get(pullKey(m[1], m[2], Number(m[3])));
      if (!state) throw new HttpError(404, 'Not Found');
      return paginated(state.files, reqUrl);
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/))) {
      const [, owner, repo] = m;
      const issue = Number(m[3]);
      if (method === 'GET') {
        const list = (comments.get(issue) ?? []).filter((c) => commentRepo.get(c.id) === repoKey(owner, repo));
        return paginated(list, reqUrl);
      }
      if (method === 'POST') {
        const body = requireCommentBody(req.body);
        const comment = addComment(owner, repo, issue, body);
        return { status: 201, body: comment, headers: { location: comment.url } };
      }
    }
    if ((m = path.match(/^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/))) {
      const [, owner, repo] = m;
      const id = Number(m[3]);
      if (method === 'GET') return { status: 200, body: findComment(owner, repo, id) };
      if (method === 'PATCH') {
        const comment = findComment(owner, repo, id);
        comment.body = requireCommentBody(req.body);
        comment.updated_at = now();
        return { status: 200, body: comment };
      }
      if (method === 'DELETE') {
        deleteComment(owner, repo, id);
        return { status: 204, body: undefined };
      }
    }
    throw new HttpError(404, 'Not Found');
  }

  /** GitHub-style paging: per_page (max 100) and page, with first/prev/next/last in a Link header. */
  function paginated<T>(items: T[], reqUrl: URL): { status: number; body: T[]; headers?: Record<string, string> } {
    const requested = Number.parseInt(reqUrl.searchParams.get('per_page') ?? '', 10);
    const perPage = Math.min(MAX_PER_PAGE, Math.max(1, Number.isNaN(requested) ? perPageDefault : requested));
    const page = Math.max(1, Number.parseInt(reqUrl.searchParams.get('page') ?? '', 10) || 1);
    const lastPage = Math.max(1, Math.ceil(items.length / perPage));
    const pageUrl = (p: number): string => {
      const u = new URL(reqUrl.pathname + reqUrl.search, baseUrl);
      u.searchParams.set('per_page', String(perPage));
      u.searchParams.set('page', String(p));
      return u.toString();
    };
    const links: string[] = [];
    if (page > 1) links.push(`<${pageUrl(page - 1)}>; rel="prev"`, `<${pageUrl(1)}>; rel="first"`);
    if (page < lastPage) links.push(`<${pageUrl(page + 1)}>; rel="next"`, `<${pageUrl(lastPage)}>; rel="last"`);
    const body = items.slice((page - 1) * perPage, page * perPage);
    return links.length > 0 ? { status: 200, body, headers: { link: links.join(', ') } } : { status: 200, body };
  }

  function matchingFailure(req: RecordedRequest): Failure | undefined {
    const failure = failures.find((f) => f.remaining > 0 && matches(f.matcher, req));
    if (failure) failure.remaining -= 1;
    return failure;
  }

  function matchingHang(req: RecordedRequest): Hang | undefined {
    const hang = hangs.find((h) => h.remaining > 0 && matches(h.matcher, req));
    if (hang) hang.remaining -= 1;
    return hang;
  }

  function checkAuth(req: RecordedRequest): void {
    // Blob URLs carry their own signature; GitHub's storage takes no API token.
    if (options.token === undefined || req.path.startsWith('/_blob/')) return;
    const auth = req.headers.authorization ?? '';
    const [scheme = '', credential = ''] = auth.split(/\s+/, 2);
    if (!/^(token|bearer)$/i.test(scheme) || credential !== options.token) {
      throw new HttpError(401, auth === '' ? 'Requires authentication' : 'Bad credentials');
    }
  }

  function checkExchange(record: RecordedRequest, validate: () => OpenApiVerdict): void {
    if (OUTSIDE_REST_API.some((prefix) => record.path.startsWith(prefix))) return;
    const { operationId, problems } = validate();
    if (problems.length === 0) return;
    openApiProblems.push({ method: record.method, path: record.path, ...(operationId === undefined ? {} : { operationId }), problems });
  }

  async function handle(incoming: IncomingMessage, res: ServerResponse): Promise<void> {
    const reqUrl = new URL(incoming.url ?? '/', baseUrl);
    const raw = await readBody(incoming);
    const record: RecordedRequest = {
      method: (incoming.method ?? 'GET').toUpperCase(),
      path: reqUrl.pathname,
      query: Object.fromEntries(reqUrl.searchParams),
      headers: pickHeaders(incoming),
      body: undefined,
      status: 0
    };
    requests.push(record);
    checkExchange(record, () => openApi.validateRequest({ ...record, body: jsonOrText(raw) }));
    // Never answered; close() ends the socket with all the others.
    if (matchingHang(record)) return;
    let status: number;
    let body: unknown;
    let headers: Record<string, string> = {};
    try {
      record.body = parseBody(raw, record);
      checkAuth(record);
      const failure = matchingFailure(record);
      if (failure) throw new HttpError(failure.status, failure.message, {}, failure.headers);
      ({ status, body, headers = {} } = route(record, reqUrl));
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        body = { message: error.message, documentation_url: DOCS_URL, status: String(error.status), ...error.extra };
        headers = error.headers;
      } else {
        status = 500;
        body = { message: `fake GitHub API failure: ${error instanceof Error ? error.message : String(error)}` };
      }
    }
    record.status = status;
    const payload = body === undefined ? '' : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    // What goes on the wire, so a field JSON.stringify drops (undefined) counts as missing.
    checkExchange(record, () => openApi.validateResponse({ ...record, status, body: typeof payload === 'string' ? jsonOrText(payload) : payload }));
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'x-github-request-id': `FAKE:${requests.length}`,
      'x-github-media-type': 'github.v3; format=json',
      ...headers
    });
    res.end(payload);
  }

  const server: Server = createServer((incoming, res) => {
    handle(incoming, res).catch((error: unknown) => {
      // Only reached if writing the response itself failed; nothing useful can be sent any more.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    requests,
    openApiProblems,
    comments,
    setPullFiles,
    setPull,
    addWorkflowRunArtifact,
    addComment,
    failWith(matcher, status, message, failOptions = {}) {
      failures.push({ matcher, status, message, headers: failOptions.headers ?? {}, remaining: failOptions.times ?? Infinity });
    },
    hangOn(matcher, hangOptions = {}) {
      hangs.push({ matcher, remaining: hangOptions.times ?? Infinity });
    },
    clearFailures() {
      failures.length = 0;
      hangs.length = 0;
    },
    close() {
      return new Promise<void>((resolveClose, rejectClose) => {
        // Keep-alive sockets from fetch/undici would otherwise hold close() open until they time out.
        server.closeAllConnections();
        server.close((error) => (error ? rejectClose(error) : resolveClose()));
      });
    }
  };
}

function matches(matcher: RequestMatcher, req: RecordedRequest): boolean {
  if (typeof matcher === 'function') return matcher(req);
  if (matcher.method && matcher.method.toUpperCase() !== req.method) return false;
  if (matcher.path === undefined) return true;
  return typeof matcher.path === 'string' ? matcher.path === req.path : matcher.path.test(req.path);
}

function requireCommentBody(body: unknown): string {
  const text = typeof body === 'object' && body !== null ? (body as { body?: unknown }).body : undefined;
  if (typeof text !== 'string' || text === '') {
    throw new HttpError(422, 'Invalid request.\n\n"body" wasn\'t supplied.');
  }
  // GitHub counts characters, not UTF-16 units.
  if ([...text].length > MAX_COMMENT_BODY_CHARS) {
    throw new HttpError(422, 'Validation Failed', {
      errors: [
        {
          resource: 'IssueComment',
          code: 'custom',
          field: 'body',
          message: `body is too long (maximum is ${MAX_COMMENT_BODY_CHARS} characters)`
        }
      ]
    });
  }
  return text;
}

/** The JSON value of a body; its text when it is not JSON; undefined when it is empty. */
function jsonOrText(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** Parses a JSON body; on bad JSON the raw text is kept on the record before answering 400, as GitHub does. */
function parseBody(raw: string, record: RecordedRequest): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    record.body = raw;
    throw new HttpError(400, 'Problems parsing JSON');
  }
}

function readBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, rejectBody) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    incoming.on('error', rejectBody);
  });
}

function pickHeaders(incoming: IncomingMessage): RecordedRequest['headers'] {
  const headers: RecordedRequest['headers'] = {};
  const { authorization, accept } = incoming.headers;
  const userAgent = incoming.headers['user-agent'];
  if (authorization !== undefined) headers.authorization = authorization;
  if (accept !== undefined) headers.accept = accept;
  if (userAgent !== undefined) headers['user-agent'] = userAgent;
  return headers;
}

/** A user's simple-user JSON, with the API URLs under the fake's own base URL as GitHub puts them under its own. */
function userJson(user: FakeUser, apiBase: string): FakeUserJson {
  const url = `${apiBase}/users/${encodeURIComponent(user.login)}`;
  // Apps' bot accounts live under /apps/<slug> on github.com; their login carries a [bot] suffix.
  const htmlPath = user.type === 'Bot' ? `apps/${user.login.replace(/\[bot\]$/, '')}` : user.login;
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${Buffer.from(`${user.type}:${user.id}`).toString('base64')}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `https://github.com/${encodePath(htmlPath)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: user.type,
    site_admin: false
  };
}

/** A repository's JSON as pulls/get embeds it in head and base (GitHub's "repository" schema). */
function repoJson(owner: string, name: string, fork: boolean, apiBase: string): { owner: FakeUserJson } & Record<string, unknown> {
  const full = `${owner}/${name}`;
  const url = `${apiBase}/repos/${full}`;
  const ownerUser = userJson({ login: owner, id: numericId(owner), type: 'User' }, apiBase);
  const templated = (path: string): string => `${url}/${path}`;
  return {
    id: numericId(full),
    node_id: `R_${owner}_${name}`,
    name,
    full_name: full,
    private: false,
    owner: ownerUser,
    html_url: `https://github.com/${full}`,
    description: null,
    fork,
    url,
    archive_url: templated('{archive_format}{/ref}'),
    assignees_url: templated('assignees{/user}'),
    blobs_url: templated('git/blobs{/sha}'),
    branches_url: templated('branches{/branch}'),
    collaborators_url: templated('collaborators{/collaborator}'),
    comments_url: templated('comments{/number}'),
    commits_url: templated('commits{/sha}'),
    compare_url: templated('compare/{base}...{head}'),
    contents_url: templated('contents/{+path}'),
    contributors_url: templated('contributors'),
    deployments_url: templated('deployments'),
    downloads_url: templated('downloads'),
    events_url: templated('events'),
    forks_url: templated('forks'),
    git_commits_url: templated('git/commits{/sha}'),
    git_refs_url: templated('git/refs{/sha}'),
    git_tags_url: templated('git/tags{/sha}'),
    git_url: `git://github.com/${full}.git`,
    hooks_url: templated('hooks'),
    issue_comment_url: templated('issues/comments{/number}'),
    issue_events_url: templated('issues/events{/number}'),
    issues_url: templated('issues{/number}'),
    keys_url: templated('keys{/key_id}'),
    labels_url: templated('labels{/name}'),
    languages_url: templated('languages'),
    merges_url: templated('merges'),
    milestones_url: templated('milestones{/number}'),
    notifications_url: templated('notifications{?since,all,participating}'),
    pulls_url: templated('pulls{/number}'),
    releases_url: templated('releases{/id}'),
    ssh_url: `git@github.com:${full}.git`,
    stargazers_url: templated('stargazers'),
    statuses_url: templated('statuses/{sha}'),
    subscribers_url: templated('subscribers'),
    subscription_url: templated('subscription'),
    tags_url: templated('tags'),
    teams_url: templated('teams'),
    trees_url: templated('git/trees{/sha}'),
    clone_url: `https://github.com/${full}.git`,
    mirror_url: null,
    svn_url: `https://github.com/${full}`,
    homepage: null,
    language: 'TypeScript',
    forks: 0,
    forks_count: 0,
    stargazers_count: 0,
    watchers: 0,
    watchers_count: 0,
    size: 0,
    default_branch: 'main',
    open_issues: 0,
    open_issues_count: 0,
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    archived: false,
    disabled: false,
    license: null,
    pushed_at: '2024-01-01T00:00:00Z',
    created_at: '2024-01-01T00:00:00Z',
    updated_at: '2024-01-01T00:00:00Z'
  };
}

function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

function numericId(seed: string): number {
  return createHash('sha1').update(seed).digest().readUInt32BE(0);
}

function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
