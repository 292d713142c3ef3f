/** Where the core writes its progress; the action maps it to @actions/core, the CLI to stderr. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  /** Runs `task` under a collapsible heading where the host has one. */
  group<T>(name: string, task: () => Promise<T>): Promise<T>;
}

export const consoleLogger: Logger = {
  info: (m) => console.error(m),
  warn: (m) => console.error(`warning: ${m}`),
  group: async (name, task) => {
    console.error(`== ${name}`);
    return task();
  }
};
