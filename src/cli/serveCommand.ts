import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigFileError } from '../config/ConfigFileError.js';
import { parseInteger } from '../config/inputValues.js';
import { parseRunOptions, type RawInputs } from '../config/parseRunOptions.js';
import { InputError } from '../core/InputError.js';
import { consoleLogger, type Logger } from '../core/Logger.js';
import { packageRoot } from '../core/packageRoot.js';
import type { RunOptions } from '../core/RunOptions.js';
import { loadProvider } from '../inference/loadProvider.js';
import { exitCodeFor } from '../process/terminationSignals.js';
import { DEFAULT_MAX_BODY_BYTES, startModelServer, type RunningModelServer, type ServedModel } from '../serve/ModelServer.js';
import { userModelCache } from './userModelCache.js';

export const SERVE_USAGE = `Usage: aqe serve [--model MODEL] [--host HOST] [--port N] [--queue N] [options]

An OpenAI-compatible HTTP server over the local model, loaded once and shared by every client: POST
/v1/chat/completions (JSON or stream: true as server-sent events), GET /v1/models, GET /health (200 once
the model is loaded, 503 before). Point the router at it with --shared-server-url http://HOST:PORT/v1.

  --host HOST           address to listen on                        default 127.0.0.1 (this machine only)
  --port N              port; 0 = any free one                      default 8080
  --queue N             requests that may wait beyond the parallel sequences; more get 429   default 16
  --served-model-name NAME  the model name clients ask for          default the file name without .gguf ("demo")
  --max-body-bytes N    largest request body accepted (413 above)   default ${DEFAULT_MAX_BODY_BYTES}
  --model, --model-sha256, --gpu, --max-parallel, --context-size, --threads, --llama-runtime
                        as for aqe run (the parallel sequences are the requests answered at once)

The API key comes from the environment, never from a flag: with AQE_SERVE_API_KEY set, every /v1 request
must send "Authorization: Bearer <key>" (401 otherwise); /health stays open for probes.
SIGINT or SIGTERM stops accepting, lets answers in flight finish for 5 s, then unloads the model.
Exit codes: 0 stopped by a signal after a clean shutdown, 1 the model failed to load or the port is taken, 2 bad usage.
`;

/** Flags of `aqe serve` that mean what the action input of the same name means. */
const MODEL_FLAGS = {
  model: 'model',
  'model-sha256': 'model-sha256',
  gpu: 'gpu',
  'max-parallel': 'max-parallel',
  'context-size': 'context-size',
  threads: 'threads',
  'llama-runtime': 'llama-runtime'
} as const satisfies Record<string, keyof RawInputs>;

export interface ServeSettings {
  host: string;
  port: number;
  queueLimit: number;
  maxBodyBytes: number;
  servedModelName?: string;
  apiKey?: string;
  /** The model options, read as `aqe run` reads them. */
  run: RunOptions;
}

/** `aqe serve`'s flags and environment, checked; 'help' for --help. */
export function parseServeArgs(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string, tempDir: string): ServeSettings | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.keys(MODEL_FLAGS).map((k) => [k, { type: 'string' as const }])),
      host: { type: 'string' },
      port: { type: 'string' },
      queue: { type: 'string' },
      'served-model-name': { type: 'string' },
      'max-body-bytes': { type: 'string' },
      // Accepted only to be refused with the way that works: a key in argv shows in every process listing.
      'api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  });
  if (values.help) return 'help';
  if (positionals.length > 0)
    throw new InputError('serve', `unexpected argument "${positionals[0]!.slice(0, 40)}"`, 'Pass options only, e.g. aqe serve --model demo');
  if (values['api-key'] !== undefined) {
    throw new InputError('--api-key', 'the key was given as a flag, where every process listing shows it', 'Set AQE_SERVE_API_KEY in the environment instead');
  }
  const text = (name: string): string | undefined => {
    const v = (values as Record<string, unknown>)[name];
    return typeof v === 'string' ? v : undefined;
  };
  const raw: RawInputs = {};
  for (const [flag, input] of Object.entries(MODEL_FLAGS)) raw[input] = text(flag);
  const host = text('host')?.trim() || '127.0.0.1';
  const name = text('served-model-name')?.trim();
  const apiKey = env.AQE_SERVE_API_KEY?.trim();
  return {
    host,
    port: parseInteger('--port', text('port') ?? '8080', 0, 65535),
    queueLimit: parseInteger('--queue', text('queue') ?? '16', 0, 100_000),
    maxBodyBytes: parseInteger('--max-body-bytes', text('max-body-bytes') ?? String(DEFAULT_MAX_BODY_BYTES), 1024, 1024 ** 3),
    ...(name ? { servedModelName: name } : {}),
    ...(apiKey ? { apiKey } : {}),
    run: parseRunOptions(raw, { cwd, tempDir })
  };
}

