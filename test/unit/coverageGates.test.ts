import { describe, expect, it } from '@jest/globals';
import { parseRunOptions } from '../../src/config/parseRunOptions.js';
import { parsePercentage } from '../../src/config/inputValues.js';
import { InputError } from '../../src/core/InputError.js';
import { evaluateCoverageGates, gateFailureMessage, gateLines } from '../../src/reporting/coverageGates.js';
import type { CoverageFigures } from '../../src/core/CoverageFigures.js';
import { makeReport } from '../reporting/reportFixture.js';

const figures = (linesPct: number | null, totalLines = 40): CoverageFigures => ({
  linesPct,
  coveredLines: linesPct === null ? 0 : Math.round((linesPct / 100) * totalLines),
  totalLines: linesPct === null ? 0 : totalLines
});
const changed = (before: number | null, after: number | null) => makeReport({ changedLinesBefore: figures(before), changedLinesAfter: figures(after) });

describe('evaluateCoverageGates', () => {
  it('sets no gate when neither input is given', () => {
    expect(evaluateCoverageGates(changed(10, 20), { failBelow: null, failOnDrop: false })).toEqual([]);
  });

  it('fails fail-below-coverage naming the figure and the threshold', () => {
    const gates = evaluateCoverageGates(changed(40, 61.5), { failBelow: 80, failOnDrop: false });
    expect(gates).toEqual([
      {
        gate: 'fail-below-coverage',
        status: 'failed',
        threshold: 80,
        before: 40,
        after: 61.5,
        message: 'changed-lines coverage 61.5% is below fail-below-coverage 80%'
      }
    ]);
    expect(gateFailureMessage(gates)).toBe('changed-lines coverage 61.5% is below fail-below-coverage 80%');
  });

  it('passes fail-below-coverage at exactly the threshold', () => {
    const [gate] = evaluateCoverageGates(changed(40, 80), { failBelow: 80, failOnDrop: false });
    expect(gate?.status).toBe('passed');
    expect(gateFailureMessage([gate!])).toBeNull();
  });

  it('judges a drop on the same run: after below before fails, equal passes', () => {
    const [dropped] = evaluateCoverageGates(changed(75, 70.25), { failBelow: null, failOnDrop: true });
    expect(dropped).toMatchObject({ gate: 'fail-on-coverage-drop', status: 'failed', before: 75, after: 70.25 });
    expect(dropped?.message).toBe('changed-lines coverage fell from 75% to 70.25% with the accepted tests (fail-on-coverage-drop)');
    const [held] = evaluateCoverageGates(changed(75, 75), { failBelow: null, failOnDrop: true });
    expect(held?.status).toBe('passed');
  });

  it('never fails a run with no changed executable lines, and says why', () => {
    for (const report of [changed(null, null), makeReport()]) {
      const gates = evaluateCoverageGates(report, { failBelow: 100, failOnDrop: true });
      expect(gates.map((g) => g.status)).toEqual(['not-applicable', 'not-applicable']);
      expect(gateFailureMessage(gates)).toBeNull();
      expect(gates[0]?.message).toMatch(/no changed executable lines/);
    }
  });

  it('joins every failed gate into one message and gives one line per gate', () => {
    const gates = evaluateCoverageGates(changed(90, 50), { failBelow: 60, failOnDrop: true });
    expect(gateFailureMessage(gates)).toBe(
      'changed-lines coverage 50% is below fail-below-coverage 60%; changed-lines coverage fell from 90% to 50% with the accepted tests (fail-on-coverage-drop)'
    );
    expect(gateLines(gates)).toEqual([`❌ fail-below-coverage: ${gates[0]!.message}`, `❌ fail-on-coverage-drop: ${gates[1]!.message}`]);
  });
});

describe('parsing the gate inputs', () => {
  const ctx = { cwd: '/repo', tempDir: '/tmp' };

  it('is off by default', () => {
    expect(parseRunOptions({}, ctx).coverageGates).toEqual({ failBelow: null, failOnDrop: false });
  });

  it('reads a percentage (decimals and a trailing % allowed) and a boolean', () => {
    expect(parseRunOptions({ 'fail-below-coverage': ' 72.5 ', 'fail-on-coverage-drop': 'true' }, ctx).coverageGates).toEqual({
      failBelow: 72.5,
      failOnDrop: true
    });
    expect(parsePercentage('fail-below-coverage', '80%')).toBe(80);
    expect(parsePercentage('fail-below-coverage', '0')).toBe(0);
    expect(parsePercentage('fail-below-coverage', '100')).toBe(100);
  });

  it.each([
    ['101', /Input "fail-below-coverage": 101 is out of range\. Give a percentage from 0 to 100/],
    ['-5', /"-5" is not a percentage/],
    ['eighty', /"eighty" is not a percentage/],
    ['0.8.1', /"0\.8\.1" is not a percentage/]
  ])('refuses fail-below-coverage %s naming the input and the fix', (text, message) => {
    expect(() => parseRunOptions({ 'fail-below-coverage': text }, ctx)).toThrow(InputError);
    expect(() => parseRunOptions({ 'fail-below-coverage': text }, ctx)).toThrow(message);
  });

  it('refuses a fail-on-coverage-drop that is not a boolean', () => {
    expect(() => parseRunOptions({ 'fail-on-coverage-drop': 'sometimes' }, ctx)).toThrow(/Input "fail-on-coverage-drop": "sometimes" is not a boolean/);
  });
});
