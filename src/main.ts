import { coreRunner } from './action/coreRunner.js';
import { runMain } from './action/runMain.js';

await runMain(coreRunner);
