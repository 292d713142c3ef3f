import path from 'node:path';
import { rm } from 'node:fs/promises';
import { InputError } from '../core/InputError.js';
import { consoleLogger } from '../core/Logger.js';
import { formatBytes } from '../inference/model/downloadModel.js';
import { DirectoryModelCache, entryDirectory, readModelRecord } from '../inference/model/ModelCache.js';
import { listCachedModels, verifyModelFile, type Expectations, type ModelFileCheck } from '../inference/model/modelCacheEntries.js';
import { parseModelSource, sourceId, type ModelSource } from '../inference/model/ModelSource.js';
import { resolveModel, saveModelToCache } from '../inference/model/resolveModel.js';
import { EXIT_FAILURE, EXIT_OK, parseCommandArgs, printable, runCommand, writeOut } from './commandIo.js';
import { userModelCacheRoot } from './userModelCache.js';

export const MODEL_USAGE = `Usage:
  aqe model pull <source> [--sha256 HEX] [--cache DIR]     download and verify a model into the cache
  aqe model list [--cache DIR] [--json]                    what the cache holds
  aqe model verify <source|path> [--sha256 HEX] [--cache DIR]
                                                           hash a model again and compare

<source>: an https:// URL of a .gguf file, hf:owner/repo:QUANT or hf:owner/repo/file.gguf, the same forms as
--model, resolved, downloaded and checked the same way (HF_ENDPOINT and HF_TOKEN are read from the environment).
The cache is the one aqe run and aqe demo use: $XDG_CACHE_HOME/aqe (~/.cache/aqe); --cache DIR names another
(a self-hosted runner's tool cache, RUNNER_TOOL_CACHE, works too).

  --sha256 HEX   the sha256 the file must have; pull keeps it under that pin, verify compares with it
  --json         list: one JSON object per model, for scripts

verify checks a model in the cache against its record (size, sha256, GGUF header) and --sha256; a path outside
the cache against --sha256 (without one it prints the sha256 to compare by hand).

Exit codes: 0 ok; 1 failure (a download that failed, a sha256 or size that does not match, a model that is
not in the cache, a file that is no GGUF model); 2 usage (a missing or unknown argument, a malformed source
or sha256).
`;

export async function runModelCli(argv: readonly string[]): Promise<number> {
  return runCommand(async () => {
    const { values, positionals } = parseCommandArgs('model', argv, { sha256: { type: 'string' }, cache: { type: 'string' }, json: { type: 'boolean' } });
    const [action, ...args] = positionals;
    if (values.help) {
      writeOut(MODEL_USAGE);
      return EXIT_OK;
    }
    const root = values.cache ? path.resolve(values.cache) : userModelCacheRoot();
    const sha256 = values.sha256 === undefined ? undefined : parseSha256(values.sha256);
    switch (action) {
      case 'pull':
        return pull(oneArgument('pull', '<source>', args), sha256, root);
      case 'list':
        if (args.length > 0)
          throw new InputError('aqe model list', `it takes no argument, "${printable(args[0]!)}" was given`, 'Run aqe model list [--cache DIR]');
        return list(root, values.json === true);
      case 'verify':
        return verify(oneArgument('verify', '<source|path>', args), sha256, root);
      default:
        throw new InputError(
          'aqe model',
          action === undefined ? 'no action was given' : `"${printable(action)}" is not one of its actions`,
          'Use aqe model pull, aqe model list or aqe model verify (aqe model --help)'
        );
    }
  });
}

function oneArgument(action: string, name: string, args: readonly string[]): string {
  if (args.length === 1) return args[0]!;
  throw new InputError(
    name,
    args.length === 0 ? `aqe model ${action} needs one` : `aqe model ${action} takes one, ${args.length} were given`,
    `Run aqe model ${action} ${name} (aqe model --help)`
  );
}

function parseSha256(text: string): string {
  const sha256 = text.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha256))
    throw new InputError(
      '--sha256',
      `"${printable(text)}" is not a sha256`,
      "Give the 64 hex digits of the model file's sha256 (sha256sum model.gguf; Hugging Face shows it on the file's page)"
    );
  return sha256;
}

