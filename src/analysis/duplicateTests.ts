import type { ParsedTestFile } from './testFileModel.js';

export interface DuplicateCase {
  /** Full title (describe titles and the test's) of the candidate's case that repeats another. */
  caseTitle: string;
  /** 1-based line of that case in the candidate file (what removeTestCases takes). */
  line: number;
  /** The first case found with the same canonical body. */
  duplicateOf: { file: string; title: string; line: number };
}

/**
 * The cases of a candidate test file whose canonical body (see canonicalCaseText) equals that
 * of a case in `existing` (the repository's tests for the same target, other generated files)
 * or of an earlier case in the candidate itself. Titles are ignored: a model often repeats a test
 * under a new name. Files in `existing` with the candidate's own path are skipped, so the
 * candidate can be passed in the list of all generated files.
 */
export function findDuplicateCases(candidate: ParsedTestFile, existing: readonly ParsedTestFile[]): DuplicateCase[] {
  const seen = new Map<string, DuplicateCase['duplicateOf']>();
  for (const file of existing) {
    if (file.file === candidate.file) continue;
    for (const testCase of file.cases) {
      if (testCase.canonicalBody !== undefined && !seen.has(testCase.canonicalBody)) {
        seen.set(testCase.canonicalBody, { file: file.file, title: testCase.fullTitle, line: testCase.startLine });
      }
    }
  }
  const duplicates: DuplicateCase[] = [];
  for (const testCase of candidate.cases) {
    if (testCase.canonicalBody === undefined) continue;
    const first = seen.get(testCase.canonicalBody);
    if (first) duplicates.push({ caseTitle: testCase.fullTitle, line: testCase.startLine, duplicateOf: first });
    else seen.set(testCase.canonicalBody, { file: candidate.file, title: testCase.fullTitle, line: testCase.startLine });
  }
  return duplicates;
}
