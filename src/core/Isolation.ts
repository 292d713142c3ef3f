/**
 * What confined the code a run executed, and what the confinement saw it try. Shared vocabulary:
 * the sandbox produces it, the report and the log show it.
 */

/** namespaces: bubblewrap (user, mount, PID, IPC, network namespaces); fallback: no namespaces, only what needs none. */
export type IsolationKind = 'namespaces' | 'fallback';

export interface IsolationInEffect {
  kind: IsolationKind;
  /** The sandbox input as given. */
  requested: 'auto' | 'require' | 'off';
  /** The tool that built the namespaces, and its version. */
  tool?: string;
  /** Why the namespaces are not in effect (fallback only). */
  reason?: string;
  /** What aqe changed on the runner to get them (GitHub-hosted runners only: bubblewrap installed, AppArmor's restriction lifted). */
  setup?: string[];
  /** What holds for every process the run started, in plain words, for the report and the log. */
  guarantees: string[];
  /** What does not hold in this mode. */
  gaps: string[];
}

/**
 * Something the confinement stopped or cleaned up:
 * - survivors-killed: processes a run left behind, ended when its runner exited;
 * - write-refused: a test wrote where it may not (a read-only or hidden path);
 * - network-refused: a candidate tried to reach the network.
 */
export interface ConfinementEvent {
  kind: 'survivors-killed' | 'write-refused' | 'network-refused';
  /** Which run: the suite's baseline, a candidate stage, the confirmation. */
  run: string;
  /** The test file whose failure showed it, when one did. */
  testFile?: string;
  /** Processes killed, for survivors-killed. */
  count?: number;
  /** Evidence, capped: the error line, or the names of the processes killed. */
  detail: string;
}

/** How each kind of event reads in the log and the summary, counted ("3 write(s) refused"). */
export const CONFINEMENT_EVENT_LABELS: Readonly<Record<ConfinementEvent['kind'], string>> = {
  'survivors-killed': 'leftover process(es) killed',
  'write-refused': 'write(s) outside the scratch copy refused',
  'network-refused': 'connection(s) refused (candidates have no network)'
};
