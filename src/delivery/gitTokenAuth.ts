/**
 * The environment that makes one git command send `token` to `remoteUrl`, the way
 * actions/checkout authenticates: an `AUTHORIZATION: basic` header for user x-access-token.
 *
 * It travels as GIT_CONFIG_COUNT/KEY/VALUE variables, so the token is never on a command line
 * (visible in the process list), in .git/config or in the log. The key is scoped to the remote's
 * own URL: git keeps only the most specific match of http.<url>.* keys, so a general
 * http.extraheader would lose to the one actions/checkout persists for https://github.com/, and
 * the empty value first clears that inherited header, or git would send two Authorization
 * headers and the server would refuse both.
 */
export function tokenAuthEnv(base: NodeJS.ProcessEnv, remoteUrl: string, token: string): NodeJS.ProcessEnv {
  const start = Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10) || 0;
  const key = `http.${remoteUrl}.extraheader`;
  return {
    ...base,
    GIT_CONFIG_COUNT: String(start + 2),
    [`GIT_CONFIG_KEY_${start}`]: key,
    [`GIT_CONFIG_VALUE_${start}`]: '',
    [`GIT_CONFIG_KEY_${start + 1}`]: key,
    [`GIT_CONFIG_VALUE_${start + 1}`]: `AUTHORIZATION: basic ${basicCredential(token)}`
  };
}

export function basicCredential(token: string): string {
  return Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64');
}

/** Only http(s) remotes take a header; ssh and file remotes use their own credentials. */
export function isHttpRemote(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** Git's own messages never contain the header, but a message we pass on is scrubbed anyway. */
export function redactToken(text: string, token: string | undefined): string {
  if (!token) return text;
  return text.split(token).join('***').split(basicCredential(token)).join('***');
}
