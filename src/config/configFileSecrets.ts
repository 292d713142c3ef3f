import { ConfigFileError } from './ConfigFileError.js';
import { formatPath, position, type FileContext, type KeyPath } from './configFileLocation.js';

// API keys are never read from the repository: whoever can read it (for a public one, everybody) would hold them.

const SECRET_KEY = /(^|[-_])(api[-_]?key|apikey|key|token|secret|password|passwd|credentials?|auth|authorization)$/i;
const SECRET_VALUE = /^(sk-ant-|sk-[A-Za-z0-9_-]{20,}$|xox[abp]-|gh[pousr]_[A-Za-z0-9]{20,})/;

/** Throws at the first key named like a secret, or value shaped like an API key, anywhere in the parsed file. */
export function refuseSecrets(value: unknown, at: KeyPath, context: FileContext): void {
  if (typeof value === 'string' && SECRET_VALUE.test(value)) throw secretError(at, 'the value looks like an API key', context);
  if (Array.isArray(value)) {
    value.forEach((item, i) => refuseSecrets(item, [...at, i], context));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  // Under cost.prices the keys are model names, not settings.
  const modelNames = at.length === 2 && at[0] === 'cost' && at[1] === 'prices';
  for (const [key, item] of Object.entries(value)) {
    if (!modelNames && SECRET_KEY.test(key))
      throw secretError([...at, key], 'API keys are never read from this file: anyone who can read the repository can read them', context);
    refuseSecrets(item, [...at, key], context);
  }
}

function secretError(at: KeyPath, problem: string, context: FileContext): ConfigFileError {
  const input = at.includes('shared-server') ? 'shared-server-api-key' : 'anthropic-api-key';
  const secret = input === 'shared-server-api-key' ? 'SHARED_SERVER_API_KEY' : 'ANTHROPIC_API_KEY';
  return new ConfigFileError(
    context.file,
    formatPath(at),
    problem,
    `Delete it from the file (and revoke the key: it stays in the git history), store it as an encrypted secret and pass it with the ${input} input: \`${input}: \${{ secrets.${secret} }}\``,
    position(context, at, 'key')
  );
}