/** The model input's forms, with the errors naming this command's argument rather than the action's input. */
function parseSource(text: string, name: string): ModelSource {
  try {
    return parseModelSource(text, process.cwd());
  } catch (error) {
    if (error instanceof InputError) throw new InputError(name, error.problem, error.fix);
    throw error;
  }
}

async function pull(text: string, sha256: string | undefined, root: string): Promise<number> {
  const source = parseSource(text, '<source>');
  if (source.kind === 'local')
    throw new InputError(
      '<source>',
      `${source.path} is a local file, which needs no pull`,
      'Pass it to --model as it is, or check it with aqe model verify PATH --sha256 HEX; pull takes an https:// URL or an hf: source'
    );
  const cache = new DirectoryModelCache(root);
  const downloadDir = path.join(root, 'downloads');
  const log = (line: string): void => consoleLogger.info(line);
  const warn = (line: string): void => consoleLogger.warn(line);
  const resolved = await resolveModel({ model: text, ...(sha256 ? { expectedSha256: sha256 } : {}), cache, downloadDir, log, warn });
  let modelPath = resolved.path;
  if (resolved.toSave) {
    const saved = await saveModelToCache(cache, resolved.toSave, log, warn);
    if (!saved) {
      process.stderr.write(`aqe: ${printable(sourceId(source))} was downloaded to ${resolved.path} but could not be saved in ${cache.description}.\n`);
      return EXIT_FAILURE;
    }
    modelPath = path.join(entryDirectory(root, resolved.toSave.key), path.basename(resolved.path));
    // The entry holds the file now (a hard link where it could, else a copy): the download folder's is surplus.
    await rm(path.dirname(resolved.path), { recursive: true, force: true });
  }
  writeOut(
    [
      `${resolved.cacheHit ? 'Already in the cache, verified' : 'Pulled and verified'}: ${printable(sourceId(source))}`,
      `  file    ${printable(modelPath)}`,
      `  size    ${formatBytes(resolved.bytes)} (${resolved.bytes} bytes)`,
      `  sha256  ${resolved.sha256 ?? 'unknown'}`,
      `  key     ${resolved.cacheKey ?? ''}`,
      ''
    ].join('\n')
  );
  return EXIT_OK;
}

