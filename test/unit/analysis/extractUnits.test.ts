import { describe, expect, it } from '@jest/globals';
import { extractUnits, type CodeUnit } from '../../../src/analysis/extractUnits.js';
import { projectTypeScript } from './projectTypeScript.js';

const ts = await projectTypeScript();

function byName(units: CodeUnit[]): Record<string, CodeUnit> {
  return Object.fromEntries(units.map((u) => [`${u.kind === 'setter' ? 'set ' : ''}${u.name}`, u]));
}

const TS_SOURCE = `import { helper } from './helper.js';

/** Linear interpolation. */
export function lerp(a: number, b: number, t: number): number {
  // straight line
  return a + (b - a) * t;
}

export function classify(
  n: number,
  strict = false,
): string {
  if (n < 0 && strict) {
    return 'negative';
  }
  for (const d of [1, 2]) {
    if (n === d) return 'small';
  }
  switch (n) {
    case 10:
      return 'ten';
    case 20:
      return 'twenty';
    default:
      return n > 100 ? 'big' : (helper(n) ?? 'other');
  }
}

export const double = (x: number): number => x * 2;

export const safeParse = function (json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
};

export class Stack<T> extends Array<unknown> implements Iterable<unknown> {
  private items: T[] = [];
  constructor(initial?: T[]) {
    super();
    this.items = initial ?? [];
  }
  push(item: T): number {
    this.items.push(item);
    return 0;
  }
  pop(): T | undefined {
    return this.items.length > 0 ? this.items.pop() : undefined;
  }
  get size(): number {
    return this.items.length;
  }
  private check(): boolean {
    return this.items.length > 0 || false;
  }
  #secret(): void {}
  format = (sep = ','): string => this.items.map((i) => (i == null ? '' : String(i))).join(sep);
}

function internal(x: number): number {
  while (x > 0) x--;
  return x;
}

export function pad(s: string): string;
export function pad(s: string, width: number): string;
export function pad(s: string, width = 2): string {
  return s.padStart(width);
}

export { internal as exposed };

export default function (): string {
  return 'anon';
}
`;

describe('extractUnits on TypeScript', () => {
  const units = extractUnits(ts, 'src/lib.ts', TS_SOURCE);
  const u = byName(units);

  it('lists functions, classes and members in source order', () => {
    expect(units.map((x) => `${x.kind} ${x.name}`)).toEqual([
      'function lerp',
      'function classify',
      'function double',
      'function safeParse',
      'class Stack',
      'constructor Stack.constructor',
      'method Stack.push',
      'method Stack.pop',
      'getter Stack.size',
      'method Stack.check',
      'method Stack.#secret',
      'method Stack.format',
      'function internal',
      'function pad',
      'function default'
    ]);
  });

  it('counts cyclomatic complexity by the documented rule', () => {
    // classify: 1 + if + && + for-of + if + case + case + ?: + ?? = 9
    expect(u.classify!.complexity).toBe(9);
    expect(u.lerp!.complexity).toBe(1);
    expect(u.double!.complexity).toBe(1);
    expect(u.safeParse!.complexity).toBe(2); // catch
    expect(u['Stack.constructor']!.complexity).toBe(2); // ??
    expect(u['Stack.pop']!.complexity).toBe(2); // ?:
    expect(u['Stack.check']!.complexity).toBe(2); // ||
    expect(u['Stack.format']!.complexity).toBe(2); // ?: inside the map callback
    expect(u.Stack!.complexity).toBe(5); // 1 + ?? + ?: + || + ?:
    expect(u.internal!.complexity).toBe(2); // while
  });

  it('gives 1-based line ranges without JSDoc and counts only lines with code', () => {
    expect(u.lerp).toMatchObject({ startLine: 4, endLine: 7, linesOfCode: 3 });
    expect(u.classify).toMatchObject({ startLine: 9, endLine: 27, linesOfCode: 19 });
    expect(u.double).toMatchObject({ startLine: 29, endLine: 29, linesOfCode: 1 });
  });

  it('renders signatures without bodies, on one line, overloads one per line', () => {
    expect(u.lerp!.signature).toBe('export function lerp(a: number, b: number, t: number): number');
    expect(u.classify!.signature).toBe('export function classify(n: number, strict = false): string');
    expect(u.double!.signature).toBe('export const double = (x: number): number =>');
    expect(u.safeParse!.signature).toBe('export const safeParse = function (json: string): unknown');
    expect(u.Stack!.signature).toBe('export class Stack<T> extends Array<unknown> implements Iterable<unknown>');
    expect(u['Stack.push']!.signature).toBe('push(item: T): number');
    expect(u['Stack.size']!.signature).toBe('get size(): number');
    expect(u['Stack.format']!.signature).toBe("format = (sep = ','): string =>");
    expect(u.pad!.signature).toBe('export function pad(s: string): string\nexport function pad(s: string, width: number): string');
    expect(u.default!.signature).toBe('export default function (): string');
  });

  it('tells what a test can reach through the exports', () => {
    expect(u.lerp).toMatchObject({ exported: true, exportNames: ['lerp'] });
    expect(u.internal).toMatchObject({ exported: true, exportNames: ['exposed'] });
    expect(u.default).toMatchObject({ exported: true, exportNames: ['default'] });
    expect(u['Stack.push']).toMatchObject({ exported: true, exportNames: [], parent: 'Stack' });
    expect(u['Stack.check']!.exported).toBe(false);
    expect(u['Stack.#secret']!.exported).toBe(false);
  });

  it('does not count comments, JSDoc or blank lines inside a unit as code', () => {
    const source = `export class Timer {
  /**
   * Milliseconds since start.
   * @returns elapsed time
   */
  elapsed(): number {
    // wall clock

    return Date.now() - this.start; /* trailing */
  }
  start = Date.now();
}
`;
    expect(extractUnits(ts, 'timer.ts', source).map((x) => [x.name, x.startLine, x.endLine, x.linesOfCode])).toEqual([
      ['Timer', 1, 12, 6],
      ['Timer.elapsed', 6, 10, 3]
    ]);
  });

  it('marks the units overlapping the changed lines', () => {
    const changed = extractUnits(ts, 'src/lib.ts', TS_SOURCE, [50, 200]).filter((x) => x.changed);
    expect(changed.map((x) => x.name)).toEqual(['Stack', 'Stack.pop']);
    expect(extractUnits(ts, 'src/lib.ts', TS_SOURCE, []).some((x) => x.changed)).toBe(false);
    expect(units.every((x) => x.changed)).toBe(true);
  });
});

