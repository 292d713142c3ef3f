import type { Tier } from '../core/Routing.js';
import { isCompletionRequest, type TextRequest } from '../inference/TextProvider.js';
import { type AuditLog, type ModelRequestEntry, promptSha256 } from '../privacy/AuditLog.js';
import { redactSecrets } from '../privacy/redactSecrets.js';

/** A request as it is sent, and the secrets taken out of it on the way. */
export interface SentRequest {
  request: TextRequest;
  redactions: Record<string, number>;
}

/** What the audit line of one request is made of, besides the request itself. */
export interface RequestFacts {
  target: string;
  tier: Tier;
  rule: string;
  provider: string;
  model: string;
  endpoint: string;
  promptTokens: number;
  completionTokens: number;
  outcome: ModelRequestEntry['outcome'];
}

/**
 * Every model request's way out: secrets are taken out of what goes to a remote endpoint (unless privacy is off), and
 * each request, answered or failed, gets its line in the audit log, with the hash of exactly what was sent.
 */
export class RequestAudit {
  private failed = false;

  constructor(
    private readonly log: AuditLog | undefined,
    /** Redact prompts bound for the remote tier (privacy balanced, or strict with an internal server). */
    private readonly redactRemote: boolean,
    /**
     * Told once when a line cannot be written (a full disk): the request it records was made, so failing it would
     * turn a fault of the runner into a verdict on the candidate; the report says the audit is incomplete instead.
     */
    private readonly onFailure: (message: string) => void
  ) {}

  /** The request as the tier gets it: unchanged for the local model, which sends nothing anywhere. */
  async prepare(tier: Tier, request: TextRequest): Promise<SentRequest> {
    if (tier === 'local' || !this.redactRemote) return { request, redactions: {} };
    const counts = new Map<string, number>();
    const redact = async (text: string): Promise<string> => {
      const out = await redactSecrets(text, request.target);
      for (const [kind, n] of Object.entries(out.redactions)) counts.set(kind, (counts.get(kind) ?? 0) + n);
      return out.text;
    };
    if (isCompletionRequest(request)) return { request: { ...request, prompt: await redact(request.prompt) }, redactions: Object.fromEntries(counts) };
    const system = request.system === undefined ? undefined : await redact(request.system);
    const user = await redact(request.user);
    const sent: TextRequest & { cacheableUserPrefix?: string } = { ...request, user, ...(system === undefined ? {} : { system }) };
    // The cache marker must still be the start of the user text; where a secret straddles it, the request goes uncached.
    const prefix = (request as { cacheableUserPrefix?: unknown }).cacheableUserPrefix;
    if (typeof prefix === 'string') {
      const redactedPrefix = (await redactSecrets(prefix, request.target)).text;
      if (user.startsWith(redactedPrefix)) sent.cacheableUserPrefix = redactedPrefix;
      else delete sent.cacheableUserPrefix;
    }
    return { request: sent, redactions: Object.fromEntries(counts) };
  }

  record(sent: SentRequest, facts: RequestFacts): void {
    if (!this.log) return;
    const { request } = sent;
    const [system, user] = isCompletionRequest(request) ? [undefined, request.prompt] : [request.system, request.user];
    try {
      this.log.append({
        type: 'model-request',
        time: new Date().toISOString(),
        ...facts,
        promptSha256: promptSha256(system, user),
        redactions: sent.redactions
      });
    } catch (error) {
      if (this.failed) return;
      this.failed = true;
      this.onFailure(`The audit log is incomplete: a model request's line could not be written (${(error as Error).message})`);
    }
  }
}
