import { verbatimLogText } from './workflowCommands.js';

/** Where the core writes its progress; the action maps it to @actions/core, the CLI to stderr. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Runs `task` under a collapsible heading where the host has one. */
  group<T>(name: string, task: () => Promise<T>): Promise<T>;
}

/**
 * The CLI's log on stderr. Inside a GitHub Actions step (`run: npx aqe …`) the runner reads
 * that stream for workflow commands too, so untrusted text is written so that none can run.
 */
const write = (text: string): void => console.error(process.env.GITHUB_ACTIONS === 'true' ? verbatimLogText(text) : text);

export const consoleLogger: Logger = {
  info: (m) => write(m),
  warn: (m) => write(`warning: ${m}`),
  group: async (name, task) => {
    write(`== ${name}`);
    return task();
  }
};
