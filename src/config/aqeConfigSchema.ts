import * as z from 'zod';
import { PRIVACY_MODES, ROUTER_MODES, type PrivacyMode, type RemoteProviderKind, type RouterMode } from '../core/Routing.js';

/** cloud-provider: auto picks anthropic when anthropic-api-key is set, else openai-compatible when shared-server-url is. */
export type CloudProviderChoice = 'auto' | RemoteProviderKind;
export const CLOUD_PROVIDER_CHOICES: readonly CloudProviderChoice[] = ['auto', 'anthropic', 'openai-compatible'];

/** The ranges numbers are checked against, the same for an input and its key in the file. */
export const ROUTING_LIMITS = {
  complexityThreshold: { min: 0, max: 1000 },
  sizeThreshold: { min: 0, max: 1_000_000 },
  cloudTimeoutSeconds: { min: 1, max: 3600 },
  cloudMaxRetries: { min: 0, max: 10 },
  maxCloudUsd: { min: 0, max: 100_000 },
  localCostPerHour: { min: 0, max: 1000 },
  pricePerMTok: { min: 0, max: 10_000 },
  rulePriority: { min: 0, max: 1000 }
} as const;

// Keys are kebab-case like the action inputs; a key's section and name spell its input where there is one
// (router.complexity-threshold ↔ complexity-threshold, cloud.provider ↔ cloud-provider).

const wholeNumber = (range: { min: number; max: number }) => z.int().min(range.min).max(range.max).optional();
const amount = (range: { min: number; max: number }) => z.number().min(range.min).max(range.max).optional();
const text = z.string().min(1).optional();

const priceSchema = z.strictObject({
  input: z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  output: z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  'cache-write': z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max),
  'cache-read': z.number().min(ROUTING_LIMITS.pricePerMTok.min).max(ROUTING_LIMITS.pricePerMTok.max)
});

/** One shape for both kinds of rule: which keys a rule may have depends on its name, checked after the schema. */
const ruleSchema = z.strictObject({
  name: z.string().min(1),
  priority: wholeNumber(ROUTING_LIMITS.rulePriority),
  enabled: z.boolean().optional(),
  paths: z.array(z.string()).min(1).optional(),
  route: z.enum(['local', 'cloud']).optional()
});

/** The whole file. Strict objects throughout, so that a misspelt key is refused instead of silently ignored. */
export const configSchema = z.strictObject({
  router: z
    .strictObject({
      mode: z.enum(ROUTER_MODES as readonly [RouterMode, ...RouterMode[]]).optional(),
      privacy: z.enum(PRIVACY_MODES as readonly [PrivacyMode, ...PrivacyMode[]]).optional(),
      'complexity-threshold': wholeNumber(ROUTING_LIMITS.complexityThreshold),
      'size-threshold': wholeNumber(ROUTING_LIMITS.sizeThreshold),
      escalate: z.boolean().optional(),
      'sensitive-paths': z.array(z.string()).optional(),
      rules: z.array(ruleSchema).optional()
    })
    .nullish(),
  cloud: z
    .strictObject({
      provider: z.enum(CLOUD_PROVIDER_CHOICES as readonly [CloudProviderChoice, ...CloudProviderChoice[]]).optional(),
      timeout: wholeNumber(ROUTING_LIMITS.cloudTimeoutSeconds),
      'max-retries': wholeNumber(ROUTING_LIMITS.cloudMaxRetries),
      anthropic: z.strictObject({ model: text, 'base-url': text }).nullish(),
      'shared-server': z.strictObject({ url: text, model: text }).nullish()
    })
    .nullish(),
  cost: z
    .strictObject({
      'max-cloud-usd': amount(ROUTING_LIMITS.maxCloudUsd),
      'local-cost-per-hour': amount(ROUTING_LIMITS.localCostPerHour),
      prices: z.record(z.string().min(1), priceSchema).nullish()
    })
    .nullish()
});

export type ConfigFile = z.infer<typeof configSchema>;
export type RuleEntry = z.infer<typeof ruleSchema>;
