/** The counters istanbul keeps for one file; each is keyed by statement, function or branch id. */
const COUNTER_FIELDS = ['statementMap', 's', 'fnMap', 'f', 'branchMap', 'b'] as const;

/**
 * Whether `value` is an istanbul coverage map as a test runner's coverage provider hands it over:
 * an object keyed by file, each entry with its own path and the statement, function and branch
 * maps and counters. An empty object is one (the run loaded none of the measured files). A file
 * name, a v8 profile or any other shape is not, so a runner that changed what it hands over is
 * caught instead of being read as "covers nothing".
 */
export function isIstanbulCoverageData(value: unknown): value is Record<string, Record<string, unknown>> {
  if (!isPlainObject(value)) return false;
  return Object.values(value).every(
    (file) => isPlainObject(file) && typeof file.path === 'string' && COUNTER_FIELDS.every((field) => isPlainObject(file[field]))
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
