// Generates the JSON Schema of the JSON report (src/reporting/RunReport.ts, type RunReport) into
// schema/run-report.v<schemaVersion>.schema.json, the file readers of the report validate against.
// The version is in the name: a report of another schemaVersion is another file, and the old one stays.
//   node scripts/build-report-schema.mjs           writes the file
//   node scripts/build-report-schema.mjs --print   prints what it would write (the tests compare it with the file)
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { createGenerator } from 'ts-json-schema-generator';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_URL = 'https://github.com/aqe/local-inference';

const generated = createGenerator({
  path: path.join(root, 'src/reporting/RunReport.ts'),
  tsconfig: path.join(root, 'tsconfig.json'),
  type: 'RunReport',
  // The doc comments become descriptions: the schema explains each field as the type does.
  jsDoc: 'extended',
  // Only the JSON form is described: no TypeScript-only keywords in the output.
  markdownDescription: false,
  sortProps: true,
  skipTypeCheck: true,
  additionalProperties: false
}).createSchema('RunReport');

const version = generated.definitions?.RunReport?.properties?.schemaVersion?.const;
if (!Number.isInteger(version)) {
  throw new Error('RunReport.schemaVersion must be a number literal type (schemaVersion: 1): the schema file is named after it.');
}
const file = `run-report.v${version}.schema.json`;
const schema = {
  $schema: generated.$schema,
  $id: `${REPO_URL}/blob/v${version}/schema/${file}`,
  title: `aqe/local-inference run report, schema version ${version}`,
  description: `The JSON report (report-path, aqe-report.json in the run artifact) of one aqe run, schemaVersion ${version}. Generated from src/reporting/RunReport.ts by scripts/build-report-schema.mjs; do not edit by hand.`,
  $ref: generated.$ref,
  definitions: generated.definitions
};
const options = (await prettier.resolveConfig(path.join(root, 'schema', file))) ?? {};
const text = await prettier.format(JSON.stringify(schema), { ...options, parser: 'json' });

if (process.argv.includes('--print')) process.stdout.write(text);
else {
  writeFileSync(path.join(root, 'schema', file), text);
  console.log(`schema/${file} written.`);
}
