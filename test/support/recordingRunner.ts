import type { ActionRunner, AnnotationPlace } from '../../src/action/ActionRunner.js';

export interface Annotation {
  level: 'notice' | 'warning';
  message: string;
  place: AnnotationPlace;
}

/** What the action did through its runner: outputs, summary, annotations, the failure, and the order of the last two. */
export interface Recorded {
  outputs: Record<string, string>;
  summary: string;
  annotations: Annotation[];
  /** 'summary' and 'failed', in the order they happened. */
  steps: string[];
  failed?: string;
}

export function newRecorded(): Recorded {
  return { outputs: {}, summary: '', annotations: [], steps: [] };
}

/** An ActionRunner in memory, as runMain sees the runner: `inputs` as given, everything written kept in `recorded`. */
export function recordingRunner(inputs: Record<string, string>, recorded: Recorded): ActionRunner {
  return {
    getInput: (name) => inputs[name] ?? '',
    setSecret: () => undefined,
    setOutput: (name, value) => void (recorded.outputs[name] = String(value)),
    saveState: () => undefined,
    getState: () => '',
    info: () => undefined,
    warning: (message, place) => void (place && recorded.annotations.push({ level: 'warning', message, place })),
    notice: (message, place) => void recorded.annotations.push({ level: 'notice', message, place }),
    group: (_name, task) => task(),
    appendSummary: async (markdown) => {
      recorded.steps.push('summary');
      recorded.summary += markdown;
    },
    setFailed: (message) => {
      recorded.steps.push('failed');
      recorded.failed = message;
    }
  };
}
