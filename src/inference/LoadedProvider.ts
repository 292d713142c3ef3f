import type { TextProvider } from './TextProvider.js';

export interface LoadedProvider {
  provider: TextProvider;
  /** Set when the model is the generated demo model, so every report says so. */
  demoNotice?: string;
  /** What the provider finds amiss with this run's targets (replay lines for other files), as a warning. */
  targetsWarning?: (targets: readonly string[]) => string | undefined;
}
