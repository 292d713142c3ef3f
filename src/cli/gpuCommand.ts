import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/InputError.js';
import { GPU_OPTIONS, type GpuOption } from '../core/RunOptions.js';
import { readHardwareReport, type HardwareReport, type ModelForEstimate } from '../inference/hardwareReport.js';
import { listCachedModels } from '../inference/model/modelCacheEntries.js';
import { parseModelSource, sourceId } from '../inference/model/ModelSource.js';
import { EXIT_OK, parseCommandArgs, printable, runCommand, writeOut } from './commandIo.js';
import { userModelCacheRoot } from './userModelCache.js';

export const GPU_USAGE = `Usage: aqe gpu [--gpu MODE] [--model MODEL] [--context-size N] [--cache DIR] [--json]

What aqe finds on this machine and what a run with the defaults would do with it: the NVIDIA GPUs nvidia-smi
lists (name, driver, free and total VRAM), the back end llama.cpp would run on and why, the model an empty
--model chooses here, and the number of parallel sequences max-parallel auto would choose.

  --gpu MODE          auto | cuda | vulkan | metal | cpu, as for aqe run          default auto
  --model MODEL       estimate max-parallel for this model instead of the automatic one (a GGUF path, or a
                      source in the model cache: aqe model list)
  --context-size N    tokens per sequence, as for aqe run                         default 8192
  --cache DIR         the model cache to look the model up in                     default $XDG_CACHE_HOME/aqe
  --json              the same as one JSON object

max-parallel needs the model's shape (its KV cache per sequence): for a model not downloaded yet only the most
the hardware allows is shown; aqe model pull fetches it.

Exit codes: 0 reported (a machine without a GPU is no failure); 2 usage.
`;

export async function runGpuCli(argv: readonly string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parseCommandArgs('gpu', argv, {
      gpu: { type: 'string' },
      model: { type: 'string' },
      'context-size': { type: 'string' },
      cache: { type: 'string' },
      json: { type: 'boolean' }
    });
    if (values.help) {
      writeOut(GPU_USAGE);
      return EXIT_OK;
    }
    if (positionals.length > 0) throw new InputError('aqe gpu', `it takes no argument, "${printable(positionals[0]!)}" was given`, 'Run aqe gpu --help');
    const gpu = values.gpu ?? 'auto';
    if (!(GPU_OPTIONS as readonly string[]).includes(gpu))
      throw new InputError('--gpu', `"${printable(gpu)}" is not a known GPU option`, `Use one of: ${GPU_OPTIONS.join(', ')}`);
    const contextText = values['context-size'] ?? '8192';
    const contextSize = Number(contextText);
    if (!Number.isInteger(contextSize) || contextSize < 512 || contextSize > 1_048_576)
      throw new InputError(
        '--context-size',
        `"${printable(contextText)}" is not a whole number from 512 to 1048576`,
        'Give the tokens per sequence, e.g. 8192'
      );
    if (values.model !== undefined) parseSourceFor(values.model);
    const root = values.cache ? path.resolve(values.cache) : userModelCacheRoot();
    const report = await readHardwareReport({
      gpu: gpu as GpuOption,
      contextSize,
      ...(values.model ? { model: values.model } : {}),
      locateModel: (model) => locateModel(model, root)
    });
    writeOut(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderHardwareReport(report));
    return EXIT_OK;
  });
}

function parseSourceFor(model: string): ReturnType<typeof parseModelSource> {
  try {
    return parseModelSource(model, process.cwd());
  } catch (error) {
    if (error instanceof InputError) throw new InputError('--model', error.problem, error.fix);
    throw error;
  }
}

/** The model's file when it is here: a local GGUF file, or a cached download of the source. */
async function locateModel(model: string, root: string): Promise<{ found?: ModelForEstimate; hint?: string }> {
  const source = parseSourceFor(model);
  if (source.kind === 'local') {
    const info = await stat(source.path).catch(() => undefined);
    if (!info?.isFile()) throw new InputError('--model', `${source.path} is not a file`, 'Give the path of a .gguf model file, or a source in the model cache');
    return { found: { label: path.basename(source.path), path: source.path, bytes: info.size } };
  }
  const id = sourceId(source);
  const entry = (await listCachedModels(root)).entries.find((e) => e.record.source === id);
  if (entry) return { found: { label: id, path: entry.path, bytes: entry.record.bytes } };
  return { hint: `${id} is not downloaded: aqe model pull ${id}` };
}

export function renderHardwareReport(r: HardwareReport): string {
  const gib = (bytes: number): string => `${(bytes / 1024 ** 3).toFixed(1)} GiB`;
  const gpuLines =
    r.gpus.length > 0
      ? r.gpus.map(
          (g, i) =>
            `  GPU ${i}            ${printable(g.name)}, driver ${printable(g.driver)}, ${g.vramFreeMiB !== undefined ? `${gib(g.vramFreeMiB * 1024 ** 2)} free of ` : ''}${gib(g.vramMiB * 1024 ** 2)} VRAM`
        )
      : [
          `  GPUs             none found (${
            r.gpuOption === 'cpu'
              ? 'not looked for: gpu is cpu'
              : r.nvidiaDevice
                ? 'an NVIDIA device exists, but nvidia-smi lists no GPU'
                : 'no NVIDIA device: /dev/nvidia0 and /dev/nvidiactl are absent'
          })`
        ];
  const memory = `${r.memory.kind === 'vram' ? 'VRAM' : 'RAM'}: ${gib(r.memory.freeBytes)} free of ${gib(r.memory.totalBytes)}`;
  return [
    `Detected (gpu: ${r.gpuOption}, ${r.platform}-${r.arch}, ${r.usableCpus} usable CPU${r.usableCpus === 1 ? '' : 's'})`,
    ...gpuLines,
    `Back end           ${r.backend === 'cpu' ? 'CPU' : r.backend.toUpperCase()}: ${r.backendReason}`,
    `Memory             ${memory} (where the KV caches live)`,
    `Model (auto)       ${printable(r.autoModel.model)}: ${r.autoModel.reason}`,
    `max-parallel auto  ${r.maxParallel.exact ? '' : 'at most '}${r.maxParallel.value} for ${printable(r.estimatedFor)}: ${printable(r.maxParallel.reason)}`,
    ''
  ].join('\n');
}