/** A started `aqe serve`: listening at once; `ready` settles when the model has loaded (or failed to). */
export interface StartedServe {
  server: RunningModelServer;
  ready: Promise<ServedModel>;
}

/** Starts listening, then loads the model behind it, so /health answers 503 while it loads. */
export async function startServe(settings: ServeSettings, tempDir: string, logger: Logger): Promise<StartedServe> {
  const ready = loadProvider(settings.run, { searchFrom: [packageRoot()], tempDir, ...userModelCache(logger) }, logger).then(({ provider }) => ({
    provider,
    id: settings.servedModelName ?? defaultModelName(settings.run.model, provider.info().model)
  }));
  // The server also awaits it; this keeps a failed load from being an unhandled rejection before it does.
  ready.catch(() => undefined);
  const server = await startModelServer(
    {
      host: settings.host,
      port: settings.port,
      queueLimit: settings.queueLimit,
      maxBodyBytes: settings.maxBodyBytes,
      ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
      log: (line) => logger.info(line)
    },
    ready
  );
  return { server, ready };
}

/** "demo" for the demo model, else the model file's name without .gguf (what llama-server and Ollama users expect). */
function defaultModelName(model: string, label: string): string {
  return model === 'demo' ? 'demo' : path.basename(label).replace(/\.gguf$/i, '');
}

/** `aqe serve`: runs until SIGINT or SIGTERM; resolves to the exit code. */
export async function runServeCli(argv: readonly string[]): Promise<number> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'aqe-serve-'));
  try {
    let settings: ServeSettings | 'help';
    try {
      settings = parseServeArgs(argv, process.env, process.cwd(), tempDir);
    } catch (error) {
      process.stderr.write(`aqe serve: ${(error as Error).message}\n\n${SERVE_USAGE}`);
      return error instanceof InputError || error instanceof ConfigFileError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? 2 : 1;
    }
    if (settings === 'help') {
      process.stdout.write(SERVE_USAGE);
      return 0;
    }
    return await serveUntilSignalled(settings, tempDir);
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

async function serveUntilSignalled(settings: ServeSettings, tempDir: string): Promise<number> {
  let started: StartedServe;
  try {
    started = await startServe(settings, tempDir, consoleLogger);
  } catch (error) {
    process.stderr.write(`aqe serve: could not listen on ${settings.host}:${settings.port}: ${(error as Error).message}. Choose another --port or --host.\n`);
    return 1;
  }
  const { server, ready } = started;
  consoleLogger.info(`aqe serve listening on ${server.url} (OpenAI API root ${server.url}/v1); loading the model.`);
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      // A second signal while shutting down: the user wants out now.
      process.once(signal, () => process.exit(exitCodeFor(signal as 'SIGINT' | 'SIGTERM')));
      resolve(signal);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  const outcome = await Promise.race([
    ready.then(
      () => 'ready' as const,
      (error: unknown) => error
    ),
    stopped
  ]);
  if (outcome !== 'ready' && typeof outcome !== 'string') {
    process.stderr.write(`aqe serve: ${outcome instanceof Error ? outcome.message : String(outcome)}\n`);
    await server.close();
    return outcome instanceof InputError ? 2 : 1;
  }
  if (outcome === 'ready') consoleLogger.info(`Ready: GET ${server.url}/health answers 200.`);
  const signal = outcome === 'ready' ? await stopped : outcome;
  consoleLogger.info(`${signal} received.`);
  await server.close();
  return 0;
}
