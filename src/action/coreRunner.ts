import * as core from '@actions/core';
import type { ActionRunner } from './ActionRunner.js';

export const coreRunner: ActionRunner = {
  getInput: (name) => core.getInput(name),
  setOutput: (name, value) => core.setOutput(name, value),
  saveState: (name, value) => core.saveState(name, value),
  getState: (name) => core.getState(name),
  info: (message) => core.info(message),
  warning: (message) => core.warning(message),
  group: (name, task) => core.group(name, task),
  appendSummary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write();
  },
  setFailed: (message) => core.setFailed(message)
};
