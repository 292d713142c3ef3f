/**
 * The action inputs the cloud providers' errors name, in one place so the issue that wires the inputs uses exactly
 * the names the messages already tell users to fix.
 */
export const CLOUD_INPUTS = {
  anthropicApiKey: 'anthropic-api-key',
  cloudModel: 'cloud-model',
  sharedServerUrl: 'shared-server-url',
  sharedServerApiKey: 'shared-server-api-key',
  sharedServerModel: 'shared-server-model'
} as const;

export type CloudInputName = (typeof CLOUD_INPUTS)[keyof typeof CLOUD_INPUTS];
