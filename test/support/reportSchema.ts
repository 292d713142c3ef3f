import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { PACKAGE_ROOT } from './actionHarness.js';

/** The published JSON Schema of the report for `version`, as committed under schema/. */
export function reportSchemaPath(version: number): string {
  return path.join(PACKAGE_ROOT, 'schema', `run-report.v${version}.schema.json`);
}

/**
 * Checks a report against a schema file with ajv (every error, strict schema checking on), and
 * returns the problems as `<JSON pointer> <message>` lines; none = valid.
 */
export function reportProblems(report: unknown, schemaFile = reportSchemaPath(1)): string[] {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
  if (validate(report)) return [];
  return (validate.errors ?? []).map(
    (e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`
  );
}
