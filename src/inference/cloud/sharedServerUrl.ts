import { CLOUD_INPUTS } from './cloudInputs.js';
import { CloudProviderError } from './CloudProviderError.js';

export interface SharedServerUrl {
  /** What the SDK is given: the API root, ending in `/v1`. */
  baseURL: string;
  /** The same without any user:password part, for messages and the report. */
  endpoint: string;
}

/**
 * Checks shared-server-url and turns it into the SDK's base URL. Users give either the server's address
 * (`http://gpu-box:8080`, as llama-server prints it) or its API root (`…/v1`, as vLLM and Ollama document it); both
 * mean the same server, so `/v1` is added when the path does not already end with it.
 */
export function parseSharedServerUrl(value: string): SharedServerUrl {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw invalid(`${JSON.stringify(withoutCredentials(value))} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`${JSON.stringify(url.protocol)} is not http: or https:`);
  }
  if (url.search !== '' || url.hash !== '') throw invalid('it has a query or fragment, which the API paths cannot follow');
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = /\/v1$/.test(path) ? path : `${path}/v1`;
  const baseURL = url.toString().replace(/\/+$/, '');
  url.username = '';
  url.password = '';
  return { baseURL, endpoint: url.toString().replace(/\/+$/, '') };
}

function invalid(problem: string): CloudProviderError {
  return new CloudProviderError(
    `Input "${CLOUD_INPUTS.sharedServerUrl}": ${problem}. Give the OpenAI-compatible server's address, e.g. http://gpu-box:8080 or http://gpu-box:8000/v1.`,
    { kind: 'unreachable', retryable: false, input: CLOUD_INPUTS.sharedServerUrl }
  );
}

/** Whatever sits between `//` and `@` may be a password. */
function withoutCredentials(value: string): string {
  return value.replace(/\/\/[^/@]*@/, '//…@');
}
