/**
 * The runner's command processing as far as it matters here: a `::name…::` line runs unless
 * commands are paused by `::stop-commands::<token>`, which only `::<token>::` resumes.
 */
export function commandsTheRunnerWouldRun(log: string): string[] {
  const run: string[] = [];
  let stopToken: string | undefined;
  for (const raw of log.split(/\r?\n|\r/)) {
    const line = raw.trimStart();
    if (stopToken !== undefined) {
      if (line === `::${stopToken}::`) stopToken = undefined;
      continue;
    }
    const legacy = raw.match(/##\[([\w-]+)/);
    if (legacy) run.push(legacy[1]!);
    const m = line.match(/^::([\w-]+)/);
    if (!m) continue;
    run.push(m[1]!);
    if (m[1] === 'stop-commands') stopToken = line.slice('::stop-commands::'.length);
  }
  return run;
}
