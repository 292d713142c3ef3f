import { runCli } from './cli/aqeCli.js';

process.exitCode = await runCli(process.argv.slice(2));
