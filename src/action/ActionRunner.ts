/** Where an annotation goes: a path from the workspace root and, optionally, 1-based inclusive lines. */
export interface AnnotationPlace {
  file: string;
  startLine?: number;
  endLine?: number;
  title: string;
}

/**
 * The runner as the action sees it. The real one wraps @actions/core; tests can supply their
 * own, so the main logic runs without a runner.
 */
export interface ActionRunner {
  getInput(name: string): string;
  /** Masks a value in every later log line (the runner prints *** instead). */
  setSecret(value: string): void;
  setOutput(name: string, value: string | number): void;
  saveState(name: string, value: string): void;
  getState(name: string): string;
  info(message: string): void;
  /** A warning in the log; with a place, also an annotation on that file in the checks and the pull request's diff. */
  warning(message: string, place?: AnnotationPlace): void;
  notice(message: string, place: AnnotationPlace): void;
  group<T>(name: string, task: () => Promise<T>): Promise<T>;
  appendSummary(markdown: string): Promise<void>;
  setFailed(message: string): void;
}
