/**
 * What happens to the tests a run accepted: `write` creates them in the working tree, `commit`
 * also commits them and pushes the commit to the pull request's branch, `artifact` hands them
 * over as a workflow artifact and leaves the working tree alone.
 */
export type DeliveryMode = 'write' | 'commit' | 'artifact';

export const DELIVERY_MODES: readonly DeliveryMode[] = ['write', 'commit', 'artifact'];
