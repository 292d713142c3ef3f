import * as core from '@actions/core';
import { verbatimLogText } from '../core/workflowCommands.js';
import type { ActionRunner } from './ActionRunner.js';

export const coreRunner: ActionRunner = {
  getInput: (name) => core.getInput(name),
  setSecret: (value) => core.setSecret(value),
  setOutput: (name, value) => core.setOutput(name, value),
  saveState: (name, value) => core.saveState(name, value),
  getState: (name) => core.getState(name),
  // core.info writes the text raw; warnings, errors and group titles are escaped by @actions/core itself.
  info: (message) => core.info(verbatimLogText(message)),
  // @actions/core escapes the message and the properties (file names, titles) for the workflow-command syntax.
  warning: (message, place) => core.warning(message, place),
  notice: (message, place) => core.notice(message, place),
  group: (name, task) => core.group(name, task),
  appendSummary: async (markdown) => {
    await core.summary.addRaw(markdown, true).write();
  },
  setFailed: (message) => core.setFailed(message)
};
