/** One coverage measurement, as coverage/ computes it and the report shows it. */
export interface CoverageFigures {
  /** Line coverage in percent (0-100), rounded to 2 decimals; null when nothing was measured. */
  linesPct: number | null;
  coveredLines: number;
  totalLines: number;
}
