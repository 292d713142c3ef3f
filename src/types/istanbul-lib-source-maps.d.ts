// The package ships no types; only the part this project uses is declared.
declare module 'istanbul-lib-source-maps' {
  import type { CoverageMap } from 'istanbul-lib-coverage';

  export interface MapStore {
    /** Maps coverage recorded on transformed code back to the original source (via each file's inputSourceMap). */
    transformCoverage(coverageMap: CoverageMap): Promise<CoverageMap>;
  }

  export function createSourceMapStore(options?: Record<string, unknown>): MapStore;

  const istanbulLibSourceMaps: { createSourceMapStore: typeof createSourceMapStore };
  export default istanbulLibSourceMaps;
}
