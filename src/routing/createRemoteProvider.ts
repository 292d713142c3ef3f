import type { RemoteProviderOptions } from '../core/Routing.js';
import { AnthropicProvider } from '../inference/cloud/AnthropicProvider.js';
import { OpenAiCompatibleProvider } from '../inference/cloud/OpenAiCompatibleProvider.js';
import type { TextProvider } from '../inference/TextProvider.js';
import { RemoteProviderUnsupportedError } from './errors.js';

/** The openai SDK declares engines node >= 22 and is not supported on older Node. */
export const OPENAI_COMPATIBLE_MIN_NODE_MAJOR = 22;

/**
 * The configured remote provider. The openai SDK loads on Node 20 but declares (and needs at run time) Node 22+, so
 * the OpenAI-compatible one is refused on older Node before any request; the action itself runs on node24.
 * (A static import: a lazily loaded chunk would collide with the other bundles' chunks in dist/.)
 * `contextSize` is the run's context-size input (prompts are fitted to it); `concurrency` how many requests run at once.
 */
export async function createRemoteProvider(
  remote: RemoteProviderOptions,
  contextSize: number,
  concurrency: number,
  nodeVersion: string = process.versions.node
): Promise<TextProvider> {
  const common = { model: remote.model, timeoutMs: remote.timeoutMs, maxRetries: remote.maxRetries, contextSize, concurrency };
  if (remote.kind === 'anthropic') return new AnthropicProvider({ ...common, apiKey: remote.apiKey, baseURL: remote.baseURL });
  const major = Number(nodeVersion.split('.')[0]);
  if (!(major >= OPENAI_COMPATIBLE_MIN_NODE_MAJOR)) throw needsNewerNode(nodeVersion);
  return new OpenAiCompatibleProvider({ ...common, baseURL: remote.baseURL, ...(remote.apiKey !== '' ? { apiKey: remote.apiKey } : {}) });
}

function needsNewerNode(nodeVersion: string): RemoteProviderUnsupportedError {
  return new RemoteProviderUnsupportedError(
    `The openai-compatible provider (shared-server-url) needs Node.js ${OPENAI_COMPATIBLE_MIN_NODE_MAJOR} or newer; this is Node.js ${nodeVersion}. ` +
      `The action runs on node24; for the CLI, upgrade Node.js, or use cloud-provider anthropic, or router-mode local-only.`
  );
}
