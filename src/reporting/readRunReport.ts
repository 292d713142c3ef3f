import { readFile } from 'node:fs/promises';
import * as z from 'zod';
import { InputError } from '../core/InputError.js';
import type { RunReport } from './RunReport.js';

/** The report versions this aqe reads; a later aqe that changes the shape raises RunReport['schemaVersion']. */
export const KNOWN_SCHEMA_VERSIONS: readonly number[] = [1];

const FIX = 'Pass the JSON report an aqe run wrote (the report-path input, or --report of the CLI), unedited';

const count = z.number().int().min(0);
const coverage = z.looseObject({ linesPct: z.number().nullable(), coveredLines: count, totalLines: count });
const stage = z.string().min(1);

// What the renderers read unconditionally is checked field by field; the optional sections only for their shape
// (an object or an array), since each has a renderer of its own that a later version may extend.
const reportSchema = z.looseObject({
  schemaVersion: z.literal(1),
  tool: z.looseObject({ name: z.string(), version: z.string() }),
  startedAt: z.string(),
  durationMs: z.number().min(0),
  repository: z.string(),
  pullRequest: z.looseObject({ number: count, title: z.string(), baseSha: z.string(), headSha: z.string(), url: z.string().optional() }).nullable(),
  changedFiles: z.array(z.string()),
  targets: z.array(z.string()),
  skipped: z.array(z.looseObject({ file: z.string(), reason: z.string() })),
  baseline: z.looseObject({
    testsPassed: count,
    testsFailed: count,
    suiteFailed: z.boolean(),
    durationMs: z.number().min(0),
    brokenTestFiles: z.array(z.looseObject({ file: z.string(), error: z.string() })),
    runFailures: z.array(z.looseObject({ kind: z.string(), packageDir: z.string(), error: z.string() })),
    coverageComplete: z.boolean()
  }),
  coverageBefore: coverage,
  coverageAfter: coverage,
  changedLinesBefore: coverage.optional(),
  changedLinesAfter: coverage.optional(),
  uncoveredChangedLines: z.array(z.looseObject({ file: z.string(), lines: z.array(z.number().int().min(1)) })).optional(),
  phases: z.array(z.looseObject({ phase: z.string().min(1), ms: z.number().min(0) })).optional(),
  candidates: z.array(
    z.looseObject({
      targetFile: z.string(),
      testFile: z.string(),
      status: z.enum(['accepted', 'rejected']),
      rejection: z.looseObject({ stage, reason: z.string() }).optional(),
      testsPassed: count,
      testsFailed: count,
      cases: z.array(z.looseObject({ name: z.string(), verdict: z.string(), reason: z.string().optional() })),
      attempts: count,
      runs: count,
      coverageBefore: coverage,
      coverageAfter: coverage,
      promptTokens: count,
      completionTokens: count,
      generationMs: z.number().min(0),
      costUsd: z.number().min(0),
      provider: z.string(),
      model: z.string(),
      tier: z.enum(['local', 'cloud'])
    })
  ),
  testsGenerated: count,
  testsAccepted: count,
  inference: z.looseObject({
    provider: z.string(),
    model: z.string(),
    hardware: z.string(),
    backend: z.string(),
    threads: count,
    parallelSequences: count,
    contextSize: count,
    modelLoadMs: z.number().min(0),
    gpu: z.looseObject({ device: z.string(), vramTotalBytes: count, vramFreeBytes: count, layersOffloaded: count, totalLayers: count }).optional(),
    gpuTelemetry: z
      .looseObject({
        samples: count,
        intervalMs: count,
        peakUtilizationPercent: z.number().min(0).max(100),
        meanUtilizationPercent: z.number().min(0).max(100),
        peakMemoryUsedBytes: count,
        memoryTotalBytes: count
      })
      .optional(),
    promptTokens: count,
    completionTokens: count,
    tokensPerSecond: z.number().min(0),
    costUsd: z.number().min(0),
    demoModelNotice: z.string().optional()
  }),
  delivery: z.looseObject({}).optional(),
  validation: z.looseObject({}).optional(),
  isolation: z.looseObject({ events: z.array(z.looseObject({})) }).optional(),
  routing: z.looseObject({}).optional(),
  telemetry: z.array(z.looseObject({})).optional(),
  cost: z.looseObject({}).optional(),
  compliance: z.looseObject({}).optional(),
  cancelled: z.looseObject({ signal: z.string(), during: z.string(), unfinished: z.array(z.looseObject({})) }).optional(),
  shard: z.looseObject({ index: count, count }).optional(),
  warnings: z.array(z.string())
});

/**
 * A RunReport read back from its JSON file (for `aqe report` and the merge of shard reports),
 * checked before any renderer sees it. `input` names the argument in the error, e.g. "<report.json>".
 */
export async function readRunReport(file: string, input: string): Promise<RunReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(input, `${file} cannot be read (${code ?? (error as Error).message})`, FIX);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(input, `${file} is not JSON (${(error as Error).message})`, FIX);
  }
  return parseRunReport(value, file, input);
}

/** Checks a parsed value is a RunReport of a version this aqe knows. */
export function parseRunReport(value: unknown, file: string, input: string): RunReport {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new InputError(input, `${file} holds ${describe(value)}, not an aqe report object`, FIX);
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (version === undefined) throw new InputError(input, `${file} has no schemaVersion, so it is not an aqe report`, FIX);
  if (typeof version !== 'number' || !KNOWN_SCHEMA_VERSIONS.includes(version)) {
    const writer = (value as { tool?: { version?: unknown } }).tool?.version;
    throw new InputError(
      input,
      `${file} has schemaVersion ${JSON.stringify(version)}, which this aqe does not read (it reads ${KNOWN_SCHEMA_VERSIONS.join(', ')})`,
      `Render it with the aqe version that wrote it${typeof writer === 'string' ? ` (${JSON.stringify(writer).slice(0, 40)})` : ''}`
    );
  }
  const checked = reportSchema.safeParse(value);
  if (!checked.success) {
    const issues = checked.error.issues.slice(0, 3).map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
    const more = checked.error.issues.length > 3 ? ` and ${checked.error.issues.length - 3} more` : '';
    throw new InputError(input, `${file} is not a complete aqe report of schemaVersion ${version} (${issues.join('; ')}${more})`, FIX);
  }
  return checked.data as unknown as RunReport;
}

function issuePath(segments: readonly PropertyKey[]): string {
  return segments.length === 0
    ? '(top level)'
    : segments
        .map((s) => (typeof s === 'number' ? `[${s}]` : `.${String(s)}`))
        .join('')
        .replace(/^\./, '');
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