async function list(root: string, json: boolean): Promise<number> {
  const { entries, incomplete } = await listCachedModels(root);
  if (json) {
    writeOut(
      entries
        .map(
          (e) =>
            `${JSON.stringify({
              name: e.record.file,
              bytes: e.record.bytes,
              sha256: e.record.sha256,
              source: e.record.source,
              url: e.record.url,
              path: e.path,
              key: e.key,
              pinned: e.pinnedSha256 !== undefined,
              savedAt: e.savedAt.toISOString(),
              lastUsedAt: e.lastUsedAt?.toISOString() ?? null
            })}\n`
        )
        .join('')
    );
    return EXIT_OK;
  }
  const folder = new DirectoryModelCache(root).description;
  if (entries.length === 0) {
    writeOut(
      `No model in ${printable(folder)}.${incomplete.length > 0 ? ` ${incomplete.length} incomplete entr${incomplete.length === 1 ? 'y' : 'ies'}.` : ''}\n`
    );
    return EXIT_OK;
  }
  const rows = entries.map((e) => [
    printable(e.record.file),
    formatBytes(e.record.bytes),
    e.record.sha256,
    printable(e.record.source) + (e.pinnedSha256 ? ' (pinned)' : ''),
    e.lastUsedAt ? formatWhen(e.lastUsedAt) : `never (saved ${formatWhen(e.savedAt)})`
  ]);
  const header = ['NAME', 'SIZE', 'SHA256', 'SOURCE', 'LAST USE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const total = entries.reduce((n, e) => n + e.record.bytes, 0);
  const notes = incomplete.map((dir) => `incomplete entry (no record or model file; remove it): ${printable(dir)}`);
  writeOut(
    [
      line(header),
      ...rows.map(line),
      '',
      `${entries.length} model${entries.length === 1 ? '' : 's'}, ${formatBytes(total)}, in ${printable(folder)}`,
      ...notes,
      ''
    ].join('\n')
  );
  return EXIT_OK;
}

/** A model's expectations, and where each comes from. */
interface Target {
  path: string;
  label: string;
  expect: Expectations;
}

async function verify(text: string, sha256: string | undefined, root: string): Promise<number> {
  const source = parseSource(text, '<source|path>');
  const given = sha256 ? { value: sha256, by: '--sha256' } : undefined;
  const targets: Target[] = [];
  if (source.kind === 'local') {
    const record = await readModelRecord(path.dirname(source.path));
    // A file of a cache entry is checked against its record as well; any other file only against --sha256.
    const fromRecord = record && record.file === path.basename(source.path) ? record : undefined;
    targets.push({
      path: source.path,
      label: source.path,
      expect: {
        ...(given ? { sha256: given } : {}),
        ...(fromRecord
          ? { recordSha256: { value: fromRecord.sha256, by: 'the cache record' }, bytes: { value: fromRecord.bytes, by: 'the cache record' } }
          : {})
      }
    });
  } else {
    const id = sourceId(source);
    const entries = (await listCachedModels(root)).entries.filter((e) => e.record.source === id);
    if (entries.length === 0) {
      process.stderr.write(
        `aqe: ${printable(id)} is not in ${printable(new DirectoryModelCache(root).description)}. Run aqe model pull ${printable(text)} to download it.\n`
      );
      return EXIT_FAILURE;
    }
    for (const e of entries)
      targets.push({
        path: e.path,
        label: `${id}${e.pinnedSha256 ? ' (pinned)' : ''}`,
        expect: {
          ...(given ? { sha256: given } : {}),
          recordSha256: { value: e.record.sha256, by: 'the cache record' },
          bytes: { value: e.record.bytes, by: 'the cache record' }
        }
      });
  }
  let failed = false;
  for (const target of targets) {
    let check: ModelFileCheck;
    try {
      check = await verifyModelFile(target.path, target.expect);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'EACCES') throw error;
      process.stderr.write(`aqe: ${printable(target.path)} cannot be read (${code}).\n`);
      failed = true;
      continue;
    }
    const bad = check.mismatches.length > 0 || check.ggufProblem !== undefined;
    const compared = [target.expect.sha256?.by, target.expect.recordSha256?.by].filter((b): b is string => !!b);
    writeOut(
      [
        `${bad ? 'MISMATCH' : 'OK'}  ${printable(target.label)}`,
        `  file    ${printable(check.path)}`,
        `  size    ${formatBytes(check.bytes)} (${check.bytes} bytes)`,
        `  sha256  ${check.sha256}${compared.length > 0 && !check.mismatches.some((m) => m.what === 'sha256') ? ` (matches ${compared.join(' and ')})` : ''}`,
        ...check.mismatches.map((m) => `  ${m.what} expected ${m.expected} (${m.expectedBy}), found ${m.found}`),
        ...(check.ggufProblem ? [`  not a GGUF model: ${printable(check.ggufProblem)}`] : []),
        ...(compared.length === 0 ? ['  nothing to compare with: pass --sha256 HEX to check it'] : []),
        ''
      ].join('\n')
    );
    if (bad) {
      failed = true;
      for (const m of check.mismatches)
        process.stderr.write(`aqe: ${printable(check.path)}: ${m.what} expected ${m.expected} (${m.expectedBy}), found ${m.found}.\n`);
      if (check.ggufProblem) process.stderr.write(`aqe: ${printable(check.path)} is not a GGUF model: ${printable(check.ggufProblem)}\n`);
    }
  }
  return failed ? EXIT_FAILURE : EXIT_OK;
}

function formatWhen(when: Date): string {
  return when
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