describe('extractUnits on JavaScript', () => {
  it('reads CommonJS exports: an object of functions, shorthand and aliased locals, module.exports.x', () => {
    const source = `'use strict';
const { format } = require('./format');

function add(a, b) {
  return a + b;
}

function clampAll(values, min, max) {
  return values.map((v) => (v < min ? min : v > max ? max : v));
}

function unused() {}

module.exports = {
  add,
  clampAll: clampAll,
  describe(x) {
    return x && format(x);
  },
  twice: (x) => x * 2,
};
module.exports.version = function version() {
  return '1';
};
`;
    const units = extractUnits(ts, 'lib/index.js', source);
    expect(units.map((x) => [x.name, x.exportNames, x.complexity, x.startLine, x.endLine])).toEqual([
      ['add', ['add'], 1, 4, 6],
      ['clampAll', ['clampAll'], 3, 8, 10],
      ['unused', [], 1, 12, 12],
      ['describe', ['describe'], 2, 17, 19],
      ['twice', ['twice'], 1, 20, 20],
      ['version', ['version'], 1, 22, 24]
    ]);
    expect(units.find((x) => x.name === 'describe')!.signature).toBe('describe(x)');
    expect(units.find((x) => x.name === 'twice')!.signature).toBe('twice: (x) =>');
    expect(units.find((x) => x.name === 'version')!.signature).toBe('module.exports.version = function version()');
  });

  it('reads a CommonJS module that is one function or one class', () => {
    expect(extractUnits(ts, 'slug.cjs', 'module.exports = function slugify(s) {\n  return s.trim() || "-";\n};\n')).toMatchObject([
      { name: 'slugify', kind: 'function', exportNames: ['default'], complexity: 2, signature: 'module.exports = function slugify(s)' }
    ]);
    const queue = extractUnits(ts, 'queue.js', 'class Queue {\n  enqueue(x) { this.x = x; }\n}\nexports.Queue = Queue;\n');
    expect(queue.map((x) => [x.name, x.exported])).toEqual([
      ['Queue', true],
      ['Queue.enqueue', true]
    ]);
  });

  it('reads ESM JavaScript: object methods, export-as and JSX components', () => {
    const source = `export async function fetchAll(urls) {
  return Promise.all(urls.map((u) => fetch(u)));
}
const api = {
  get(url) { return url; },
  post: async (url, body) => ({ url, body }),
  retries: 3,
};
export { api as client };
export const Button = ({ label }) => (
  <button>
    {label ?? 'OK'}
  </button>
);
`;
    const units = extractUnits(ts, 'src/api.jsx', source);
    expect(units.map((x) => [x.name, x.kind, x.exported, x.linesOfCode])).toEqual([
      ['fetchAll', 'function', true, 3],
      ['api.get', 'method', true, 1],
      ['api.post', 'method', true, 1],
      ['Button', 'function', true, 5]
    ]);
    expect(units.find((x) => x.name === 'Button')!.complexity).toBe(2);
  });
});
