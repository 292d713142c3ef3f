import { describe, expect, it } from '@jest/globals';
import { MAX_REPORT_BYTES, ReportArtifactError, readReportZip } from '../../src/reporting/readReportZip.js';
import { buildZip } from '../support/zipBuilder.js';
import { makeReport } from './reportFixture.js';

const report = makeReport();
const json = JSON.stringify(report);

async function failure(zip: Buffer, maxReportBytes?: number): Promise<Error> {
  const error = await readReportZip(zip, 'aqe-report-pr42', maxReportBytes === undefined ? {} : { maxReportBytes }).then(
    () => new Error('read a report that should have been refused'),
    (e: unknown) => e as Error
  );
  return error;
}

/** A report artifact's zip comes from a run the fork controls: only its one report entry is ever read. */
describe('readReportZip', () => {
  it('reads aqe-report.json from the root next to the other files of the artifact', async () => {
    const zip = buildZip([
      { name: 'run-report.schema.json', data: '{}' },
      { name: 'accepted/test/cart.generated.test.ts', data: 'test("x", () => {});' },
      { name: 'aqe-report.json', data: json }
    ]);
    await expect(readReportZip(zip, 'aqe-report-pr42')).resolves.toEqual(report);
  });

  it('names the artifact when the report is missing, and never takes a same-named entry outside the root', async () => {
    for (const name of ['../aqe-report.json', '/aqe-report.json', 'nested/aqe-report.json', 'aqe-report.json/']) {
      const error = await failure(buildZip([{ name, data: json }]));
      expect(error).toBeInstanceOf(ReportArtifactError);
      expect(error.message).toContain('"aqe-report-pr42" has no aqe-report.json at its root');
      expect(error.message).toContain('report-artifact: true');
    }
  });

  it('ignores hostile names of other entries instead of failing on them', async () => {
    const zip = buildZip([
      { name: '../../etc/passwd', data: 'root:x:0:0' },
      { name: 'C:\\evil.txt', data: 'x' },
      { name: 'aqe-report.json', data: json }
    ]);
    await expect(readReportZip(zip, 'aqe-report-pr42')).resolves.toEqual(report);
  });

  it('refuses the report as a symbolic link, twice, or a file that is no zip', async () => {
    expect((await failure(buildZip([{ name: 'aqe-report.json', data: '/etc/passwd', symlink: true }]))).message).toContain('as a symbolic link');
    expect(
      (
        await failure(
          buildZip([
            { name: 'aqe-report.json', data: json },
            { name: 'aqe-report.json', data: '{}' }
          ])
        )
      ).message
    ).toContain('twice');
    expect((await failure(Buffer.from('PK\u0003\u0004 not really a zip'))).message).toContain('is not a readable zip');
  });

  it('stops a zip bomb at the cap, whether its headers tell the size or lie about it', async () => {
    const bomb = Buffer.alloc(3 * 1024 ** 2, 0x20); // 3 MiB of spaces deflate to a few KiB
    const honest = buildZip([{ name: 'aqe-report.json', data: bomb }]);
    expect(honest.length).toBeLessThan(64 * 1024);
    expect((await failure(honest, 1024 ** 2)).message).toMatch(/larger than 1 MiB/);
    const lying = buildZip([{ name: 'aqe-report.json', data: bomb, declaredSize: 100 }]);
    const error = await failure(lying, 1024 ** 2);
    expect(error).toBeInstanceOf(ReportArtifactError);
    expect(error.message).toMatch(/larger than 1 MiB|does not inflate/);
    expect(MAX_REPORT_BYTES).toBe(32 * 1024 ** 2);
  });

  it('checks the report as aqe report does: not JSON, or not a report, is an error naming the artifact', async () => {
    expect((await failure(buildZip([{ name: 'aqe-report.json', data: '{"schemaVersion":' }]))).message).toContain('is not JSON');
    const notReport = await failure(buildZip([{ name: 'aqe-report.json', data: JSON.stringify({ schemaVersion: 1 }) }]));
    expect(notReport.message).toContain('aqe-report.json of the artifact "aqe-report-pr42" is not a complete aqe report');
  });
});
