// The container smoke test's figures as JSON on stdout, read off the demo's timestamped log ("<epoch ms> <line>")
// and its JSON report. Inputs come in AQE_SMOKE_* variables from scripts/container-smoke.sh.
import { readFileSync } from 'node:fs';

const need = (name) => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`container-smoke-results: ${name} is not set: run it from scripts/container-smoke.sh.`);
  return value;
};
const lines = readFileSync(need('AQE_SMOKE_LOG'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((raw) => {
    const space = raw.indexOf(' ');
    return { at: Number(raw.slice(0, space)), text: raw.slice(space + 1) };
  });
const report = JSON.parse(readFileSync(need('AQE_SMOKE_REPORT'), 'utf8'));
const runStarted = Number(need('AQE_SMOKE_RUN_STARTED_MS'));
const at = (pattern, what) => {
  const line = lines.find((l) => pattern.test(l.text));
  if (!line) throw new Error(`container-smoke-results: the demo's log has no line for ${what} (${pattern}): did the pipeline reach generation?`);
  return line.at - runStarted;
};
// The log prints an answer once it is complete, so the first token came between the start of generation and the
// first answer line: the figure kept is that upper bound; with the demo model one answer takes a fraction of a second.
const generationStartMs = at(/^== Generating /, 'the start of generation');
const firstAnswerMs = at(/^\s+\[1\/\d+\] .*: \d+ tokens in /, 'the first answer');
const firstCandidate = report.candidates?.[0];
const result = {
  image: 'aqe cpu target (docker/Dockerfile), base: Debian bookworm (mmdebstrap) + Node ' + need('AQE_SMOKE_NODE'),
  aqeVersion: need('AQE_SMOKE_VERSION'),
  measuredAt: new Date().toISOString(),
  // Unpacked: the bytes of the image's file system on disk.
  imageBytes: Number(need('AQE_SMOKE_IMAGE_BYTES')),
  imageMiB: Math.round(Number(need('AQE_SMOKE_IMAGE_BYTES')) / 1024 / 1024),
  imageSizeReportedByBuildah: need('AQE_SMOKE_IMAGE_REPORTED'),
  buildSeconds: Number(need('AQE_SMOKE_BUILD_SECONDS')),
  smokeSeconds: Number(need('AQE_SMOKE_TOTAL_SECONDS')),
  containerStartToGenerationStartMs: generationStartMs,
  containerStartToFirstTokenMaxMs: firstAnswerMs,
  firstAnswerGenerationMs: firstCandidate?.generationMs ?? null,
  modelLoadMs: report.inference?.modelLoadMs ?? null,
  demoDurationMs: report.durationMs,
  accepted: (report.candidates ?? []).filter((c) => c.status === 'accepted').length,
  candidates: (report.candidates ?? []).length
};
console.log(JSON.stringify(result, null, 2));
