import { coreRunner } from './action/coreRunner.js';
import { runPost } from './action/runPost.js';

await runPost(coreRunner);
