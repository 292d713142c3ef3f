import { findDuplicateCases } from '../analysis/duplicateTests.js';
import type { TypeScriptApi } from '../analysis/loadTypeScript.js';
import { syntaxErrors } from '../analysis/parseSource.js';
import { parseTestFile } from '../analysis/parseTestFile.js';
import { removeTestCases } from '../analysis/removeTestCases.js';
import { type ParsedTestFile, TestPruningError } from '../analysis/testFileModel.js';
import type { ParsedTestCase, TestCaseEditor } from './TestCaseEditor.js';

/** The TestCaseEditor on the TypeScript compiler API (the repository's own copy, or the action's). */
export function analysisTestCaseEditor(api: TypeScriptApi): TestCaseEditor {
  // The repository's tests are compared with every candidate: each is parsed once.
  const parsedOthers = new Map<string, ParsedTestFile>();
  const parseOther = (file: string, code: string): ParsedTestFile => {
    const key = `${file}\0${code}`;
    let parsed = parsedOthers.get(key);
    if (!parsed) parsedOthers.set(key, (parsed = parseTestFile(api, file, code)));
    return parsed;
  };
  return {
    parse(file, code) {
      if (syntaxErrors(api, file, code).length > 0) return undefined;
      return parseTestFile(api, file, code).cases.map((c) => ({
        title: c.title,
        ancestors: c.ancestors,
        line: c.startLine,
        endLine: c.endLine,
        hasAssertion: c.hasAssertion
      }));
    },
    remove(file, code, cases: readonly ParsedTestCase[]) {
      try {
        const removal = removeTestCases(
          api,
          file,
          code,
          cases.map((c) => ({ line: c.line }))
        );
        return removal.notRemoved.length > 0 ? undefined : removal.text;
      } catch (error) {
        // The cut would have broken the file's syntax: it is rejected whole instead.
        if (error instanceof TestPruningError) return undefined;
        throw error;
      }
    },
    duplicates(file, code, others) {
      const candidate = parseTestFile(api, file, code);
      const existing = others.map((o) => parseOther(o.file, o.code));
      return findDuplicateCases(candidate, existing).map((d) => ({ line: d.line, duplicateOf: `"${d.duplicateOf.title}" in ${d.duplicateOf.file}` }));
    }
  };
}
