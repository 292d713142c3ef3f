import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 377:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

/*
 Copyright 2012-2015, Yahoo Inc.
 Copyrights licensed under the New BSD License. See the accompanying LICENSE file for terms.
 */


/**
 * istanbul-lib-coverage exports an API that allows you to create and manipulate
 * file coverage, coverage maps (a set of file coverage objects) and summary
 * coverage objects. File coverage for the same file can be merged as can
 * entire coverage maps.
 *
 * @module Exports
 */
const { FileCoverage } = __nccwpck_require__(862);
const { CoverageMap } = __nccwpck_require__(692);
const { CoverageSummary } = __nccwpck_require__(370);

module.exports = {
    /**
     * creates a coverage summary object
     * @param {Object} obj an argument with the same semantics
     *  as the one passed to the `CoverageSummary` constructor
     * @returns {CoverageSummary}
     */
    createCoverageSummary(obj) {
        if (obj && obj instanceof CoverageSummary) {
            return obj;
        }
        return new CoverageSummary(obj);
    },
    /**
     * creates a CoverageMap object
     * @param {Object} obj optional - an argument with the same semantics
     *  as the one passed to the CoverageMap constructor.
     * @returns {CoverageMap}
     */
    createCoverageMap(obj) {
        if (obj && obj instanceof CoverageMap) {
            return obj;
        }
        return new CoverageMap(obj);
    },
    /**
     * creates a FileCoverage object
     * @param {Object} obj optional - an argument with the same semantics
     *  as the one passed to the FileCoverage constructor.
     * @returns {FileCoverage}
     */
    createFileCoverage(obj) {
        if (obj && obj instanceof FileCoverage) {
            return obj;
        }
        return new FileCoverage(obj);
    }
};

/** classes exported for reuse */
module.exports.classes = {
    /**
     * the file coverage constructor
     */
    FileCoverage
};


/***/ }),

/***/ 692:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

/*
 Copyright 2012-2015, Yahoo Inc.
 Copyrights licensed under the New BSD License. See the accompanying LICENSE file for terms.
 */


const { FileCoverage } = __nccwpck_require__(862);
const { CoverageSummary } = __nccwpck_require__(370);

function maybeConstruct(obj, klass) {
    if (obj instanceof klass) {
        return obj;
    }

    return new klass(obj);
}

function loadMap(source) {
    const data = Object.create(null);
    if (!source) {
        return data;
    }

    Object.entries(source).forEach(([k, cov]) => {
        data[k] = maybeConstruct(cov, FileCoverage);
    });

    return data;
}

/** CoverageMap is a map of `FileCoverage` objects keyed by file paths. */
class CoverageMap {
    /**
     * @constructor
     * @param {Object} [obj=undefined] obj A coverage map from which to initialize this
     * map's contents. This can be the raw global coverage object.
     */
    constructor(obj) {
        if (obj instanceof CoverageMap) {
            this.data = obj.data;
        } else {
            this.data = loadMap(obj);
        }
    }

    /**
     * merges a second coverage map into this one
     * @param {CoverageMap} obj - a CoverageMap or its raw data. Coverage is merged
     *  correctly for the same files and additional file coverage keys are created
     *  as needed.
     */
    merge(obj) {
        const other = maybeConstruct(obj, CoverageMap);
        Object.values(other.data).forEach(fc => {
            this.addFileCoverage(fc);
        });
    }

    /**
     * filter the coveragemap based on the callback provided
     * @param {Function (filename)} callback - Returns true if the path
     *  should be included in the coveragemap. False if it should be
     *  removed.
     */
    filter(callback) {
        Object.keys(this.data).forEach(k => {
            if (!callback(k)) {
                delete this.data[k];
            }
        });
    }

    /**
     * returns a JSON-serializable POJO for this coverage map
     * @returns {Object}
     */
    toJSON() {
        return this.data;
    }

    /**
     * returns an array for file paths for which this map has coverage
     * @returns {Array{string}} - array of files
     */
    files() {
        return Object.keys(this.data);
    }

    /**
     * returns the file coverage for the specified file.
     * @param {String} file
     * @returns {FileCoverage}
     */
    fileCoverageFor(file) {
        const fc = this.data[file];
        if (!fc) {
            throw new Error(`No file coverage available for: ${file}`);
        }
        return fc;
    }

    /**
     * adds a file coverage object to this map. If the path for the object,
     * already exists in the map, it is merged with the existing coverage
     * otherwise a new key is added to the map.
     * @param {FileCoverage} fc the file coverage to add
     */
    addFileCoverage(fc) {
        const cov = new FileCoverage(fc);
        const { path } = cov;
        if (this.data[path]) {
            this.data[path].merge(cov);
        } else {
            this.data[path] = cov;
        }
    }

    /**
     * returns the coverage summary for all the file coverage objects in this map.
     * @returns {CoverageSummary}
     */
    getCoverageSummary() {
        const ret = new CoverageSummary();
        Object.values(this.data).forEach(fc => {
            ret.merge(fc.toSummary());
        });

        return ret;
    }
}

module.exports = {
    CoverageMap
};


/***/ }),

/***/ 370:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

/*
 Copyright 2012-2015, Yahoo Inc.
 Copyrights licensed under the New BSD License. See the accompanying LICENSE file for terms.
 */


const percent = __nccwpck_require__(24);
const dataProperties = __nccwpck_require__(515);

function blankSummary() {
    const empty = () => ({
        total: 0,
        covered: 0,
        skipped: 0,
        pct: 'Unknown'
    });

    return {
        lines: empty(),
        statements: empty(),
        functions: empty(),
        branches: empty(),
        branchesTrue: empty()
    };
}

// asserts that a data object "looks like" a summary coverage object
function assertValidSummary(obj) {
    const valid =
        obj && obj.lines && obj.statements && obj.functions && obj.branches;
    if (!valid) {
        throw new Error(
            'Invalid summary coverage object, missing keys, found:' +
                Object.keys(obj).join(',')
        );
    }
}

/**
 * CoverageSummary provides a summary of code coverage . It exposes 4 properties,
 * `lines`, `statements`, `branches`, and `functions`. Each of these properties
 * is an object that has 4 keys `total`, `covered`, `skipped` and `pct`.
 * `pct` is a percentage number (0-100).
 */
class CoverageSummary {
    /**
     * @constructor
     * @param {Object|CoverageSummary} [obj=undefined] an optional data object or
     * another coverage summary to initialize this object with.
     */
    constructor(obj) {
        if (!obj) {
            this.data = blankSummary();
        } else if (obj instanceof CoverageSummary) {
            this.data = obj.data;
        } else {
            this.data = obj;
        }
        assertValidSummary(this.data);
    }

    /**
     * merges a second summary coverage object into this one
     * @param {CoverageSummary} obj - another coverage summary object
     */
    merge(obj) {
        const keys = [
            'lines',
            'statements',
            'branches',
            'functions',
            'branchesTrue'
        ];
        keys.forEach(key => {
            if (obj[key]) {
                this[key].total += obj[key].total;
                this[key].covered += obj[key].covered;
                this[key].skipped += obj[key].skipped;
                this[key].pct = percent(this[key].covered, this[key].total);
            }
        });

        return this;
    }

    /**
     * returns a POJO that is JSON serializable. May be used to get the raw
     * summary object.
     */
    toJSON() {
        return this.data;
    }

    /**
     * return true if summary has no lines of code
     */
    isEmpty() {
        return this.lines.total === 0;
    }
}

dataProperties(CoverageSummary, [
    'lines',
    'statements',
    'functions',
    'branches',
    'branchesTrue'
]);

module.exports = {
    CoverageSummary
};


/***/ }),

/***/ 515:
/***/ ((module) => {



module.exports = function dataProperties(klass, properties) {
    properties.forEach(p => {
        Object.defineProperty(klass.prototype, p, {
            enumerable: true,
            get() {
                return this.data[p];
            }
        });
    });
};


/***/ }),

/***/ 862:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

/*
 Copyright 2012-2015, Yahoo Inc.
 Copyrights licensed under the New BSD License. See the accompanying LICENSE file for terms.
 */


const percent = __nccwpck_require__(24);
const dataProperties = __nccwpck_require__(515);
const { CoverageSummary } = __nccwpck_require__(370);

// returns a data object that represents empty coverage
function emptyCoverage(filePath, reportLogic) {
    const cov = {
        path: filePath,
        statementMap: {},
        fnMap: {},
        branchMap: {},
        s: {},
        f: {},
        b: {}
    };
    if (reportLogic) cov.bT = {};
    return cov;
}

// asserts that a data object "looks like" a coverage object
function assertValidObject(obj) {
    const valid =
        obj &&
        obj.path &&
        obj.statementMap &&
        obj.fnMap &&
        obj.branchMap &&
        obj.s &&
        obj.f &&
        obj.b;
    if (!valid) {
        throw new Error(
            'Invalid file coverage object, missing keys, found:' +
                Object.keys(obj).join(',')
        );
    }
}

const keyFromLoc = ({ start, end }) =>
    `${start.line}|${start.column}|${end.line}|${end.column}`;

const isObj = o => !!o && typeof o === 'object';
const isLineCol = o =>
    isObj(o) && typeof o.line === 'number' && typeof o.column === 'number';
const isLoc = o => isObj(o) && isLineCol(o.start) && isLineCol(o.end);
const getLoc = o => (isLoc(o) ? o : isLoc(o.loc) ? o.loc : null);

// When merging, we can have a case where two ranges cover
// the same block of code with `hits=1`, and each carve out a
// different range with `hits=0` to indicate it's uncovered.
// Find the nearest container so that we can properly indicate
// that both sections are hit.
// Returns null if no containing item is found.
const findNearestContainer = (item, map) => {
    const itemLoc = getLoc(item);
    if (!itemLoc) return null;
    // the B item is not an identified range in the A set, BUT
    // it may be contained by an identified A range. If so, then
    // any hit of that containing A range counts as a hit of this
    // B range as well. We have to find the *narrowest* containing
    // range to be accurate, since ranges can be hit and un-hit
    // in a nested fashion.
    let nearestContainingItem = null;
    let containerDistance = null;
    let containerKey = null;
    for (const [i, mapItem] of Object.entries(map)) {
        const mapLoc = getLoc(mapItem);
        if (!mapLoc) continue;
        // contained if all of line distances are > 0
        // or line distance is 0 and col dist is >= 0
        const distance = [
            itemLoc.start.line - mapLoc.start.line,
            itemLoc.start.column - mapLoc.start.column,
            mapLoc.end.line - itemLoc.end.line,
            mapLoc.end.column - itemLoc.end.column
        ];
        if (
            distance[0] < 0 ||
            distance[2] < 0 ||
            (distance[0] === 0 && distance[1] < 0) ||
            (distance[2] === 0 && distance[3] < 0)
        ) {
            continue;
        }
        if (nearestContainingItem === null) {
            containerDistance = distance;
            nearestContainingItem = mapItem;
            containerKey = i;
            continue;
        }
        // closer line more relevant than closer column
        const closerBefore =
            distance[0] < containerDistance[0] ||
            (distance[0] === 0 && distance[1] < containerDistance[1]);
        const closerAfter =
            distance[2] < containerDistance[2] ||
            (distance[2] === 0 && distance[3] < containerDistance[3]);
        if (closerBefore || closerAfter) {
            // closer
            containerDistance = distance;
            nearestContainingItem = mapItem;
            containerKey = i;
        }
    }
    return containerKey;
};

// either add two numbers, or all matching entries in a number[]
const addHits = (aHits, bHits) => {
    if (typeof aHits === 'number' && typeof bHits === 'number') {
        return aHits + bHits;
    } else if (Array.isArray(aHits) && Array.isArray(bHits)) {
        return aHits.map((a, i) => (a || 0) + (bHits[i] || 0));
    }
    return null;
};

const addNearestContainerHits = (item, itemHits, map, mapHits) => {
    const container = findNearestContainer(item, map);
    if (container) {
        return addHits(itemHits, mapHits[container]);
    } else {
        return itemHits;
    }
};

const mergeProp = (aHits, aMap, bHits, bMap, itemKey = keyFromLoc) => {
    const aItems = {};
    for (const [key, itemHits] of Object.entries(aHits)) {
        const item = aMap[key];
        aItems[itemKey(item)] = [itemHits, item];
    }
    const bItems = {};
    for (const [key, itemHits] of Object.entries(bHits)) {
        const item = bMap[key];
        bItems[itemKey(item)] = [itemHits, item];
    }
    const mergedItems = {};
    for (const [key, aValue] of Object.entries(aItems)) {
        let aItemHits = aValue[0];
        const aItem = aValue[1];
        const bValue = bItems[key];
        if (!bValue) {
            // not an identified range in b, but might be contained by one
            aItemHits = addNearestContainerHits(aItem, aItemHits, bMap, bHits);
        } else {
            // is an identified range in b, so add the hits together
            aItemHits = addHits(aItemHits, bValue[0]);
        }
        mergedItems[key] = [aItemHits, aItem];
    }
    // now find the items in b that are not in a. already added matches.
    for (const [key, bValue] of Object.entries(bItems)) {
        let bItemHits = bValue[0];
        const bItem = bValue[1];
        if (mergedItems[key]) continue;
        // not an identified range in b, but might be contained by one
        bItemHits = addNearestContainerHits(bItem, bItemHits, aMap, aHits);
        mergedItems[key] = [bItemHits, bItem];
    }

    const hits = {};
    const map = {};

    Object.values(mergedItems).forEach(([itemHits, item], i) => {
        hits[i] = itemHits;
        map[i] = item;
    });

    return [hits, map];
};

/**
 * provides a read-only view of coverage for a single file.
 * The deep structure of this object is documented elsewhere. It has the following
 * properties:
 *
 * * `path` - the file path for which coverage is being tracked
 * * `statementMap` - map of statement locations keyed by statement index
 * * `fnMap` - map of function metadata keyed by function index
 * * `branchMap` - map of branch metadata keyed by branch index
 * * `s` - hit counts for statements
 * * `f` - hit count for functions
 * * `b` - hit count for branches
 */
class FileCoverage {
    /**
     * @constructor
     * @param {Object|FileCoverage|String} pathOrObj is a string that initializes
     * and empty coverage object with the specified file path or a data object that
     * has all the required properties for a file coverage object.
     */
    constructor(pathOrObj, reportLogic = false) {
        if (!pathOrObj) {
            throw new Error(
                'Coverage must be initialized with a path or an object'
            );
        }
        if (typeof pathOrObj === 'string') {
            this.data = emptyCoverage(pathOrObj, reportLogic);
        } else if (pathOrObj instanceof FileCoverage) {
            this.data = pathOrObj.data;
        } else if (typeof pathOrObj === 'object') {
            this.data = pathOrObj;
        } else {
            throw new Error('Invalid argument to coverage constructor');
        }
        assertValidObject(this.data);
    }

    /**
     * returns computed line coverage from statement coverage.
     * This is a map of hits keyed by line number in the source.
     */
    getLineCoverage() {
        const statementMap = this.data.statementMap;
        const statements = this.data.s;
        const lineMap = Object.create(null);

        Object.entries(statements).forEach(([st, count]) => {
            /* istanbul ignore if: is this even possible? */
            if (!statementMap[st]) {
                return;
            }
            const { line } = statementMap[st].start;
            const prevVal = lineMap[line];
            if (prevVal === undefined || prevVal < count) {
                lineMap[line] = count;
            }
        });
        return lineMap;
    }

    /**
     * returns an array of uncovered line numbers.
     * @returns {Array} an array of line numbers for which no hits have been
     *  collected.
     */
    getUncoveredLines() {
        const lc = this.getLineCoverage();
        const ret = [];
        Object.entries(lc).forEach(([l, hits]) => {
            if (hits === 0) {
                ret.push(l);
            }
        });
        return ret;
    }

    /**
     * returns a map of branch coverage by source line number.
     * @returns {Object} an object keyed by line number. Each object
     * has a `covered`, `total` and `coverage` (percentage) property.
     */
    getBranchCoverageByLine() {
        const branchMap = this.branchMap;
        const branches = this.b;
        const ret = {};
        Object.entries(branchMap).forEach(([k, map]) => {
            const line = map.line || map.loc.start.line;
            const branchData = branches[k];
            ret[line] = ret[line] || [];
            ret[line].push(...branchData);
        });
        Object.entries(ret).forEach(([k, dataArray]) => {
            const covered = dataArray.filter(item => item > 0);
            const coverage = (covered.length / dataArray.length) * 100;
            ret[k] = {
                covered: covered.length,
                total: dataArray.length,
                coverage
            };
        });
        return ret;
    }

    /**
     * return a JSON-serializable POJO for this file coverage object
     */
    toJSON() {
        return this.data;
    }

    /**
     * merges a second coverage object into this one, updating hit counts
     * @param {FileCoverage} other - the coverage object to be merged into this one.
     *  Note that the other object should have the same structure as this one (same file).
     */
    merge(other) {
        if (other.all === true) {
            return;
        }

        if (this.all === true) {
            this.data = other.data;
            return;
        }

        let [hits, map] = mergeProp(
            this.s,
            this.statementMap,
            other.s,
            other.statementMap
        );
        this.data.s = hits;
        this.data.statementMap = map;

        const keyFromLocProp = x => keyFromLoc(x.loc);
        const keyFromLocationsProp = x => keyFromLoc(x.locations[0]);

        [hits, map] = mergeProp(
            this.f,
            this.fnMap,
            other.f,
            other.fnMap,
            keyFromLocProp
        );
        this.data.f = hits;
        this.data.fnMap = map;

        [hits, map] = mergeProp(
            this.b,
            this.branchMap,
            other.b,
            other.branchMap,
            keyFromLocationsProp
        );
        this.data.b = hits;
        this.data.branchMap = map;

        // Tracking additional information about branch truthiness
        // can be optionally enabled:
        if (this.bT && other.bT) {
            [hits, map] = mergeProp(
                this.bT,
                this.branchMap,
                other.bT,
                other.branchMap,
                keyFromLocationsProp
            );
            this.data.bT = hits;
        }
    }

    computeSimpleTotals(property) {
        let stats = this[property];

        if (typeof stats === 'function') {
            stats = stats.call(this);
        }

        const ret = {
            total: Object.keys(stats).length,
            covered: Object.values(stats).filter(v => !!v).length,
            skipped: 0
        };
        ret.pct = percent(ret.covered, ret.total);
        return ret;
    }

    computeBranchTotals(property) {
        const stats = this[property];
        const ret = { total: 0, covered: 0, skipped: 0 };

        Object.values(stats).forEach(branches => {
            ret.covered += branches.filter(hits => hits > 0).length;
            ret.total += branches.length;
        });
        ret.pct = percent(ret.covered, ret.total);
        return ret;
    }

    /**
     * resets hit counts for all statements, functions and branches
     * in this coverage object resulting in zero coverage.
     */
    resetHits() {
        const statements = this.s;
        const functions = this.f;
        const branches = this.b;
        const branchesTrue = this.bT;
        Object.keys(statements).forEach(s => {
            statements[s] = 0;
        });
        Object.keys(functions).forEach(f => {
            functions[f] = 0;
        });
        Object.keys(branches).forEach(b => {
            branches[b].fill(0);
        });
        // Tracking additional information about branch truthiness
        // can be optionally enabled:
        if (branchesTrue) {
            Object.keys(branchesTrue).forEach(bT => {
                branchesTrue[bT].fill(0);
            });
        }
    }

    /**
     * returns a CoverageSummary for this file coverage object
     * @returns {CoverageSummary}
     */
    toSummary() {
        const ret = {};
        ret.lines = this.computeSimpleTotals('getLineCoverage');
        ret.functions = this.computeSimpleTotals('f', 'fnMap');
        ret.statements = this.computeSimpleTotals('s', 'statementMap');
        ret.branches = this.computeBranchTotals('b');
        // Tracking additional information about branch truthiness
        // can be optionally enabled:
        if (this.bT) {
            ret.branchesTrue = this.computeBranchTotals('bT');
        }
        return new CoverageSummary(ret);
    }
}

// expose coverage data attributes
dataProperties(FileCoverage, [
    'path',
    'statementMap',
    'fnMap',
    'branchMap',
    's',
    'f',
    'b',
    'bT',
    'all'
]);

module.exports = {
    FileCoverage,
    // exported for testing
    findNearestContainer,
    addHits,
    addNearestContainerHits
};


/***/ }),

/***/ 24:
/***/ ((module) => {

/*
 Copyright 2012-2015, Yahoo Inc.
 Copyrights licensed under the New BSD License. See the accompanying LICENSE file for terms.
 */


module.exports = function percent(covered, total) {
    let tmp;
    if (total > 0) {
        tmp = (1000 * 100 * covered) / total;
        return Math.floor(tmp / 10) / 100;
    } else {
        return 100.0;
    }
};


/***/ }),

/***/ 581:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _cli_aqeCli_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(858);

process.exitCode = await (0,_cli_aqeCli_js__WEBPACK_IMPORTED_MODULE_0__/* .runCli */ .a)(process.argv.slice(2));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 858:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  a: () => (/* binding */ runCli)
});

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
var external_node_os_default = /*#__PURE__*/__nccwpck_require__.n(external_node_os_namespaceObject);
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
var external_node_path_default = /*#__PURE__*/__nccwpck_require__.n(external_node_path_namespaceObject);
;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
;// CONCATENATED MODULE: ./src/config/InputError.ts
/**
 * A user-supplied value that cannot be used. The message always names the input and says how
 * to fix it, because the reader is looking at a CI log, not at our source.
 */
class InputError extends Error {
    input;
    problem;
    fix;
    name = 'InputError';
    constructor(input, problem, fix) {
        super(`Input "${input}": ${problem}. ${/[.!?]$/.test(fix) ? fix : `${fix}.`}`);
        this.input = input;
        this.problem = problem;
        this.fix = fix;
    }
}

;// CONCATENATED MODULE: ./src/config/RunOptions.ts


const GPU_OPTIONS = ['auto', 'cuda', 'vulkan', 'metal', 'cpu'];
const INPUT_DEFAULTS = {
    'working-directory': '.',
    model: '',
    gpu: 'auto',
    'max-parallel': '2',
    'context-size': '8192',
    'max-tokens': '2048',
    threads: '0',
    'test-timeout': '120',
    'report-path': '',
    'llama-runtime': '',
    comment: 'true',
    'base-ref': '',
    'replay-file': '',
    'replay-mode': 'replay'
};
function parseRunOptions(raw, ctx) {
    const value = (name) => {
        const v = raw[name]?.trim();
        return v === undefined || v === '' ? INPUT_DEFAULTS[name] : v;
    };
    const repoDir = external_node_path_default().resolve(ctx.cwd, value('working-directory'));
    const model = value('model');
    const replayMode = value('replay-mode').toLowerCase();
    if (replayMode !== 'record' && replayMode !== 'replay') {
        throw new InputError('replay-mode', `"${replayMode}" is not a replay mode`, 'Use record (save the model\'s answers to replay-file) or replay (answer from replay-file instead of a model)');
    }
    const replayFile = value('replay-file');
    const replaying = replayFile !== '' && replayMode === 'replay';
    if (model === '' && !replaying) {
        throw new InputError('model', 'no model was given', 'Set it to the path of a GGUF file (for example one downloaded by an earlier step or baked into a self-hosted runner), or to "demo" to try the pipeline with the generated demo model');
    }
    if (/^(hf:|https?:\/\/)/i.test(model)) {
        throw new InputError('model', `"${model}" is a remote model and this version loads local files only`, 'Download the .gguf file in an earlier step (curl or huggingface-cli) and pass its path');
    }
    const gpu = value('gpu').toLowerCase();
    if (!GPU_OPTIONS.includes(gpu)) {
        throw new InputError('gpu', `"${gpu}" is not a known GPU option`, `Use one of: ${GPU_OPTIONS.join(', ')}`);
    }
    const reportPath = value('report-path');
    return {
        repoDir,
        model: model === 'demo' || model === '' ? model : external_node_path_default().resolve(ctx.cwd, model),
        gpu: gpu,
        maxParallel: parseInteger('max-parallel', value('max-parallel'), 1, 64),
        contextSize: parseInteger('context-size', value('context-size'), 512, 1_048_576),
        maxTokens: parseInteger('max-tokens', value('max-tokens'), 16, 131_072),
        threads: parseInteger('threads', value('threads'), 0, 1024),
        testTimeoutMs: parseInteger('test-timeout', value('test-timeout'), 1, 86_400) * 1000,
        reportPath: reportPath === '' ? external_node_path_default().join(ctx.tempDir, 'aqe-report.json') : external_node_path_default().resolve(ctx.cwd, reportPath),
        llamaRuntime: value('llama-runtime') === '' ? '' : external_node_path_default().resolve(ctx.cwd, value('llama-runtime')),
        comment: parseBoolean('comment', value('comment')),
        baseRef: value('base-ref'),
        replay: replayFile === '' ? null : { mode: replayMode, file: external_node_path_default().resolve(ctx.cwd, replayFile) }
    };
}
function parseInteger(input, text, min, max) {
    if (!/^\d+$/.test(text)) {
        throw new InputError(input, `"${text}" is not a whole number`, `Give a number from ${min} to ${max}`);
    }
    const n = Number(text);
    if (n < min || n > max) {
        throw new InputError(input, `${n} is out of range`, `Give a number from ${min} to ${max}`);
    }
    return n;
}
function parseBoolean(input, text) {
    const t = text.toLowerCase();
    if (['true', 'yes', '1', 'on'].includes(t))
        return true;
    if (['false', 'no', '0', 'off'].includes(t))
        return false;
    throw new InputError(input, `"${text}" is not a boolean`, 'Use true or false');
}

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./src/process/runProcess.ts

const DEFAULT_OUTPUT_CAP = 1024 * 1024;
/** Grace period between SIGTERM and SIGKILL when a process outlives its limit. */
const KILL_GRACE_MS = 2000;
let wrapper = (spec) => spec;
/** Lets a stage (privacy mode) rewrite every process spec in one place. */
function setProcessWrapper(next) {
    wrapper = next;
}
function runProcess(input) {
    const spec = wrapper(input);
    const cap = spec.maxOutputBytes ?? DEFAULT_OUTPUT_CAP;
    const started = Date.now();
    return new Promise((resolve, reject) => {
        // detached: own process group, so a test runner's workers die with it on timeout.
        const child = (0,external_node_child_process_namespaceObject.spawn)(spec.command, [...spec.args], {
            cwd: spec.cwd,
            env: spec.env ?? process.env,
            detached: process.platform !== 'win32',
            stdio: ['pipe', 'pipe', 'pipe']
        });
        const out = new CappedBuffer(cap);
        const err = new CappedBuffer(cap);
        let timedOut = false;
        let killTimer;
        const killGroup = (signal) => {
            try {
                if (child.pid !== undefined && process.platform !== 'win32')
                    process.kill(-child.pid, signal);
                else
                    child.kill(signal);
            }
            catch {
                // already gone
            }
        };
        const timer = setTimeout(() => {
            timedOut = true;
            killGroup('SIGTERM');
            killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS);
        }, spec.timeoutMs);
        child.stdout.on('data', (chunk) => out.push(chunk));
        child.stderr.on('data', (chunk) => err.push(chunk));
        child.on('error', (error) => {
            clearTimeout(timer);
            clearTimeout(killTimer);
            reject(new Error(`Could not start "${spec.command}" in ${spec.cwd}: ${error.message}`));
        });
        child.on('close', (exitCode, signal) => {
            clearTimeout(timer);
            clearTimeout(killTimer);
            // Reap anything the process left behind in its group (jest workers, servers a test started).
            if (timedOut)
                killGroup('SIGKILL');
            resolve({
                exitCode,
                signal,
                timedOut,
                stdout: out.text(),
                stderr: err.text(),
                truncated: out.truncated || err.truncated,
                durationMs: Date.now() - started
            });
        });
        if (spec.input !== undefined)
            child.stdin.end(spec.input);
        else
            child.stdin.end();
    });
}
class CappedBuffer {
    cap;
    chunks = [];
    size = 0;
    truncated = false;
    constructor(cap) {
        this.cap = cap;
    }
    push(chunk) {
        const room = this.cap - this.size;
        if (room <= 0) {
            this.truncated = true;
            return;
        }
        const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
        if (kept !== chunk)
            this.truncated = true;
        this.chunks.push(kept);
        this.size += kept.length;
    }
    text() {
        return Buffer.concat(this.chunks).toString('utf8');
    }
}

;// CONCATENATED MODULE: ./src/repo/git.ts

class GitError extends Error {
    name = 'GitError';
}
async function git(repoDir, args, timeoutMs = 60_000) {
    const result = await runProcess({ command: 'git', args, cwd: repoDir, timeoutMs });
    if (result.exitCode !== 0) {
        throw new GitError(`git ${args.join(' ')} failed in ${repoDir}: ${result.stderr.trim() || `exit ${result.exitCode}`}`);
    }
    return result.stdout;
}
async function isGitRepo(dir) {
    try {
        return (await git(dir, ['rev-parse', '--is-inside-work-tree'])).trim() === 'true';
    }
    catch {
        return false;
    }
}
/** Files changed between the merge base of base and head, and head (what a PR shows). */
async function changedFilesFromGit(repoDir, base, head) {
    const out = await git(repoDir, ['diff', '--name-status', '-z', '--no-renames', `${base}...${head}`]);
    const parts = out.split('\0').filter((p) => p !== '');
    const entries = [];
    for (let i = 0; i + 1 < parts.length; i += 2) {
        const code = parts[i];
        const file = parts[i + 1];
        entries.push({ filename: file, status: code.startsWith('D') ? 'removed' : code.startsWith('A') ? 'added' : 'modified' });
    }
    return entries;
}

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:url"
const external_node_url_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:url");
;// CONCATENATED MODULE: ./src/demo/packageRoot.ts



/**
 * The directory of this package (the action's checkout, the CLI's install), found from the
 * running file: src/ in tests, dist/ when bundled, so it is searched upward for the examples.
 */
function packageRoot() {
    let dir = external_node_path_default().dirname((0,external_node_url_namespaceObject.fileURLToPath)(import.meta.url));
    for (;;) {
        if ((0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(dir, 'action.yml')) && (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(dir, 'examples')))
            return dir;
        const parent = external_node_path_default().dirname(dir);
        if (parent === dir)
            throw new Error(`Cannot find the aqe package root above ${(0,external_node_url_namespaceObject.fileURLToPath)(import.meta.url)} (no action.yml with examples/ beside it).`);
        dir = parent;
    }
}
function examplesDir() {
    return external_node_path_default().join(packageRoot(), 'examples');
}

;// CONCATENATED MODULE: ./src/demo/exampleRepo.ts





const AUTHOR = ['-c', 'user.name=aqe demo', '-c', 'user.email=demo@aqe.invalid', '-c', 'commit.gpgsign=false'];
/**
 * Lays out an example repository as a pull request: the example is committed as the base, its
 * patch as the head. Its test dependencies (jest, ts-jest, typescript) come from this package's
 * own node_modules, linked in, so the demo needs no network.
 */
async function prepareExamplePullRequest(targetDir, example = 'ts-lib') {
    const source = external_node_path_default().join(examplesDir(), example);
    const repoDir = external_node_path_default().join(targetDir, example);
    await (0,promises_namespaceObject.mkdir)(targetDir, { recursive: true });
    await (0,promises_namespaceObject.cp)(source, repoDir, { recursive: true, errorOnExist: true, force: false });
    await git(repoDir, ['init', '-q', '-b', 'main']);
    await git(repoDir, ['add', '-A']);
    await git(repoDir, [...AUTHOR, 'commit', '-q', '-m', 'Example library']);
    const baseSha = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();
    const patchFile = external_node_path_default().join(examplesDir(), `${example}.pr.patch`);
    const applied = await runProcess({ command: 'git', args: ['apply', '--index', patchFile], cwd: repoDir, timeoutMs: 60_000 });
    if (applied.exitCode !== 0)
        throw new Error(`Applying ${patchFile} failed: ${applied.stderr}`);
    const title = (await (0,promises_namespaceObject.readFile)(patchFile, 'utf8')).match(/^Subject: (.*)$/m)?.[1] ?? `Changes to ${example}`;
    await git(repoDir, [...AUTHOR, 'commit', '-q', '-m', title]);
    const headSha = (await git(repoDir, ['rev-parse', 'HEAD'])).trim();
    // Linked after the commits: a link is a file to git, and is no part of the example's history.
    await (0,promises_namespaceObject.symlink)(external_node_path_default().join(packageRoot(), 'node_modules'), external_node_path_default().join(repoDir, 'node_modules'), 'dir');
    return { repoDir, baseSha, headSha, title };
}

;// CONCATENATED MODULE: ./src/gguf/float16.ts
/**
 * IEEE 754 half-precision conversion. JavaScript has no Float16Array on Node 20, so values are converted through
 * their float32 bit patterns, with round-to-nearest-even like ggml's GGML_FP32_TO_FP16.
 */
const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);
/** Converts a float32 bit pattern to half-precision bits (round to nearest, ties to even). */
function float32BitsToFloat16Bits(bits) {
    const sign = (bits >>> 16) & 0x8000;
    const exponent = (bits >>> 23) & 0xff;
    let mantissa = bits & 0x7fffff;
    if (exponent === 0xff)
        return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
    const e = exponent - 127 + 15;
    if (e >= 0x1f)
        return sign | 0x7c00;
    if (e <= 0) {
        // Below 2^-25 even the smallest subnormal rounds away.
        if (e < -10)
            return sign;
        mantissa |= 0x800000;
        const shift = 14 - e;
        let half = mantissa >>> shift;
        const rest = mantissa & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (rest > halfway || (rest === halfway && (half & 1) === 1))
            half++;
        return sign | half;
    }
    // A carry out of the mantissa correctly bumps the exponent (and saturates to infinity at the top).
    let half = (e << 10) | (mantissa >>> 13);
    const rest = mantissa & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1))
        half++;
    return sign | half;
}
function float32ToFloat16Bits(value) {
    scratchF32[0] = value;
    return float32BitsToFloat16Bits(scratchU32[0]);
}
function float16BitsToFloat32(half) {
    const sign = half & 0x8000 ? -1 : 1;
    const exponent = (half >>> 10) & 0x1f;
    const mantissa = half & 0x3ff;
    if (exponent === 0)
        return sign * mantissa * 2 ** -24;
    if (exponent === 0x1f)
        return mantissa === 0 ? sign * Infinity : NaN;
    return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
/** Bulk conversion; reads the float32 bit patterns through a view so no per-element boxing happens. */
function convertFloat32ArrayToFloat16Bits(source, target, targetOffset = 0) {
    const bits = new Uint32Array(source.buffer, source.byteOffset, source.length);
    for (let i = 0; i < bits.length; i++)
        target[targetOffset + i] = float32BitsToFloat16Bits(bits[i]);
}

;// CONCATENATED MODULE: ./src/gguf/GgufWriter.ts
/**
 * Streaming GGUF v3 writer (little-endian), enough for the synthetic models this project generates for its demo,
 * tests and benchmarks. Layout (ggml/docs/gguf.md):
 *
 *   magic "GGUF" | u32 version | u64 tensor_count | u64 kv_count | kv... | tensor_info... | pad | tensor data
 *
 * The header is built in memory (it is small: vocabularies of a few thousand strings), tensor data is encoded and
 * written chunk by chunk so that benchmark models of hundreds of MB never exist as one buffer.
 */



const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const GGUF_DEFAULT_ALIGNMENT = 32;
/** GGUF metadata value type ids (gguf_type). */
const GgufValueType = {
    UINT8: 0,
    INT8: 1,
    UINT16: 2,
    INT16: 3,
    UINT32: 4,
    INT32: 5,
    FLOAT32: 6,
    BOOL: 7,
    STRING: 8,
    ARRAY: 9,
    UINT64: 10,
    INT64: 11,
    FLOAT64: 12
};
/** Shorthands for typed metadata values. */
const GgufValue = {
    uint32: (value) => ({ type: 'uint32', value }),
    int32: (value) => ({ type: 'int32', value }),
    float32: (value) => ({ type: 'float32', value }),
    uint64: (value) => ({ type: 'uint64', value }),
    bool: (value) => ({ type: 'bool', value }),
    string: (value) => ({ type: 'string', value }),
    strings: (value) => ({ type: 'array', itemType: 'string', value }),
    int32s: (value) => ({ type: 'array', itemType: 'int32', value }),
    uint32s: (value) => ({ type: 'array', itemType: 'uint32', value }),
    float32s: (value) => ({ type: 'array', itemType: 'float32', value })
};
/** ggml type ids and block geometry of the types this writer encodes. */
const GGUF_TENSOR_TYPES = {
    F32: { id: 0, blockSize: 1, typeSize: 4 },
    F16: { id: 1, blockSize: 1, typeSize: 2 },
    Q8_0: { id: 8, blockSize: 32, typeSize: 34 }
};
function tensorElementCount(shape) {
    return shape.reduce((product, dim) => product * dim, 1);
}
function tensorByteSize(type, shape) {
    const info = GGUF_TENSOR_TYPES[type];
    return (tensorElementCount(shape) / info.blockSize) * info.typeSize;
}
function alignUp(offset, alignment) {
    return Math.ceil(offset / alignment) * alignment;
}
/** Growable little-endian byte builder for the header. */
class ByteBuilder {
    buffer = Buffer.alloc(64 * 1024);
    length = 0;
    reserve(extra) {
        if (this.length + extra <= this.buffer.length)
            return;
        const next = Buffer.alloc(Math.max(this.buffer.length * 2, this.length + extra));
        this.buffer.copy(next, 0, 0, this.length);
        this.buffer = next;
    }
    u8(value) {
        this.reserve(1);
        this.buffer.writeUInt8(value, this.length);
        this.length += 1;
    }
    u32(value) {
        this.reserve(4);
        this.buffer.writeUInt32LE(value, this.length);
        this.length += 4;
    }
    i32(value) {
        this.reserve(4);
        this.buffer.writeInt32LE(value, this.length);
        this.length += 4;
    }
    f32(value) {
        this.reserve(4);
        this.buffer.writeFloatLE(value, this.length);
        this.length += 4;
    }
    u64(value) {
        this.reserve(8);
        this.buffer.writeBigUInt64LE(BigInt(value), this.length);
        this.length += 8;
    }
    string(value) {
        const bytes = Buffer.from(value, 'utf8');
        this.u64(bytes.length);
        this.reserve(bytes.length);
        bytes.copy(this.buffer, this.length);
        this.length += bytes.length;
    }
    zeros(count) {
        this.reserve(count);
        this.buffer.fill(0, this.length, this.length + count);
        this.length += count;
    }
    bytes() {
        return this.buffer.subarray(0, this.length);
    }
}
function checkInteger(key, value, min, max) {
    if (!Number.isInteger(value) || value < min || value > max) {
        throw new RangeError(`GGUF metadata "${key}": ${value} is not an integer in [${min}, ${max}]`);
    }
}
function writeMetadataValue(out, key, value) {
    if (typeof value === 'string')
        return writeMetadataValue(out, key, { type: 'string', value });
    if (typeof value === 'boolean')
        return writeMetadataValue(out, key, { type: 'bool', value });
    switch (value.type) {
        case 'uint32':
            checkInteger(key, value.value, 0, 0xffffffff);
            out.u32(GgufValueType.UINT32);
            out.u32(value.value);
            return;
        case 'int32':
            checkInteger(key, value.value, -0x80000000, 0x7fffffff);
            out.u32(GgufValueType.INT32);
            out.i32(value.value);
            return;
        case 'float32':
            out.u32(GgufValueType.FLOAT32);
            out.f32(value.value);
            return;
        case 'uint64':
            if (typeof value.value === 'number')
                checkInteger(key, value.value, 0, Number.MAX_SAFE_INTEGER);
            out.u32(GgufValueType.UINT64);
            out.u64(value.value);
            return;
        case 'bool':
            out.u32(GgufValueType.BOOL);
            out.u8(value.value ? 1 : 0);
            return;
        case 'string':
            out.u32(GgufValueType.STRING);
            out.string(value.value);
            return;
        case 'array':
            out.u32(GgufValueType.ARRAY);
            if (value.itemType === 'string') {
                out.u32(GgufValueType.STRING);
                out.u64(value.value.length);
                for (const item of value.value)
                    out.string(item);
                return;
            }
            writeNumberArray(out, key, value.itemType, value.value);
            return;
    }
}
function writeNumberArray(out, key, itemType, items) {
    out.u32(itemType === 'int32' ? GgufValueType.INT32 : itemType === 'uint32' ? GgufValueType.UINT32 : GgufValueType.FLOAT32);
    out.u64(items.length);
    for (let i = 0; i < items.length; i++) {
        const item = items[i];
        if (itemType === 'int32') {
            checkInteger(key, item, -0x80000000, 0x7fffffff);
            out.i32(item);
        }
        else if (itemType === 'uint32') {
            checkInteger(key, item, 0, 0xffffffff);
            out.u32(item);
        }
        else {
            out.f32(item);
        }
    }
}
function resolveAlignment(metadata) {
    const declared = metadata['general.alignment'];
    if (declared === undefined)
        return GGUF_DEFAULT_ALIGNMENT;
    if (typeof declared !== 'object' || declared.type !== 'uint32') {
        throw new TypeError('GGUF metadata "general.alignment" must be a uint32 value');
    }
    const alignment = declared.value;
    if (alignment <= 0 || (alignment & (alignment - 1)) !== 0) {
        throw new RangeError(`GGUF metadata "general.alignment" must be a power of two, got ${alignment}`);
    }
    return alignment;
}
function validateTensor(tensor, names) {
    const nameBytes = Buffer.byteLength(tensor.name, 'utf8');
    if (nameBytes === 0 || nameBytes > 63)
        throw new RangeError(`tensor name "${tensor.name}" must be 1 to 63 bytes long`);
    if (names.has(tensor.name))
        throw new Error(`duplicate tensor name "${tensor.name}"`);
    names.add(tensor.name);
    if (tensor.shape.length < 1 || tensor.shape.length > 4) {
        throw new RangeError(`tensor "${tensor.name}" has ${tensor.shape.length} dims; ggml supports 1 to 4`);
    }
    for (const dim of tensor.shape) {
        if (!Number.isSafeInteger(dim) || dim < 1)
            throw new RangeError(`tensor "${tensor.name}" has an invalid dim ${dim}`);
    }
    const info = GGUF_TENSOR_TYPES[tensor.type];
    if (info === undefined)
        throw new TypeError(`tensor "${tensor.name}" has an unsupported type ${String(tensor.type)}`);
    if (tensor.shape[0] % info.blockSize !== 0) {
        throw new RangeError(`tensor "${tensor.name}": ${tensor.type} needs ne[0] (${tensor.shape[0]}) to be a multiple of ${info.blockSize}`);
    }
    if (tensor.data instanceof Float32Array && tensor.data.length !== tensorElementCount(tensor.shape)) {
        throw new RangeError(`tensor "${tensor.name}" has ${tensor.data.length} values for shape [${tensor.shape.join(', ')}]`);
    }
}
/** Builds the header (magic through tensor infos, padded to the alignment) and each tensor's data offset. */
function encodeGgufHeader(content) {
    const alignment = resolveAlignment(content.metadata);
    const names = new Set();
    for (const tensor of content.tensors)
        validateTensor(tensor, names);
    const out = new ByteBuilder();
    const entries = Object.entries(content.metadata);
    out.u32(GGUF_MAGIC);
    out.u32(GGUF_VERSION);
    out.u64(content.tensors.length);
    out.u64(entries.length);
    for (const [key, value] of entries) {
        out.string(key);
        writeMetadataValue(out, key, value);
    }
    const tensorOffsets = [];
    let dataOffset = 0;
    for (const tensor of content.tensors) {
        out.string(tensor.name);
        out.u32(tensor.shape.length);
        for (const dim of tensor.shape)
            out.u64(dim);
        out.u32(GGUF_TENSOR_TYPES[tensor.type].id);
        dataOffset = alignUp(dataOffset, alignment);
        tensorOffsets.push(dataOffset);
        out.u64(dataOffset);
        dataOffset += tensorByteSize(tensor.type, tensor.shape);
    }
    out.zeros(alignUp(out.length, alignment) - out.length);
    return { header: out.bytes(), alignment, tensorOffsets };
}
/** Buffers small writes into large ones; a file handle write per row would be syscall-bound. */
class StagedFileWriter {
    handle;
    staging = Buffer.alloc(4 * 1024 * 1024);
    used = 0;
    written = 0;
    constructor(handle) {
        this.handle = handle;
    }
    async write(bytes) {
        if (bytes.length >= this.staging.length) {
            await this.flush();
            await this.writeFully(bytes);
            return;
        }
        if (this.used + bytes.length > this.staging.length)
            await this.flush();
        this.staging.set(bytes, this.used);
        this.used += bytes.length;
    }
    async zeros(count) {
        if (count > 0)
            await this.write(new Uint8Array(count));
    }
    async flush() {
        if (this.used === 0)
            return;
        await this.writeFully(this.staging.subarray(0, this.used));
        this.used = 0;
    }
    async writeFully(bytes) {
        let offset = 0;
        while (offset < bytes.length) {
            const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
            offset += bytesWritten;
        }
        this.written += bytes.length;
    }
}
/** Encodes float chunks into a tensor type; keeps a partial Q8_0 block across chunk boundaries. */
class TensorEncoder {
    type;
    pending = new Float32Array(32);
    pendingCount = 0;
    constructor(type) {
        this.type = type;
    }
    encode(values) {
        if (this.type === 'F32')
            return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
        if (this.type === 'F16') {
            const halves = new Uint16Array(values.length);
            convertFloat32ArrayToFloat16Bits(values, halves);
            return new Uint8Array(halves.buffer);
        }
        return this.encodeQ8_0(values);
    }
    /** Values left over that do not fill a block; non-zero only for Q8_0 given a length that is not a multiple of 32. */
    get leftover() {
        return this.pendingCount;
    }
    encodeQ8_0(values) {
        const total = this.pendingCount + values.length;
        const blocks = Math.floor(total / 32);
        const out = Buffer.alloc(blocks * 34);
        let source = 0;
        for (let block = 0; block < blocks; block++) {
            // Assemble the block in `pending`, from leftovers first.
            while (this.pendingCount < 32)
                this.pending[this.pendingCount++] = values[source++];
            quantizeQ8_0Block(this.pending, out, block * 34);
            this.pendingCount = 0;
        }
        while (source < values.length)
            this.pending[this.pendingCount++] = values[source++];
        return out;
    }
}
/** ggml's quantize_row_q8_0_ref: d = max|x| / 127 stored as f16, q = round(x / d) (half away from zero). */
function quantizeQ8_0Block(block, out, offset) {
    let amax = 0;
    for (let i = 0; i < 32; i++)
        amax = Math.max(amax, Math.abs(block[i]));
    const d = amax / 127;
    const inverse = d === 0 ? 0 : 1 / d;
    out.writeUInt16LE(float32ToFloat16Bits(d), offset);
    for (let i = 0; i < 32; i++) {
        const scaled = block[i] * inverse;
        out.writeInt8(Math.sign(scaled) * Math.round(Math.abs(scaled)), offset + 2 + i);
    }
}
async function writeTensorData(writer, tensor) {
    const expectedBytes = tensorByteSize(tensor.type, tensor.shape);
    let bytes = 0;
    const data = tensor.data;
    if (data instanceof Float32Array || 'values' in data) {
        const encoder = new TensorEncoder(tensor.type);
        const chunks = data instanceof Float32Array ? [data] : data.values();
        for (const chunk of chunks) {
            const encoded = encoder.encode(chunk);
            bytes += encoded.length;
            if (bytes > expectedBytes)
                break;
            await writer.write(encoded);
        }
        if (encoder.leftover !== 0) {
            throw new RangeError(`tensor "${tensor.name}": ${encoder.leftover} values left over after the last full Q8_0 block`);
        }
    }
    else {
        for (const chunk of data.encoded()) {
            bytes += chunk.length;
            if (bytes > expectedBytes)
                break;
            await writer.write(chunk);
        }
    }
    if (bytes !== expectedBytes) {
        throw new RangeError(`tensor "${tensor.name}" (${tensor.type} [${tensor.shape.join(', ')}]) needs ${expectedBytes} bytes of data, ` +
            `its source produced ${bytes > expectedBytes ? 'more' : bytes}`);
    }
    return bytes;
}
/**
 * Writes `content` as a GGUF v3 file and returns the number of bytes written. The file is written next to `path`
 * under a temporary name and renamed at the end, so an interrupted write never leaves a plausible-looking model.
 */
async function writeGgufFile(path, content) {
    // Typed-array data is written as-is; a big-endian host would produce a file no one can read.
    if ((0,external_node_os_namespaceObject.endianness)() !== 'LE')
        throw new Error('writeGgufFile needs a little-endian host');
    const { header, alignment } = encodeGgufHeader(content);
    const temporaryPath = `${path}.${process.pid}.${Date.now()}.partial`;
    const handle = await (0,promises_namespaceObject.open)(temporaryPath, 'w');
    let committed = false;
    try {
        const writer = new StagedFileWriter(handle);
        await writer.write(header);
        let dataBytes = 0;
        for (const [index, tensor] of content.tensors.entries()) {
            // Padding goes between tensors only, so the file ends exactly at the last tensor's data.
            if (index > 0) {
                const padding = alignUp(dataBytes, alignment) - dataBytes;
                await writer.zeros(padding);
                dataBytes += padding;
            }
            dataBytes += await writeTensorData(writer, tensor);
        }
        await writer.flush();
        await handle.close();
        await (0,promises_namespaceObject.rename)(temporaryPath, path);
        committed = true;
        return writer.written;
    }
    finally {
        if (!committed) {
            await handle.close().catch(() => undefined);
            await (0,promises_namespaceObject.rm)(temporaryPath, { force: true });
        }
    }
}

;// CONCATENATED MODULE: ./src/gguf/chatmlTokenizer.ts
/**
 * A byte-level BPE ("gpt2") vocabulary with ChatML control tokens, shared by the synthetic models.
 *
 * llama.cpp's gpt2 tokenizer maps every byte to a printable unicode character (GPT-2's bytes_to_unicode) before
 * looking tokens up, and maps them back in token_to_piece, where a character outside that alphabet throws. So every
 * token text here is written in that alphabet. With no merges, text is always tokenized into single-byte tokens,
 * which is what lets extra tokens (chain pieces, fillers) exist in the vocabulary without ever being produced from
 * prompt text.
 */

/** llama_token_type values stored in `tokenizer.ggml.token_type`. */
const TokenType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 };
function buildByteToUnicode() {
    const printable = [];
    for (let b = 0x21; b <= 0x7e; b++)
        printable.push(b);
    for (let b = 0xa1; b <= 0xac; b++)
        printable.push(b);
    for (let b = 0xae; b <= 0xff; b++)
        printable.push(b);
    const table = new Array(256);
    for (const b of printable)
        table[b] = String.fromCodePoint(b);
    let next = 0;
    for (let b = 0; b < 256; b++) {
        if (table[b] === undefined)
            table[b] = String.fromCodePoint(256 + next++);
    }
    return table;
}
/** GPT-2 bytes_to_unicode: index = byte value. */
const BYTE_TO_UNICODE = buildByteToUnicode();
/** Encodes text's UTF-8 bytes in the GPT-2 byte alphabet, the form token texts take in a gpt2 vocabulary. */
function toByteLevel(text) {
    let out = '';
    for (const byte of Buffer.from(text, 'utf8'))
        out += BYTE_TO_UNICODE[byte];
    return out;
}
const ENDOFTEXT = '<|endoftext|>';
const IM_START = '<|im_start|>';
const IM_END = '<|im_end|>';
/**
 * The usual ChatML template (as in Qwen2 instruct models), so node-llama-cpp resolves it to its ChatML wrapper,
 * whose stop triggers include EOS and <|im_end|>.
 */
const CHATML_TEMPLATE = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
/** Token ids of the fixed part of the vocabulary: bytes 0..255 at their byte value, then the control tokens. */
const BYTE_TOKEN_COUNT = 256;
const ENDOFTEXT_ID = 256;
const IM_START_ID = 257;
const IM_END_ID = 258;
const BASE_VOCAB_SIZE = 259;
/** Bytes and control tokens; callers append their own NORMAL tokens (already in the byte alphabet). */
function createBaseVocabulary() {
    const tokens = [...BYTE_TO_UNICODE, ENDOFTEXT, IM_START, IM_END];
    const tokenTypes = [...new Array(BYTE_TOKEN_COUNT).fill(TokenType.NORMAL), TokenType.CONTROL, TokenType.CONTROL, TokenType.CONTROL];
    return { tokens, tokenTypes };
}
/**
 * Tokenizer metadata. EOS is <|im_end|> like ChatML-tuned models, so a reply ends with the token that closes the
 * turn; llama.cpp also treats <|endoftext|> as end-of-generation by its text.
 */
function chatmlTokenizerMetadata(vocabulary) {
    const unique = new Set(vocabulary.tokens);
    if (unique.size !== vocabulary.tokens.length)
        throw new Error('vocabulary has duplicate token texts');
    return {
        'tokenizer.ggml.model': 'gpt2',
        // llama.cpp throws for an unknown pre-tokenizer name; "default" is the GPT-2 regex split.
        'tokenizer.ggml.pre': 'default',
        'tokenizer.ggml.tokens': GgufValue.strings(vocabulary.tokens),
        'tokenizer.ggml.token_type': GgufValue.int32s(vocabulary.tokenTypes),
        // Required by llama.cpp for gpt2 vocabularies, and deliberately empty (see the file comment).
        'tokenizer.ggml.merges': GgufValue.strings([]),
        'tokenizer.ggml.bos_token_id': GgufValue.uint32(ENDOFTEXT_ID),
        'tokenizer.ggml.eos_token_id': GgufValue.uint32(IM_END_ID),
        'tokenizer.ggml.padding_token_id': GgufValue.uint32(ENDOFTEXT_ID),
        'tokenizer.ggml.add_bos_token': false,
        'tokenizer.chat_template': CHATML_TEMPLATE
    };
}

;// CONCATENATED MODULE: ./src/gguf/textChainModel.ts
/**
 * A tiny llama-architecture model whose greedy decoding emits one fixed text whatever the prompt, so the product's
 * pipeline and tests can run end to end through real llama.cpp inference with a known "model answer".
 *
 * How it works: token embeddings are one-hot (n_embd >= n_vocab) and every attention/FFN weight is zero, so the
 * residual stream at each position is just the current token's one-hot vector; after the output RMS norm it is
 * sqrt(n_embd) * e_token, and `output.weight` then acts as a lookup table token -> next token. The text is split into
 * "chain" tokens that the tokenizer can never produce from input text (the vocabulary has no merges, so input is
 * always byte tokens); every non-chain token points to chain[0], chain[i] to chain[i+1], and the last one to EOS.
 * Because chain tokens are pairwise distinct, each one appears once in the output and repeat penalties never touch
 * the token that must come next.
 */


const HEAD_DIM = 64;
const FEED_FORWARD_LENGTH = 32;
const TEXT_CHAIN_CONTEXT_LENGTH = 32768;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/**
 * Splits text into pieces that are pairwise distinct, at least 2 UTF-8 bytes long (so none equals a byte token) and
 * made of whole code points (so each token detokenizes to valid UTF-8 on its own, and streamed output never holds
 * half a character). Greedy: a piece grows until it is new; a tail that cannot become new is merged into the previous
 * piece. Concatenating the pieces gives the text back.
 */
function splitIntoChainPieces(text, reserved = [ENDOFTEXT, IM_START, IM_END]) {
    if (LONE_SURROGATE.test(text))
        throw new RangeError('text contains a lone UTF-16 surrogate, which has no UTF-8 form');
    const codePoints = Array.from(text);
    const seen = new Set(reserved);
    const pieces = [];
    let index = 0;
    while (index < codePoints.length) {
        let piece = '';
        while (index < codePoints.length && (piece === '' || Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece))) {
            piece += codePoints[index++];
        }
        if (Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece)) {
            // Ran out of text: fold the tail into earlier pieces until the result is new.
            while (pieces.length > 0 && (Buffer.byteLength(piece, 'utf8') < 2 || seen.has(piece))) {
                const previous = pieces.pop();
                seen.delete(previous);
                piece = previous + piece;
            }
        }
        seen.add(piece);
        pieces.push(piece);
    }
    return pieces;
}
function planChain(text) {
    const vocabulary = createBaseVocabulary();
    const tokens = vocabulary.tokens;
    const tokenTypes = vocabulary.tokenTypes;
    const rawPieces = splitIntoChainPieces(text);
    let chainIds;
    if (rawPieces.length === 1 && Buffer.byteLength(rawPieces[0], 'utf8') === 1) {
        // A one-byte text cannot get a distinct token: reuse the byte token itself. Only a prompt whose last token is
        // that byte (for ChatML prompts: "\n") would then answer with nothing.
        chainIds = [Buffer.from(rawPieces[0], 'utf8')[0]];
    }
    else {
        chainIds = rawPieces.map((piece, i) => {
            tokens.push(toByteLevel(piece));
            tokenTypes.push(TokenType.NORMAL);
            return BASE_VOCAB_SIZE + i;
        });
    }
    const next = new Int32Array(tokens.length).fill(chainIds[0] ?? IM_END_ID);
    for (let i = 0; i < chainIds.length; i++)
        next[chainIds[i]] = chainIds[i + 1] ?? IM_END_ID;
    return { tokens, tokenTypes, next, pieces: rawPieces };
}
function roundUp(value, multiple) {
    return Math.ceil(value / multiple) * multiple;
}
function constant(shape, value) {
    return new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(value);
}
/**
 * Builds the model; tensor data is produced lazily, row by row, when written. The file grows with the square of the
 * vocabulary (about 4 bytes x n_vocab^2 with F16), roughly 3 MB for a 1,500-character text.
 *
 * Limits: in a chat session, a text containing the literal string "<|im_end|>" is cut there (node-llama-cpp's ChatML
 * wrapper also stops on it as plain text); and the one-byte text "\n" comes back empty after any prompt ending with a
 * newline, as every ChatML prompt does (see planChain).
 */
function buildTextChainModel(text, options = {}) {
    const matrixType = options.matrixType ?? 'F16';
    const { tokens, tokenTypes, next } = planChain(text);
    const nVocab = tokens.length;
    const nEmbd = roundUp(nVocab, 64);
    // Rows of output.weight: row j holds a 1 in every column i with next[i] === j.
    const sources = Array.from({ length: nVocab }, () => []);
    for (let i = 0; i < nVocab; i++)
        sources[next[i]].push(i);
    const oneHotRows = (columnsOf) => function* rows() {
        const row = new Float32Array(nEmbd);
        for (let r = 0; r < nVocab; r++) {
            row.fill(0);
            for (const column of columnsOf(r))
                row[column] = 1;
            yield row;
        }
    };
    const zeros = (name, shape) => ({ name, shape, type: 'F32', data: constant(shape, 0) });
    const ones = (name, shape) => ({ name, shape, type: 'F32', data: constant(shape, 1) });
    const tensors = [
        { name: 'token_embd.weight', shape: [nEmbd, nVocab], type: matrixType, data: { values: oneHotRows((r) => [r]) } },
        // llama.cpp's norms are computed in F32 and it rejects other types for them.
        ones('blk.0.attn_norm.weight', [nEmbd]),
        // One head of HEAD_DIM (key_length/value_length below) instead of n_embd/64 heads keeps these tiny.
        zeros('blk.0.attn_q.weight', [nEmbd, HEAD_DIM]),
        zeros('blk.0.attn_k.weight', [nEmbd, HEAD_DIM]),
        zeros('blk.0.attn_v.weight', [nEmbd, HEAD_DIM]),
        zeros('blk.0.attn_output.weight', [HEAD_DIM, nEmbd]),
        ones('blk.0.ffn_norm.weight', [nEmbd]),
        zeros('blk.0.ffn_gate.weight', [nEmbd, FEED_FORWARD_LENGTH]),
        zeros('blk.0.ffn_up.weight', [nEmbd, FEED_FORWARD_LENGTH]),
        zeros('blk.0.ffn_down.weight', [FEED_FORWARD_LENGTH, nEmbd]),
        ones('output_norm.weight', [nEmbd]),
        { name: 'output.weight', shape: [nEmbd, nVocab], type: matrixType, data: { values: oneHotRows((r) => sources[r]) } }
    ];
    return {
        metadata: {
            'general.architecture': 'llama',
            'general.name': options.name ?? 'text-chain',
            'general.file_type': GgufValue.uint32(matrixType === 'F16' ? 1 : 0),
            'general.alignment': GgufValue.uint32(32),
            'llama.context_length': GgufValue.uint32(TEXT_CHAIN_CONTEXT_LENGTH),
            'llama.embedding_length': GgufValue.uint32(nEmbd),
            'llama.block_count': GgufValue.uint32(1),
            'llama.feed_forward_length': GgufValue.uint32(FEED_FORWARD_LENGTH),
            'llama.attention.head_count': GgufValue.uint32(1),
            'llama.attention.head_count_kv': GgufValue.uint32(1),
            'llama.attention.key_length': GgufValue.uint32(HEAD_DIM),
            'llama.attention.value_length': GgufValue.uint32(HEAD_DIM),
            'llama.attention.layer_norm_rms_epsilon': GgufValue.float32(1e-5),
            'llama.rope.dimension_count': GgufValue.uint32(HEAD_DIM),
            'llama.rope.freq_base': GgufValue.float32(10000),
            'llama.vocab_size': GgufValue.uint32(nVocab),
            ...chatmlTokenizerMetadata({ tokens, tokenTypes })
        },
        tensors
    };
}
async function writeTextChainModel(path, text, options = {}) {
    const content = buildTextChainModel(text, options);
    const bytes = await writeGgufFile(path, content);
    const tokens = content.metadata['tokenizer.ggml.tokens'];
    const vocabSize = typeof tokens === 'object' && tokens.type === 'array' ? tokens.value.length : 0;
    return { path, bytes, vocabSize };
}

;// CONCATENATED MODULE: ./src/demo/demoModel.ts





/** The answer the demo model gives: a test file written for the example repository. */
const DEMO_ANSWER_FILE = 'ts-lib.demo-answer.md';
/**
 * Writes the demo GGUF: a tiny llama-architecture model whose greedy decoding, through real
 * llama.cpp, replays the demo answer. It lets the whole pipeline run offline on any machine.
 */
async function prepareDemoModel(tempDir) {
    const answer = await (0,promises_namespaceObject.readFile)(external_node_path_default().join(examplesDir(), DEMO_ANSWER_FILE), 'utf8');
    const modelPath = external_node_path_default().join(tempDir, 'aqe-demo-model.gguf');
    if (!(0,external_node_fs_namespaceObject.existsSync)(modelPath))
        await writeTextChainModel(modelPath, answer);
    return modelPath;
}

;// CONCATENATED MODULE: ./src/inference/cpuThreads.ts



/** Below this size a model decodes fastest on one thread. */
const SMALL_MODEL_BYTES = 64 * 1024 * 1024;
/**
 * llama.cpp decodes slowest when it has more threads than cores it may run on: the threads
 * spin-wait on each other, and on a 2-core CI machine node-llama-cpp's default (4) decoded
 * about 100x slower than 2. So the count comes from the tightest real limit, never a default.
 */
function chooseThreadCount(facts, modelBytes) {
    // For a tiny model each matrix product is over before a second thread has started: the
    // threads' synchronisation costs more than it saves (measured here: 25x slower with 2 threads
    // on a 3 MB model, 15% faster on a 330 MB one).
    if (modelBytes !== undefined && modelBytes < SMALL_MODEL_BYTES)
        return 1;
    let n = facts.availableParallelism;
    if (facts.cgroupQuotaCpus !== undefined)
        n = Math.min(n, Math.floor(facts.cgroupQuotaCpus));
    if (facts.physicalCores !== undefined)
        n = Math.min(n, facts.physicalCores);
    return Math.max(1, n);
}
/** Reads the limits from the running system; `root` lets tests point at a fake /proc and /sys. */
function readCpuFacts(root = '/') {
    return {
        availableParallelism: root === '/' ? external_node_os_default().availableParallelism() : readFakeParallelism(root),
        cgroupQuotaCpus: readCgroupQuota(root),
        physicalCores: readPhysicalCores(root)
    };
}
function readText(file) {
    try {
        return (0,external_node_fs_namespaceObject.readFileSync)(file, 'utf8');
    }
    catch {
        return undefined;
    }
}
function readFakeParallelism(root) {
    const n = Number(readText(external_node_path_default().join(root, 'nproc'))?.trim());
    return Number.isInteger(n) && n > 0 ? n : external_node_os_default().availableParallelism();
}
/** cgroup v2 (cpu.max of this process's group and its ancestors), then cgroup v1 (cfs quota). */
function readCgroupQuota(root) {
    const membership = readText(external_node_path_default().join(root, 'proc/self/cgroup')) ?? '';
    const v2Path = membership.split('\n').find((l) => l.startsWith('0::'))?.slice(3).trim();
    const quotas = [];
    if (v2Path !== undefined) {
        let dir = v2Path;
        for (;;) {
            const max = readText(external_node_path_default().join(root, 'sys/fs/cgroup', dir, 'cpu.max'));
            const [quota, period] = (max ?? '').trim().split(/\s+/);
            if (quota && quota !== 'max' && Number(period) > 0)
                quotas.push(Number(quota) / Number(period));
            if (dir === '/' || dir === '' || dir === '.')
                break;
            dir = external_node_path_default().posix.dirname(dir);
        }
    }
    const v1Line = membership.split('\n').find((l) => /:(cpu|cpu,cpuacct|cpuacct,cpu):/.test(l));
    const v1Group = v1Line?.split(':')[2] ?? '/';
    for (const base of [external_node_path_default().join(root, 'sys/fs/cgroup/cpu', v1Group), external_node_path_default().join(root, 'sys/fs/cgroup/cpu,cpuacct', v1Group), external_node_path_default().join(root, 'sys/fs/cgroup/cpu')]) {
        const quota = Number(readText(external_node_path_default().join(base, 'cpu.cfs_quota_us'))?.trim());
        const period = Number(readText(external_node_path_default().join(base, 'cpu.cfs_period_us'))?.trim());
        if (quota > 0 && period > 0) {
            quotas.push(quota / period);
            break;
        }
    }
    return quotas.length > 0 ? Math.min(...quotas) : undefined;
}
function readPhysicalCores(root) {
    const info = readText(external_node_path_default().join(root, 'proc/cpuinfo'));
    if (!info)
        return undefined;
    const cores = new Set();
    for (const block of info.split(/\n\s*\n/)) {
        const physical = block.match(/^physical id\s*:\s*(\d+)/m)?.[1];
        const core = block.match(/^core id\s*:\s*(\d+)/m)?.[1];
        if (physical !== undefined && core !== undefined)
            cores.add(`${physical}:${core}`);
    }
    return cores.size > 0 ? cores.size : undefined;
}

;// CONCATENATED MODULE: ./src/inference/detectGpu.ts


/** NVIDIA GPUs as nvidia-smi reports them; empty when there is none or the tool is missing or failing. */
async function detectNvidiaGpus(timeoutMs = 15_000) {
    try {
        const result = await runProcess({
            command: 'nvidia-smi',
            args: ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader,nounits'],
            cwd: process.cwd(),
            timeoutMs
        });
        if (result.exitCode !== 0)
            return [];
        return result.stdout
            .split('\n')
            .map((line) => line.split(',').map((s) => s.trim()))
            .filter((cols) => cols.length >= 3 && cols[0] !== '')
            .map(([name, driver, mem]) => ({ name: name, driver: driver, vramMiB: Number(mem) || 0 }));
    }
    catch {
        return [];
    }
}
function hasNvidiaDevice() {
    return (0,external_node_fs_namespaceObject.existsSync)('/dev/nvidia0') || (0,external_node_fs_namespaceObject.existsSync)('/dev/nvidiactl');
}

;// CONCATENATED MODULE: ./src/inference/errors.ts
/** Errors of the inference layer; each message says what the user should change. */
class InferenceError extends Error {
    name = 'InferenceError';
}
class ModelNotFoundError extends (/* unused pure expression or super */ null && (InferenceError)) {
    name = 'ModelNotFoundError';
}
class ModelLoadError extends InferenceError {
    name = 'ModelLoadError';
}
class OutOfMemoryError extends InferenceError {
    name = 'OutOfMemoryError';
}
class ProviderUnavailableError extends InferenceError {
    name = 'ProviderUnavailableError';
}
class GenerationAbortedError extends (/* unused pure expression or super */ null && (InferenceError)) {
    name = 'GenerationAbortedError';
}

;// CONCATENATED MODULE: ./src/inference/SequencePool.ts
/**
 * Hands out a fixed set of slots (a context's sequences) to any number of waiting tasks, first
 * come first served: the queue is the backpressure, so N parallel generations never exceed the
 * sequences the context was sized for.
 */
class SequencePool {
    free;
    waiting = [];
    constructor(slots) {
        this.free = [...slots];
    }
    get size() {
        return this.free.length;
    }
    acquire() {
        const slot = this.free.pop();
        if (slot !== undefined)
            return Promise.resolve(slot);
        return new Promise((resolve) => this.waiting.push(resolve));
    }
    release(slot) {
        const next = this.waiting.shift();
        if (next)
            next(slot);
        else
            this.free.push(slot);
    }
    async use(task) {
        const slot = await this.acquire();
        try {
            return await task(slot);
        }
        finally {
            this.release(slot);
        }
    }
}

;// CONCATENATED MODULE: ./src/inference/LocalLlamaProvider.ts




/**
 * llama.cpp in this process: the model is loaded once, one context holds `maxParallel`
 * sequences, and requests queue for a free sequence so several files generate at once.
 */
class LocalLlamaProvider {
    llama;
    model;
    context;
    runtime;
    chatWrapper;
    details;
    pool;
    constructor(llama, model, context, runtime, chatWrapper, details) {
        this.llama = llama;
        this.model = model;
        this.context = context;
        this.runtime = runtime;
        this.chatWrapper = chatWrapper;
        this.details = details;
        const sequences = [];
        while (context.sequencesLeft > 0)
            sequences.push(context.getSequence());
        this.pool = new SequencePool(sequences);
    }
    static async load(options) {
        const warn = options.warn ?? (() => undefined);
        const llama = await getLlamaWithFallback(options, warn);
        const started = Date.now();
        let model;
        try {
            model = await llama.loadModel({ modelPath: options.modelPath, gpuLayers: llama.gpu === false ? 0 : 'auto' });
        }
        catch (error) {
            await llama.dispose();
            throw classifyLoadError(error, options.modelPath);
        }
        const modelLoadMs = Date.now() - started;
        const contextSize = Math.min(options.contextSize, model.trainContextSize || options.contextSize);
        let context;
        let sequences = options.maxParallel;
        // A context too big for memory is retried with fewer parallel sequences before giving up.
        for (;;) {
            try {
                context = await model.createContext({ sequences, contextSize, threads: options.threads, batchSize: Math.min(512, contextSize) });
                break;
            }
            catch (error) {
                if (sequences > 1) {
                    warn(`Could not create a context with ${sequences} sequences of ${contextSize} tokens (${error.message}); retrying with ${Math.floor(sequences / 2)}.`);
                    sequences = Math.floor(sequences / 2);
                    continue;
                }
                await model.dispose();
                await llama.dispose();
                throw new OutOfMemoryError(`A context of ${contextSize} tokens does not fit in memory for ${external_node_path_default().basename(options.modelPath)}: ${error.message}. Lower context-size or max-parallel, or use a smaller quantization.`);
            }
        }
        const details = {
            provider: 'local',
            model: options.modelLabel ?? external_node_path_default().basename(options.modelPath),
            backend: llama.gpu === false ? 'cpu' : llama.gpu,
            hardware: await describeHardware(llama, model, options.threads),
            threads: options.threads,
            parallelSequences: sequences,
            contextSize: context.contextSize,
            modelLoadMs
        };
        // Matching the model's chat template takes ~0.5 s of main-thread time: done once, not per request.
        const chatWrapper = options.runtime.resolveChatWrapper(model);
        return new LocalLlamaProvider(llama, model, context, options.runtime, chatWrapper, details);
    }
    info() {
        return { ...this.details };
    }
    countTokens(text) {
        return this.model.tokenize(text).length;
    }
    chat(request) {
        const queuedAt = Date.now();
        return this.pool.use(async (sequence) => {
            const startedAt = Date.now();
            const session = new this.runtime.LlamaChatSession({
                contextSequence: sequence,
                chatWrapper: this.chatWrapper,
                // Left undefined, node-llama-cpp inserts its own default system prompt (hundreds of tokens).
                systemPrompt: request.system ?? '',
                autoDisposeSequence: false
            });
            const before = sequence.tokenMeter.getState();
            let firstTokenAt = 0;
            try {
                const result = await session.promptWithMeta(request.user, {
                    maxTokens: request.maxTokens,
                    temperature: request.temperature ?? 0,
                    seed: request.seed,
                    signal: request.signal,
                    stopOnAbortSignal: true,
                    onTextChunk: (chunk) => {
                        if (firstTokenAt === 0)
                            firstTokenAt = Date.now();
                        request.onText?.(chunk);
                    }
                });
                const after = sequence.tokenMeter.getState();
                const generationMs = Date.now() - startedAt;
                const completionTokens = after.usedOutputTokens - before.usedOutputTokens;
                const decodeMs = firstTokenAt === 0 ? generationMs : Date.now() - firstTokenAt;
                return {
                    text: result.responseText,
                    provider: 'local',
                    model: this.details.model,
                    finishReason: result.stopReason === 'maxTokens' ? 'length' : result.stopReason === 'abort' ? 'abort' : 'stop',
                    usage: { promptTokens: after.usedInputTokens - before.usedInputTokens, completionTokens },
                    timings: {
                        queuedMs: startedAt - queuedAt,
                        firstTokenMs: firstTokenAt === 0 ? generationMs : firstTokenAt - startedAt,
                        generationMs,
                        tokensPerSecond: decodeMs > 0 ? (completionTokens * 1000) / decodeMs : 0
                    }
                };
            }
            finally {
                session.dispose({ disposeSequence: false });
                await sequence.clearHistory();
            }
        });
    }
    async dispose() {
        await this.context.dispose();
        await this.model.dispose();
        await this.llama.dispose();
    }
}
async function getLlamaWithFallback(options, warn) {
    const base = { build: 'never', skipDownload: true, progressLogs: false, logLevel: options.runtime.LlamaLogLevel.error, maxThreads: options.threads };
    const gpu = options.gpu === 'cpu' ? false : options.gpu;
    try {
        return await options.runtime.getLlama({ ...base, gpu });
    }
    catch (error) {
        if (gpu === false) {
            throw new ProviderUnavailableError(`llama.cpp could not start on the CPU: ${error.message}. Check that node-llama-cpp's binary package for this platform is installed.`);
        }
        warn(`GPU back end "${options.gpu}" could not start (${error.message}); falling back to CPU. Set gpu: cpu to skip the attempt.`);
        return options.runtime.getLlama({ ...base, gpu: false });
    }
}
function classifyLoadError(error, modelPath) {
    const message = error.message ?? String(error);
    if (/out of memory|failed to allocate|ENOMEM|cudaMalloc/i.test(message)) {
        return new OutOfMemoryError(`Loading ${modelPath} ran out of memory: ${message}. Use a smaller quantization (e.g. Q4_K_M), set gpu: cpu, or use a runner with more memory.`);
    }
    return new ModelLoadError(`llama.cpp could not load ${modelPath}: ${message}. Check that it is a complete GGUF file of an architecture llama.cpp supports (re-download it if it was cut off).`);
}
async function describeHardware(llama, model, threads) {
    if (llama.gpu === false) {
        const cpu = external_node_os_default().cpus()[0]?.model.trim() ?? 'unknown CPU';
        return `CPU (${cpu}), ${threads} thread${threads === 1 ? '' : 's'}`;
    }
    const names = await llama.getGpuDeviceNames().catch(() => []);
    const vram = await llama.getVramState().catch(() => undefined);
    const gib = vram ? ` (${(vram.total / 1024 ** 3).toFixed(1)} GiB VRAM)` : '';
    return `${llama.gpu.toUpperCase()}: ${names.join(', ') || 'unknown device'}${gib}, ${model.gpuLayers} layers offloaded`;
}

;// CONCATENATED MODULE: ./src/gguf/errors.ts
/**
 * Errors raised while validating a GGUF file. They are thrown before llama.cpp ever sees the file, because
 * llama.cpp's own failures for the same problems are a bare "failed to load model" with the cause only in its log.
 * Every message names the file so a user who passed the wrong `model` path can see which one was read.
 */
/** Common base so callers can catch every GGUF validation problem with one `instanceof`. */
class GgufError extends Error {
    filePath;
    constructor(filePath, message) {
        super(message);
        this.name = new.target.name;
        this.filePath = filePath;
    }
}
const GGUF_ADVICE = 'A GGUF model file (starting with the bytes "GGUF") is expected: download a .gguf quantization of the model ' +
    '(for example a Q4_K_M or Q8_0 file from a "-GGUF" repository on Hugging Face), or convert the original ' +
    "weights with llama.cpp's convert_hf_to_gguf.py.";
/** The file does not start with the GGUF magic. `detail` says what the file looks like instead, when recognizable. */
class NotGgufError extends GgufError {
    detail;
    constructor(filePath, detail) {
        super(filePath, `${filePath} is not a GGUF model${detail === undefined ? '' : ` (${detail})`}. ${GGUF_ADVICE}`);
        this.detail = detail;
    }
}
/** The file ends before its header, or before the tensor data its header announces (an interrupted download or copy). */
class TruncatedGgufError extends GgufError {
    fileSize;
    /** The size the header implies, when it was known at the point of failure. */
    expectedSize;
    constructor(filePath, detail, fileSize, expectedSize) {
        super(filePath, `${filePath} is a truncated GGUF file: ${detail}. The download or copy was probably interrupted; ` +
            'download the file again and compare its size with the published one.');
        this.fileSize = fileSize;
        this.expectedSize = expectedSize;
    }
}
/** The GGUF version is one this reader (and the bundled llama.cpp) does not read. */
class UnsupportedGgufVersionError extends GgufError {
    version;
    constructor(filePath, version, detail) {
        super(filePath, `${filePath} uses GGUF version ${version}, which is not supported (versions 2 and 3 are)` +
            `${detail === undefined ? '' : `: ${detail}`}. Download a file produced by a recent llama.cpp (GGUF v3).`);
        this.version = version;
    }
}

;// CONCATENATED MODULE: ./src/gguf/ggmlTypes.ts
const GGML_TYPES = new Map([
    [0, 'F32', 1, 4],
    [1, 'F16', 1, 2],
    [2, 'Q4_0', 32, 18],
    [3, 'Q4_1', 32, 20],
    [6, 'Q5_0', 32, 22],
    [7, 'Q5_1', 32, 24],
    [8, 'Q8_0', 32, 34],
    [9, 'Q8_1', 32, 36],
    [10, 'Q2_K', 256, 84],
    [11, 'Q3_K', 256, 110],
    [12, 'Q4_K', 256, 144],
    [13, 'Q5_K', 256, 176],
    [14, 'Q6_K', 256, 210],
    [15, 'Q8_K', 256, 292],
    [16, 'IQ2_XXS', 256, 66],
    [17, 'IQ2_XS', 256, 74],
    [18, 'IQ3_XXS', 256, 98],
    [19, 'IQ1_S', 256, 50],
    [20, 'IQ4_NL', 32, 18],
    [21, 'IQ3_S', 256, 110],
    [22, 'IQ2_S', 256, 82],
    [23, 'IQ4_XS', 256, 136],
    [24, 'I8', 1, 1],
    [25, 'I16', 1, 2],
    [26, 'I32', 1, 4],
    [27, 'I64', 1, 8],
    [28, 'F64', 1, 8],
    [29, 'IQ1_M', 256, 56],
    [30, 'BF16', 1, 2],
    [34, 'TQ1_0', 256, 54],
    [35, 'TQ2_0', 256, 66],
    [39, 'MXFP4', 32, 17],
    [40, 'NVFP4', 64, 36],
    [41, 'Q1_0', 128, 18],
    [42, 'Q2_0', 64, 18]
].map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }]));
/**
 * Bytes a tensor of this type and shape occupies, or undefined when the type is unknown or the shape does not fit
 * its blocks. Computed in floating point: exact up to 2^53 bytes, far beyond any real file.
 */
function ggmlTensorBytes(type, shape) {
    const info = GGML_TYPES.get(type);
    if (info === undefined)
        return undefined;
    const ne0 = shape[0] ?? 1;
    if (ne0 % info.blockSize !== 0)
        return undefined;
    let bytes = (ne0 / info.blockSize) * info.typeSize;
    for (let i = 1; i < shape.length; i++)
        bytes *= shape[i];
    return bytes;
}

;// CONCATENATED MODULE: ./src/gguf/readGgufHeader.ts
/**
 * Reads a GGUF file's header (metadata and tensor infos) through a file handle, a chunk at a time, to validate a
 * user's `model` input before handing it to llama.cpp: a multi-GB model is never read in full, and the typed errors
 * explain the usual mistakes (an HTML page or Git LFS pointer saved as .gguf, an interrupted download).
 */




/** Stands in for an array too long to keep (e.g. `tokenizer.ggml.tokens`, often 150k strings). */
class GgufArraySummary {
    itemType;
    length;
    constructor(itemType, length) {
        this.itemType = itemType;
        this.length = length;
    }
    toJSON() {
        return { itemType: this.itemType, length: this.length };
    }
}
const TYPE_NAMES = {
    0: 'uint8',
    1: 'int8',
    2: 'uint16',
    3: 'int16',
    4: 'uint32',
    5: 'int32',
    6: 'float32',
    7: 'bool',
    8: 'string',
    9: 'array',
    10: 'uint64',
    11: 'int64',
    12: 'float64'
};
/** Fixed byte width of scalar types; strings and arrays are variable. */
const SCALAR_WIDTH = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };
const READ_CHUNK = 64 * 1024;
/** A forward-only cursor over the file that keeps at most one read-ahead window in memory. */
class HeaderCursor {
    handle;
    path;
    fileSize;
    window = Buffer.alloc(0);
    windowStart = 0;
    position = 0;
    constructor(handle, path, fileSize) {
        this.handle = handle;
        this.path = path;
        this.fileSize = fileSize;
    }
    /** Makes bytes [position, position + count) available, or fails as a truncated header. */
    async need(count, what) {
        const end = this.position + count;
        if (end > this.fileSize) {
            throw new TruncatedGgufError(this.path, `the header's ${what} at byte ${this.position} needs ${count} bytes but the file ends at byte ${this.fileSize}`, this.fileSize);
        }
        if (end > this.windowStart + this.window.length) {
            const length = Math.min(Math.max(count, READ_CHUNK), this.fileSize - this.position);
            const buffer = Buffer.alloc(length);
            let filled = 0;
            while (filled < length) {
                const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.position + filled);
                if (bytesRead === 0)
                    break;
                filled += bytesRead;
            }
            if (filled < count) {
                throw new TruncatedGgufError(this.path, `the file ends at byte ${this.position + filled} while reading ${what}`, this.fileSize);
            }
            this.window = buffer.subarray(0, filled);
            this.windowStart = this.position;
        }
        const offset = this.position - this.windowStart;
        this.position = end;
        return offset;
    }
    async bytes(count, what) {
        const offset = await this.need(count, what);
        return this.window.subarray(offset, offset + count);
    }
    // `need` may replace the window, so the offset is awaited before `this.window` is read.
    async u32(what) {
        const offset = await this.need(4, what);
        return this.window.readUInt32LE(offset);
    }
    async u64(what) {
        const offset = await this.need(8, what);
        return this.window.readBigUInt64LE(offset);
    }
    /** u64 used as a length or count: anything past the end of the file cannot be real. */
    async length(what) {
        const value = await this.u64(what);
        if (value > BigInt(this.fileSize)) {
            throw new TruncatedGgufError(this.path, `the header's ${what} at byte ${this.position - 8} is ${value}, more than the whole file (${this.fileSize} bytes)`, this.fileSize);
        }
        return Number(value);
    }
    async string(what) {
        const length = await this.length(`${what} length`);
        return (await this.bytes(length, what)).toString('utf8');
    }
    async skip(count, what) {
        if (this.position + count > this.fileSize)
            await this.need(count, what);
        this.position += count;
    }
}
function safeNumber(value) {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
}
async function readScalar(cursor, type, what) {
    const width = SCALAR_WIDTH[type];
    if (width === undefined)
        throw new Error(`unexpected scalar type ${type}`);
    const buffer = await cursor.bytes(width, what);
    switch (type) {
        case 0:
            return buffer.readUInt8(0);
        case 1:
            return buffer.readInt8(0);
        case 2:
            return buffer.readUInt16LE(0);
        case 3:
            return buffer.readInt16LE(0);
        case 4:
            return buffer.readUInt32LE(0);
        case 5:
            return buffer.readInt32LE(0);
        case 6:
            return buffer.readFloatLE(0);
        case 7:
            return buffer.readUInt8(0) !== 0;
        case 10:
            return safeNumber(buffer.readBigUInt64LE(0));
        case 11:
            return safeNumber(buffer.readBigInt64LE(0));
        default:
            return buffer.readDoubleLE(0);
    }
}
class CorruptHeader extends Error {
}
async function readValue(cursor, type, key, maxArrayLength) {
    if (type === GgufValueType.STRING)
        return cursor.string(`value of "${key}"`);
    if (type !== GgufValueType.ARRAY) {
        if (SCALAR_WIDTH[type] === undefined)
            throw new CorruptHeader(`metadata "${key}" has an unknown value type ${type}`);
        return readScalar(cursor, type, `value of "${key}"`);
    }
    const itemType = await cursor.u32(`item type of "${key}"`);
    const length = await cursor.length(`length of "${key}"`);
    const itemTypeName = TYPE_NAMES[itemType];
    if (itemTypeName === undefined || itemType === GgufValueType.ARRAY) {
        throw new CorruptHeader(`metadata "${key}" is an array of an unsupported item type ${itemType}`);
    }
    if (length > maxArrayLength) {
        // Skip without decoding: strings still have to be walked because each carries its own length.
        if (itemType === GgufValueType.STRING) {
            for (let i = 0; i < length; i++)
                await cursor.skip(await cursor.length(`item length in "${key}"`), `an item of "${key}"`);
        }
        else {
            await cursor.skip(length * SCALAR_WIDTH[itemType], `items of "${key}"`);
        }
        return new GgufArraySummary(itemTypeName, length);
    }
    const items = [];
    for (let i = 0; i < length; i++)
        items.push(await readValue(cursor, itemType, key, maxArrayLength));
    return items;
}
const HINTS = [
    [/^version https:\/\/git-lfs/, 'it is a Git LFS pointer file: fetch the real file with `git lfs pull` or download it directly'],
    [/^\s*(<!doctype html|<html|<\?xml|<head|<body)/i, 'it is an HTML/XML page, probably a web page saved instead of the model file'],
    [/^\s*[{[]/, 'it looks like JSON text'],
    [/^PK\x03\x04/, 'it is a ZIP archive, such as a PyTorch checkpoint'],
    [/^(lmgg|fmgg|tjgg)/, 'it is a pre-GGUF GGML/GGJT file from an old llama.cpp'],
    [/^\x89HDF/, 'it is an HDF5 (Keras) file']
];
function describeForeignFile(head, fileSize) {
    const text = head.toString('latin1');
    for (const [pattern, hint] of HINTS)
        if (pattern.test(text))
            return hint;
    // safetensors: u64 header length, then a JSON object.
    if (head.length >= 9 && head[8] === 0x7b && head.readBigUInt64LE(0) < BigInt(fileSize)) {
        return 'it is a safetensors file';
    }
    const magic = head.subarray(0, 4);
    const printable = [...magic].every((byte) => byte >= 0x20 && byte < 0x7f);
    return `it starts with ${printable ? JSON.stringify(magic.toString('latin1')) : `bytes ${magic.toString('hex')}`} instead of "GGUF"`;
}
async function readGgufHeader(path, options = {}) {
    const maxArrayLength = options.maxArrayLength ?? 64;
    const handle = await (0,promises_namespaceObject.open)(path, 'r');
    try {
        const { size: fileSize } = await handle.stat();
        if (fileSize === 0)
            throw new NotGgufError(path, 'the file is empty');
        const head = Buffer.alloc(Math.min(fileSize, 64));
        await handle.read(head, 0, head.length, 0);
        if (head.length < 4 || head.toString('latin1', 0, 4) !== 'GGUF') {
            if (head.length < 4 && 'GGUF'.startsWith(head.toString('latin1'))) {
                throw new TruncatedGgufError(path, `the file is only ${fileSize} bytes long`, fileSize);
            }
            if (head.toString('latin1', 0, 4) === 'FUGG') {
                throw new UnsupportedGgufVersionError(path, head.length >= 8 ? head.readUInt32BE(4) : 0, 'it is a big-endian GGUF file');
            }
            throw new NotGgufError(path, describeForeignFile(head, fileSize));
        }
        const cursor = new HeaderCursor(handle, path, fileSize);
        await cursor.skip(4, 'magic');
        const version = await cursor.u32('version');
        if (version !== 2 && version !== 3) {
            // A byte-swapped small number means the file was written big-endian.
            const swapped = Buffer.alloc(4);
            swapped.writeUInt32LE(version);
            const bigEndianVersion = swapped.readUInt32BE(0);
            if (bigEndianVersion >= 1 && bigEndianVersion <= 3) {
                throw new UnsupportedGgufVersionError(path, bigEndianVersion, 'it is a big-endian GGUF file');
            }
            throw new UnsupportedGgufVersionError(path, version, version === 1 ? 'GGUF v1 files predate August 2023' : undefined);
        }
        const tensorCount = await cursor.length('tensor count');
        const metadataCount = await cursor.length('metadata count');
        const metadata = {};
        try {
            for (let i = 0; i < metadataCount; i++) {
                const key = await cursor.string(`metadata key #${i}`);
                const type = await cursor.u32(`type of "${key}"`);
                metadata[key] = await readValue(cursor, type, key, maxArrayLength);
            }
        }
        catch (error) {
            if (error instanceof CorruptHeader)
                throw new NotGgufError(path, `its header is corrupt: ${error.message}`);
            throw error;
        }
        const alignmentValue = metadata['general.alignment'];
        const alignment = typeof alignmentValue === 'number' && alignmentValue > 0 && Number.isInteger(alignmentValue) ? alignmentValue : GGUF_DEFAULT_ALIGNMENT;
        let dataEnd = 0;
        let lastTensor;
        for (let i = 0; i < tensorCount; i++) {
            const name = await cursor.string(`tensor #${i} name`);
            const dims = await cursor.u32(`dims of tensor "${name}"`);
            if (dims > 8)
                throw new NotGgufError(path, `its header is corrupt: tensor "${name}" has ${dims} dims`);
            const shape = [];
            for (let d = 0; d < dims; d++)
                shape.push(Number(await cursor.u64(`shape of tensor "${name}"`)));
            const type = await cursor.u32(`type of tensor "${name}"`);
            const offset = Number(await cursor.u64(`offset of tensor "${name}"`));
            // Unknown (newer) types cannot be sized; they then only bound the data end by their start.
            const end = offset + (ggmlTensorBytes(type, shape) ?? 0);
            if (end > dataEnd) {
                dataEnd = end;
                lastTensor = name;
            }
        }
        const tensorDataOffset = Math.ceil(cursor.position / alignment) * alignment;
        const expectedFileSize = tensorDataOffset + dataEnd;
        if (fileSize < expectedFileSize) {
            throw new TruncatedGgufError(path, `its tensor data should end at byte ${expectedFileSize} (tensor "${lastTensor}") but the file has ${fileSize} bytes ` +
                `(${(((expectedFileSize - fileSize) / expectedFileSize) * 100).toFixed(1)}% missing)`, fileSize, expectedFileSize);
        }
        const architecture = metadata['general.architecture'];
        const name = metadata['general.name'];
        return {
            version,
            tensorCount,
            metadataCount,
            metadata,
            ...(typeof architecture === 'string' ? { architecture } : {}),
            ...(typeof name === 'string' ? { name } : {}),
            fileSize,
            tensorDataOffset,
            expectedFileSize
        };
    }
    finally {
        await handle.close();
    }
}

;// CONCATENATED MODULE: ./src/inference/modelFile.ts




/**
 * Checks a user's model file before anything expensive happens: it exists, is a file, and has a
 * complete GGUF header. A bad path or a cut-off download fails here, naming the input.
 */
async function checkModelFile(modelPath) {
    let info;
    try {
        info = await (0,promises_namespaceObject.stat)(modelPath);
    }
    catch {
        throw new InputError('model', `the file ${modelPath} does not exist`, 'Check the path (relative paths start at the workspace) or download the model in an earlier step');
    }
    if (!info.isFile()) {
        throw new InputError('model', `${modelPath} is not a file`, 'Point it at the .gguf file itself, not its directory');
    }
    try {
        const header = await readGgufHeader(modelPath);
        return { path: modelPath, bytes: info.size, architecture: header.architecture, name: header.name };
    }
    catch (error) {
        if (error instanceof GgufError) {
            throw new InputError('model', error.message.replace(/\.$/, ''), 'Pass a complete .gguf file');
        }
        throw error;
    }
}

;// CONCATENATED MODULE: ./src/inference/nodeLlamaCppRuntime.ts






/** The one node-llama-cpp version this release is tested with. */
const NODE_LLAMA_CPP_VERSION = '3.22.1';
/**
 * node-llama-cpp carries native binaries (85 MB for CPU, 500+ MB for CUDA), so it is never
 * bundled into dist/: it is found beside the action or in the container image, or installed
 * into a cache directory at run time, and loaded with an import the bundler leaves alone.
 */
function locateNodeLlamaCpp(searchFrom) {
    for (const start of searchFrom) {
        let dir = external_node_path_default().resolve(start);
        for (;;) {
            const packageDir = (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(dir, 'package.json')) && readName(dir) === 'node-llama-cpp' ? dir : external_node_path_default().join(dir, 'node_modules', 'node-llama-cpp');
            const found = readRuntime(packageDir);
            if (found)
                return found;
            const parent = external_node_path_default().dirname(dir);
            if (parent === dir)
                break;
            dir = parent;
        }
    }
    return undefined;
}
function readName(dir) {
    try {
        return JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(dir, 'package.json'), 'utf8')).name;
    }
    catch {
        return undefined;
    }
}
function readRuntime(packageDir) {
    let pkg;
    try {
        pkg = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(packageDir, 'package.json'), 'utf8'));
    }
    catch {
        return undefined;
    }
    if (pkg.name !== 'node-llama-cpp' || !pkg.version)
        return undefined;
    const main = pkg.exports?.['.'];
    const entry = external_node_path_default().join(packageDir, main?.import ?? main?.default ?? 'dist/index.js');
    return (0,external_node_fs_namespaceObject.existsSync)(entry) ? { entry, version: pkg.version, packageDir } : undefined;
}
/** npm package holding the prebuilt llama.cpp binary for this platform and back end. */
function binaryPackageName(variant, platform = process.platform, arch = process.arch) {
    const os = platform === 'darwin' ? 'mac' : platform === 'win32' ? 'win' : platform;
    if (os === 'mac')
        return `@node-llama-cpp/mac-${arch}${arch === 'arm64' ? '-metal' : ''}`;
    return `@node-llama-cpp/${os}-${arch}${variant === 'cpu' ? '' : `-${variant}`}`;
}
/**
 * Installs the pinned node-llama-cpp with only the binary package this machine needs (the
 * optional dependencies would pull every platform's binaries, over a gigabyte).
 */
async function installNodeLlamaCpp(installDir, variant, log) {
    await (0,promises_namespaceObject.mkdir)(installDir, { recursive: true });
    const packages = [`node-llama-cpp@${NODE_LLAMA_CPP_VERSION}`, `${binaryPackageName(variant)}@${NODE_LLAMA_CPP_VERSION}`];
    if (variant === 'cuda' && process.platform !== 'darwin')
        packages.push(`${binaryPackageName(variant)}-ext@${NODE_LLAMA_CPP_VERSION}`);
    log(`Installing ${packages.join(' ')} into ${installDir}`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = await runProcess({
        command: npm,
        args: ['install', '--prefix', installDir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', ...packages],
        cwd: installDir,
        timeoutMs: 15 * 60_000
    });
    const found = result.exitCode === 0 ? readRuntime(external_node_path_default().join(installDir, 'node_modules', 'node-llama-cpp')) : undefined;
    if (!found) {
        throw new ProviderUnavailableError(`Installing node-llama-cpp into ${installDir} failed (${result.timedOut ? 'timed out' : `exit ${result.exitCode}`}): ${result.stderr.trim().slice(-2000)}. ` +
            'Use the container image, or install it yourself and pass the directory as the llama-runtime input.');
    }
    return found;
}
async function importNodeLlamaCpp(location) {
    try {
        return (await import(/* webpackIgnore: true */ (0,external_node_url_namespaceObject.pathToFileURL)(location.entry).href));
    }
    catch (error) {
        throw new ProviderUnavailableError(`node-llama-cpp at ${location.packageDir} could not be loaded: ${error.message}. Reinstall it (delete that directory) or point llama-runtime at a working install.`);
    }
}

;// CONCATENATED MODULE: ./src/inference/loadLocalProvider.ts









const DEMO_MODEL_NOTICE = 'This run used the demo model: a tiny GGUF generated by aqe itself that always answers with one fixed test file written for the example repository. It proves the pipeline (real llama.cpp inference, real test runs, real coverage), not model quality. Pass a real GGUF model in the model input for real results.';
/** Finds or installs llama.cpp, resolves the model and loads it: everything the local provider needs. */
async function loadLocalProvider(options, search, logger) {
    const demo = options.model === 'demo';
    const modelPath = demo ? await prepareDemoModel(search.tempDir) : (await checkModelFile(options.model)).path;
    const variant = await chooseBinaryVariant(options);
    const location = await findRuntime(options, search, variant, logger);
    logger.info(`node-llama-cpp ${location.version} from ${location.packageDir}`);
    const runtime = await importNodeLlamaCpp(location);
    const threads = options.threads > 0 ? options.threads : chooseThreadCount(readCpuFacts(), (await (0,promises_namespaceObject.stat)(modelPath)).size);
    const provider = await LocalLlamaProvider.load({
        runtime,
        modelPath,
        modelLabel: demo ? 'aqe demo model (generated)' : external_node_path_default().basename(modelPath),
        gpu: options.gpu,
        threads,
        maxParallel: options.maxParallel,
        contextSize: options.contextSize,
        warn: (m) => logger.warn(m)
    });
    return demo ? { provider, demoNotice: DEMO_MODEL_NOTICE } : { provider };
}
async function findRuntime(options, search, variant, logger) {
    const installDir = search.installRoot ? external_node_path_default().join(search.installRoot, 'aqe-node-llama-cpp', NODE_LLAMA_CPP_VERSION, `${process.platform}-${process.arch}-${variant}`) : undefined;
    if (options.llamaRuntime) {
        const given = locateNodeLlamaCpp([options.llamaRuntime]);
        if (!given) {
            throw new InputError('llama-runtime', `no node-llama-cpp package was found in or above ${options.llamaRuntime}`, `Point it at a directory where \`npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}\` was run, or leave it empty to let the action install it`);
        }
        return given;
    }
    const candidates = [...search.searchFrom, installDir].filter((d) => !!d);
    const found = locateNodeLlamaCpp(candidates);
    if (found)
        return found;
    if (!installDir) {
        throw new Error(`node-llama-cpp was not found (looked in ${candidates.join(', ')}). Install it (npm install node-llama-cpp@${NODE_LLAMA_CPP_VERSION}) or pass its directory in llama-runtime.`);
    }
    return logger.group(`Installing node-llama-cpp ${NODE_LLAMA_CPP_VERSION} (${variant})`, () => installNodeLlamaCpp(installDir, variant, (l) => logger.info(l)));
}
/** The binary package to install: CUDA only where an NVIDIA GPU is really present. */
async function chooseBinaryVariant(options) {
    if (options.gpu === 'cpu' || options.gpu === 'metal')
        return 'cpu';
    if (options.gpu === 'vulkan')
        return 'vulkan';
    if (options.gpu === 'cuda')
        return 'cuda';
    return hasNvidiaDevice() && (await detectNvidiaGpus()).length > 0 ? 'cuda' : 'cpu';
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: ./src/inference/ReplayProvider.ts




class ReplayMissError extends InferenceError {
    name = 'ReplayMissError';
}
/** The identity of a request: same model, parameters and prompt → same answer under greedy decoding. */
function requestKey(model, request) {
    const identity = JSON.stringify([model, request.system ?? '', request.user, request.maxTokens, request.temperature ?? 0, request.seed ?? null]);
    return (0,external_node_crypto_namespaceObject.createHash)('sha256').update(identity).digest('hex');
}
/** Answers from a replay file instead of a model: reproducible runs, exact outputs in tests. */
class ReplayProvider {
    file;
    model;
    byKey = new Map();
    byTarget = new Map();
    constructor(file, entries, model) {
        this.file = file;
        this.model = model;
        for (const entry of entries) {
            if (entry.key)
                this.byKey.set(entry.key, entry);
            else if (entry.target)
                this.byTarget.set(entry.target, [...(this.byTarget.get(entry.target) ?? []), entry]);
        }
    }
    static async open(file) {
        let text;
        try {
            text = await (0,promises_namespaceObject.readFile)(file, 'utf8');
        }
        catch (error) {
            throw new ReplayMissError(`The replay file ${file} cannot be read (${error.message}). Record one first with replay-mode: record, or fix replay-file.`);
        }
        const entries = text
            .split('\n')
            .map((line, i) => ({ line: line.trim(), n: i + 1 }))
            .filter(({ line }) => line !== '')
            .map(({ line, n }) => parseEntry(line, n, file));
        const model = entries.find((e) => e.model)?.model ?? 'replay';
        return new ReplayProvider(file, entries, model);
    }
    async chat(request) {
        const started = Date.now();
        const entry = this.byKey.get(requestKey(this.model, request)) ?? (request.target ? this.byTarget.get(request.target)?.shift() : undefined);
        if (!entry) {
            throw new ReplayMissError(`${this.file} has no answer for this request${request.target ? ` (target ${request.target})` : ''}: the prompt, the model or the parameters changed since it was recorded, or no hand-written line has that target. Record again with replay-mode: record.`);
        }
        request.onText?.(entry.response.text);
        return {
            text: entry.response.text,
            provider: 'replay',
            model: this.model,
            finishReason: entry.response.finishReason ?? 'stop',
            usage: entry.response.usage ?? { promptTokens: 0, completionTokens: 0 },
            timings: { queuedMs: 0, firstTokenMs: 0, generationMs: Date.now() - started, tokensPerSecond: 0 }
        };
    }
    countTokens(text) {
        return Math.ceil(text.length / 4);
    }
    info() {
        return { provider: 'replay', model: this.model, backend: 'replay', hardware: `answers from ${external_node_path_default().basename(this.file)}`, threads: 0, parallelSequences: 1, contextSize: 1_048_576, modelLoadMs: 0 };
    }
    async dispose() { }
}
/** Wraps a real provider and appends every request and answer to a replay file. */
class RecordingProvider {
    inner;
    file;
    writes = Promise.resolve();
    constructor(inner, file) {
        this.inner = inner;
        this.file = file;
    }
    async chat(request) {
        const result = await this.inner.chat(request);
        const model = this.inner.info().model;
        const entry = {
            key: requestKey(model, request),
            target: request.target,
            model,
            request: { system: request.system, user: request.user, maxTokens: request.maxTokens, temperature: request.temperature ?? 0, seed: request.seed },
            response: { text: result.text, finishReason: result.finishReason, usage: result.usage }
        };
        // Appends are chained so parallel answers never interleave within a line.
        this.writes = this.writes.then(async () => {
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(this.file), { recursive: true });
            await (0,promises_namespaceObject.appendFile)(this.file, `${JSON.stringify(entry)}\n`);
        });
        await this.writes;
        return result;
    }
    countTokens(text) {
        return this.inner.countTokens(text);
    }
    info() {
        return this.inner.info();
    }
    dispose() {
        return this.inner.dispose();
    }
}
function parseEntry(line, n, file) {
    let entry;
    try {
        entry = JSON.parse(line);
    }
    catch {
        throw new ReplayMissError(`${file}:${n} is not valid JSON. Each line of a replay file is one JSON object.`);
    }
    if (typeof entry?.response?.text !== 'string' || (!entry.key && !entry.target)) {
        throw new ReplayMissError(`${file}:${n} needs "response": {"text": ...} and either "key" (recorded) or "target" (the source file it answers for).`);
    }
    return entry;
}

;// CONCATENATED MODULE: ./src/inference/loadProvider.ts



/** The provider a run asked for: answers replayed from a file, or a local model (recorded when asked). */
async function loadProvider(options, search, logger) {
    if (options.replay?.mode === 'replay') {
        logger.info(`Answering from the replay file ${options.replay.file}; no model is loaded.`);
        return { provider: await ReplayProvider.open(options.replay.file) };
    }
    const loaded = await loadLocalProvider(options, search, logger);
    if (options.replay?.mode === 'record') {
        logger.info(`Recording every model answer to ${options.replay.file}.`);
        return { ...loaded, provider: new RecordingProvider(loaded.provider, options.replay.file) };
    }
    return loaded;
}
/** Checks the model input before the long stages start, so a bad path fails in the first second. */
async function checkModelInput(options) {
    if (options.replay?.mode === 'replay' || options.model === 'demo')
        return;
    await checkModelFile(options.model);
}

;// CONCATENATED MODULE: ./src/pipeline/Logger.ts
const consoleLogger = {
    info: (m) => console.error(m),
    warn: (m) => console.error(`warning: ${m}`),
    group: async (name, task) => {
        console.error(`== ${name}`);
        return task();
    }
};

// EXTERNAL MODULE: ./node_modules/istanbul-lib-coverage/index.js
var istanbul_lib_coverage = __nccwpck_require__(377);
var istanbul_lib_coverage_default = /*#__PURE__*/__nccwpck_require__.n(istanbul_lib_coverage);
;// CONCATENATED MODULE: ./src/coverage/CoverageData.ts



/**
 * Istanbul per-file coverage keyed by repo-relative path. Test runs happen in scratch copies at
 * other absolute paths, so keys are made relative to the copy's root on read; that lets runs from
 * different copies be merged and compared.
 */
class CoverageData {
    map;
    constructor(map) {
        this.map = map;
    }
    static empty() {
        return new CoverageData(istanbul_lib_coverage_default().createCoverageMap({}));
    }
    /** Reads istanbul's coverage-final.json (jest/vitest `json` reporter). Missing file → empty. */
    static async readIstanbulJson(file, rootDir) {
        let text;
        try {
            text = await (0,promises_namespaceObject.readFile)(file, 'utf8');
        }
        catch (error) {
            if (error.code === 'ENOENT')
                return CoverageData.empty();
            throw error;
        }
        const raw = JSON.parse(text);
        const rekeyed = {};
        for (const [key, data] of Object.entries(raw)) {
            const fileData = data;
            const rel = toRepoRelative(fileData.path ?? key, rootDir);
            rekeyed[rel] = { ...fileData, path: rel };
        }
        return new CoverageData(istanbul_lib_coverage_default().createCoverageMap(rekeyed));
    }
    /**
     * Adds, with zero hits, the files `other` measured and this did not. jest only reports untested
     * files that lie under its `roots`, so a changed file no test loads can be missing from the
     * baseline; its shape comes from the first run that did load it, which is what "0 of N lines"
     * needs.
     */
    withUnloadedFiles(other) {
        const missing = other.files().filter((f) => !this.map.files().includes(f));
        if (missing.length === 0)
            return this;
        const data = this.plainData();
        for (const file of missing)
            data[file] = zeroHits(other.plainData()[file]);
        return new CoverageData(istanbul_lib_coverage_default().createCoverageMap(data));
    }
    /** A deep copy: istanbul's toJSON hands out its live internal objects, which merges mutate. */
    plainData() {
        return JSON.parse(JSON.stringify(this.map.toJSON()));
    }
    files() {
        return this.map.files();
    }
    /** A new CoverageData with the hits of both (same instrumentation is assumed per file). */
    merge(other) {
        const merged = istanbul_lib_coverage_default().createCoverageMap(this.plainData());
        merged.merge(other.plainData());
        return new CoverageData(merged);
    }
    /** Line coverage summed over the given files (files without data count as unmeasured). */
    lineFigures(files) {
        let covered = 0;
        let total = 0;
        for (const file of files) {
            const counts = this.counts(file);
            if (!counts)
                continue;
            covered += counts.coveredLines;
            total += counts.totalLines;
        }
        return { coveredLines: covered, totalLines: total, linesPct: total === 0 ? null : round2((covered / total) * 100) };
    }
    /** Covered/total lines and branches of one file, or undefined when it was never loaded. */
    counts(file) {
        if (!this.map.files().includes(file))
            return undefined;
        const summary = this.map.fileCoverageFor(file).toSummary();
        return {
            coveredLines: summary.lines.covered,
            totalLines: summary.lines.total,
            coveredBranches: summary.branches.covered,
            totalBranches: summary.branches.total
        };
    }
    /** Line numbers of `file` that no test executed. */
    uncoveredLines(file) {
        if (!this.map.files().includes(file))
            return [];
        const lines = this.map.fileCoverageFor(file).getLineCoverage();
        return Object.entries(lines)
            .filter(([, hits]) => hits === 0)
            .map(([line]) => Number(line))
            .sort((a, b) => a - b);
    }
}
function toRepoRelative(file, rootDir) {
    const rel = external_node_path_default().isAbsolute(file) ? external_node_path_default().relative(rootDir, file) : file;
    return rel.split((external_node_path_default()).sep).join('/');
}
function zeroHits(data) {
    const zero = (counts) => Object.fromEntries(Object.keys(counts).map((k) => [k, 0]));
    return {
        ...data,
        s: zero(data.s),
        f: zero(data.f),
        b: Object.fromEntries(Object.entries(data.b).map(([k, arms]) => [k, arms.map(() => 0)]))
    };
}
function round2(n) {
    return Math.round(n * 100) / 100;
}

;// CONCATENATED MODULE: ./src/generation/buildPrompt.ts
const SYSTEM = [
    'You are a senior engineer who writes focused, deterministic unit tests.',
    'Answer with exactly one fenced code block holding a complete test file and nothing else.',
    'Test only behaviour visible in the given source; do not invent functions or options it does not have.',
    'Every test must assert something. No network, no timers left running, no reliance on the current date or random values.'
].join(' ');
/**
 * The request for one source file. Parts are added in order of value and the least valuable
 * (the style example, then the tail of the source) are cut first when the context is small.
 */
function buildPrompt(input) {
    const { placement } = input;
    const header = [
        `Write ${input.framework} tests for \`${input.sourceFile}\`.`,
        `The test file will be saved as \`${placement.testFile}\`; import the module under test from '${placement.importSpecifier}'.`,
        input.uncoveredLines.length > 0
            ? `These lines are not covered by the existing tests; cover them first: ${compressRanges(input.uncoveredLines)}.`
            : 'Cover every exported function, including error paths and edge cases.',
        input.example && /@jest\/globals/.test(input.example.content)
            ? "Import describe, it and expect from '@jest/globals' as the example does."
            : 'Use the jest globals (describe, it, expect) as the existing tests do.'
    ].join('\n');
    const sourceBlock = (text) => `\nSource of \`${input.sourceFile}\`:\n\`\`\`${fenceLang(input.sourceFile)}\n${text}\n\`\`\`\n`;
    const exampleBlock = input.example
        ? `\nAn existing test in this repository (\`${input.example.file}\`), for style:\n\`\`\`${fenceLang(input.example.file)}\n${input.example.content}\n\`\`\`\n`
        : '';
    const budget = input.maxChars - SYSTEM.length - header.length;
    let source = input.source;
    let example = exampleBlock;
    if (sourceBlock(source).length + example.length > budget)
        example = '';
    if (sourceBlock(source).length > budget) {
        source = `${source.slice(0, Math.max(0, budget - 200))}\n// … (truncated to fit the model's context)`;
    }
    return { system: SYSTEM, user: `${header}\n${sourceBlock(source)}${example}` };
}
function fenceLang(file) {
    return /\.[cm]?tsx?$/.test(file) ? 'ts' : 'js';
}
/** [3,4,5,9] → "3-5, 9" */
function compressRanges(lines) {
    const parts = [];
    let start = lines[0];
    let prev = lines[0];
    for (const n of [...lines.slice(1), Number.NaN]) {
        if (n === prev + 1) {
            prev = n;
            continue;
        }
        parts.push(start === prev ? `${start}` : `${start}-${prev}`);
        start = prev = n;
    }
    return lines.length === 0 ? '' : parts.join(', ');
}

;// CONCATENATED MODULE: ./src/generation/extractCode.ts
/**
 * Pulls the test file out of a model's answer. Models wrap code in fences, add prose before and
 * after, emit several blocks, or stop mid-block at the token limit; each of those still yields
 * the code when there is any.
 */
function extractCode(answer) {
    const blocks = fencedBlocks(answer);
    const scored = blocks
        .map((code) => ({ code, score: testLikeness(code) * 1_000_000 + code.length }))
        .sort((a, b) => b.score - a.score);
    const best = scored[0]?.code ?? unfenced(answer);
    if (best === undefined)
        return undefined;
    const code = best.replace(/\s+$/, '');
    return testLikeness(code) > 0 ? `${code}\n` : undefined;
}
const FENCE = /^[ \t]*(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*$/gm;
const CODE_LANGS = new Set(['', 'ts', 'typescript', 'tsx', 'js', 'javascript', 'jsx', 'mjs', 'cjs', 'mts', 'cts']);
function fencedBlocks(answer) {
    const blocks = [];
    const fences = [...answer.matchAll(FENCE)];
    let i = 0;
    while (i < fences.length) {
        const open = fences[i];
        const lang = (open[2] ?? '').toLowerCase();
        const start = open.index + open[0].length + 1;
        const close = fences.slice(i + 1).findIndex((f) => f[1].startsWith(open[1]) && (f[2] ?? '') === '');
        if (close === -1) {
            // Unterminated: the answer was cut at the token limit; keep what is there.
            if (CODE_LANGS.has(lang))
                blocks.push(answer.slice(start));
            break;
        }
        const closing = fences[i + 1 + close];
        if (CODE_LANGS.has(lang))
            blocks.push(answer.slice(start, closing.index));
        i += close + 2;
    }
    return blocks;
}
/** No fences: drop prose lines before the first line that starts code. */
function unfenced(answer) {
    const lines = answer.split('\n');
    const first = lines.findIndex((l) => /^\s*(import\b|const\b|let\b|var\b|describe\s*\(|test\s*\(|it\s*\(|\/\/|\/\*|'use strict'|"use strict"|jest\.mock\s*\(|vi\.mock\s*\()/.test(l));
    if (first === -1)
        return undefined;
    return lines.slice(first).join('\n');
}
/** Counts test declarations; zero means the text cannot be a test file. */
function testLikeness(code) {
    return (code.match(/\b(it|test|describe)(\.each\([^)]*\))?\s*\(/g) ?? []).length;
}

;// CONCATENATED MODULE: ./src/generation/moduleStatements.ts
/**
 * Splits a JavaScript/TypeScript module into its top-level statements, well enough to tell
 * declarations from code: strings, template literals and comments are skipped, brackets are
 * balanced, and a statement ends at `;` or at a line break before a new statement keyword.
 */
function topLevelStatements(source) {
    const statements = [];
    let current = '';
    let depth = 0;
    const flush = () => {
        const text = current.replace(/\s+/g, ' ').trim();
        if (text !== '' && text !== ';')
            statements.push(text);
        current = '';
    };
    for (let i = 0; i < source.length; i++) {
        const c = source[i];
        const next = source[i + 1];
        if (c === '/' && next === '/') {
            const end = source.indexOf('\n', i);
            i = (end === -1 ? source.length : end) - 1;
            continue;
        }
        if (c === '/' && next === '*') {
            const end = source.indexOf('*/', i + 2);
            i = end === -1 ? source.length : end + 1;
            current += ' ';
            continue;
        }
        if (c === '"' || c === "'" || c === '`') {
            const end = skipString(source, i);
            current += source.slice(i, end + 1);
            i = end;
            continue;
        }
        if (c === '{' || c === '(' || c === '[')
            depth++;
        else if (c === '}' || c === ')' || c === ']')
            depth = Math.max(0, depth - 1);
        if (depth === 0 && c === ';') {
            flush();
            continue;
        }
        current += c;
        if (depth === 0 && c === '\n' && STATEMENT_START.test(source.slice(i + 1)))
            flush();
    }
    flush();
    return statements;
}
const STATEMENT_START = /^\s*(import|export|const|let|var|function|async|class|abstract|interface|type|declare|enum|namespace|module|@|if|for|while|switch|try|do|return|throw)\b/;
function skipString(source, start) {
    const quote = source[start];
    for (let i = start + 1; i < source.length; i++) {
        const c = source[i];
        if (c === '\\')
            i++;
        else if (c === quote)
            return i;
        else if (quote === '`' && c === '$' && source[i + 1] === '{') {
            // A template expression can hold nested strings and braces; find its closing brace.
            let depth = 1;
            for (i += 2; i < source.length && depth > 0; i++) {
                const d = source[i];
                if (d === '"' || d === "'" || d === '`')
                    i = skipString(source, i);
                else if (d === '{')
                    depth++;
                else if (d === '}')
                    depth--;
            }
            i--;
        }
        else if (quote !== '`' && c === '\n')
            return i; // unterminated: stop at the line end
    }
    return source.length - 1;
}
/** Statements that produce no runtime behaviour of their own. */
const NOT_CODE = [
    /^import\b(?!\s*\()/, // imports (not dynamic import() calls)
    /^export\s*\*/, // export * from / export * as ns from
    /^export\s+(type\s+)?\{[^}]*\}(\s*from\b.*)?$/, // export { a, b } [from '...']
    /^(export\s+)?(default\s+)?(declare\s+)?(interface|type)\s+[\w$]/, // interfaces and type aliases
    /^(export\s+)?declare\s/, // ambient declarations
    /^['"]use strict['"]$/
];
/** True when the module has statements beyond imports, re-exports, types and comments. */
function hasOwnCode(source) {
    return topLevelStatements(source).some((s) => !NOT_CODE.some((re) => re.test(s)));
}

;// CONCATENATED MODULE: ./src/generation/selectTargets.ts




const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);
const TEST_FILE = /(^|\/)(__tests__|__mocks__|test|tests|spec|e2e)\/|\.(test|spec|e2e)\.[cm]?[jt]sx?$/;
const NOT_OURS = /(^|\/)(node_modules|vendor|third_party|dist|build|out|coverage|\.next|__generated__|generated)\//;
const CONFIG_FILE = /(^|\/)[^/]*\.config\.[cm]?[jt]s$|(^|\/)\.[^/]*rc\.[cm]?[jt]s$/;
/**
 * Picks the changed files worth generating tests for: existing JavaScript/TypeScript sources
 * with code of their own. Everything else is listed with the reason it was left out, so the
 * report accounts for every changed file.
 */
function selectTargets(repoDir, changed) {
    const targets = [];
    const skipped = [];
    for (const { filename, status } of changed) {
        const reason = skipReason(repoDir, filename, status);
        if (reason)
            skipped.push({ file: filename, reason });
        else
            targets.push(filename);
    }
    targets.sort();
    return { targets, skipped };
}
function skipReason(repoDir, file, status) {
    if (status === 'removed')
        return 'removed by the pull request';
    if (!SOURCE_EXTENSIONS.has(external_node_path_default().extname(file)))
        return 'not a JavaScript/TypeScript source file';
    if (/\.d\.[cm]?ts$/.test(file))
        return 'type declarations only';
    if (/\.min\.js$/.test(file) || NOT_OURS.test(file))
        return 'vendored, generated or build output';
    if (TEST_FILE.test(file))
        return 'a test file itself';
    if (CONFIG_FILE.test(file))
        return 'a tool configuration file';
    const full = external_node_path_default().join(repoDir, file);
    if (!(0,external_node_fs_namespaceObject.existsSync)(full))
        return 'not present in the checkout (check out the pull request head before this step)';
    if (!hasOwnCode((0,external_node_fs_namespaceObject.readFileSync)(full, 'utf8')))
        return 'only re-exports or type declarations, nothing to execute';
    return undefined;
}

;// CONCATENATED MODULE: ./src/generation/TestLayout.ts


const TEST_NAME = /\.(test|spec)\.[cm]?[jt]sx?$/;
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'coverage', '.next', 'out', 'vendor']);
const MAX_FILES_SCANNED = 20_000;
const SEPARATE_ROOTS = ['test', 'tests'];
function detectTestLayout(repoDir) {
    const existingTests = findTestFiles(repoDir);
    const specs = existingTests.filter((f) => /\.spec\./.test(f)).length;
    const inRoot = (root) => existingTests.filter((f) => f.startsWith(`${root}/`)).length;
    const roots = SEPARATE_ROOTS.map((root) => ({ root, n: inRoot(root) })).sort((a, b) => b.n - a.n);
    const separate = roots[0].n;
    const adjacent = existingTests.filter((f) => f.split('/').slice(0, -1).includes('__tests__') && !SEPARATE_ROOTS.some((r) => f.startsWith(`${r}/`))).length;
    const colocated = existingTests.length - separate - adjacent;
    let style;
    if (existingTests.length === 0)
        style = SEPARATE_ROOTS.some((r) => (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(repoDir, r))) ? 'separate' : 'colocated';
    else if (separate >= adjacent && separate >= colocated)
        style = 'separate';
    else
        style = adjacent >= colocated ? 'adjacent' : 'colocated';
    return {
        existingTests,
        infix: specs > existingTests.length / 2 ? '.spec' : '.test',
        style,
        testRoot: separate > 0 ? roots[0].root : (SEPARATE_ROOTS.find((r) => (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(repoDir, r))) ?? 'test'),
        esm: isEsmPackage(repoDir)
    };
}
/**
 * Where the generated test for `sourceFile` goes: beside an existing test of the same module,
 * else where the repository keeps its tests. A taken name gets an ".aqe" (then numbered) infix:
 * a user's file is never overwritten.
 */
function placeTest(repoDir, layout, sourceFile, taken = new Set()) {
    const ext = external_node_path_default().posix.extname(sourceFile);
    const base = external_node_path_default().posix.basename(sourceFile, ext);
    const sourceDir = external_node_path_default().posix.dirname(sourceFile);
    const homes = {
        colocated: sourceDir,
        adjacent: external_node_path_default().posix.join(sourceDir, '__tests__'),
        separate: external_node_path_default().posix.join(layout.testRoot, stripSourceRoot(sourceDir))
    };
    // A test in one of this module's possible homes is its test (another folder's index.test.ts is
    // not); so is the only test of that name under a separate test root (test/unit/math.test.ts).
    const sameName = layout.existingTests.filter((t) => external_node_path_default().posix.basename(t).replace(TEST_NAME, '') === base);
    const underRoot = sameName.filter((t) => t.startsWith(`${layout.testRoot}/`));
    const sibling = sameName.find((t) => Object.values(homes).includes(external_node_path_default().posix.dirname(t))) ??
        (layout.style === 'separate' && underRoot.length === 1 ? underRoot[0] : undefined);
    const dir = sibling ? external_node_path_default().posix.dirname(sibling) : homes[layout.style];
    const infix = sibling ? `.${sibling.match(TEST_NAME)[1]}` : layout.infix;
    let testFile = external_node_path_default().posix.join(dir, `${base}${infix}${ext}`);
    for (let n = 1; (0,external_node_fs_namespaceObject.existsSync)(external_node_path_default().join(repoDir, testFile)) || taken.has(testFile); n++) {
        testFile = external_node_path_default().posix.join(dir, `${base}${n === 1 ? '.aqe' : `.aqe-${n}`}${infix}${ext}`);
    }
    return { testFile, importSpecifier: importSpecifier(testFile, sourceFile, layout.esm), siblingTest: sibling };
}
function stripSourceRoot(dir) {
    const parts = dir.split('/');
    return ['src', 'lib', 'source'].includes(parts[0] ?? '') ? parts.slice(1).join('/') : dir === '.' ? '' : dir;
}
/** ESM resolution wants the emitted file's extension; .mts/.cts files are ESM/CJS whatever the package says. */
const EMITTED = { '.ts': '.js', '.tsx': '.js', '.mts': '.mjs', '.cts': '.cjs' };
function importSpecifier(testFile, sourceFile, esm) {
    const ext = external_node_path_default().posix.extname(sourceFile);
    let rel = external_node_path_default().posix.relative(external_node_path_default().posix.dirname(testFile), sourceFile);
    if (!rel.startsWith('.'))
        rel = `./${rel}`;
    const stem = rel.slice(0, rel.length - ext.length);
    if (['.mts', '.cts', '.mjs', '.cjs'].includes(ext))
        return `${stem}${EMITTED[ext] ?? ext}`;
    return esm ? `${stem}${EMITTED[ext] ?? ext}` : stem;
}
function isEsmPackage(repoDir) {
    try {
        const pkg = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(repoDir, 'package.json'), 'utf8'));
        return pkg.type === 'module';
    }
    catch {
        return false;
    }
}
function findTestFiles(repoDir) {
    const found = [];
    let scanned = 0;
    const walk = (rel) => {
        let entries;
        try {
            entries = (0,external_node_fs_namespaceObject.readdirSync)(external_node_path_default().join(repoDir, rel), { withFileTypes: true });
        }
        catch {
            return;
        }
        for (const entry of entries) {
            if (++scanned > MAX_FILES_SCANNED)
                return;
            const child = rel ? `${rel}/${entry.name}` : entry.name;
            if (entry.isDirectory()) {
                if (!SKIP_DIRS.has(entry.name) && !entry.name.startsWith('.'))
                    walk(child);
            }
            else if (TEST_NAME.test(entry.name)) {
                found.push(child);
            }
        }
    };
    walk('');
    return found.sort();
}

;// CONCATENATED MODULE: ./src/reporting/writeJsonReport.ts
/**
 * The JSON report is what other tooling (and the truncated summaries) point to, so a reader must
 * never see a half-written file: it is written next to its destination and renamed into place,
 * which is atomic on the same filesystem.
 */



/** Writes `report` as pretty JSON to `path`, creating parent directories; resolves to the absolute path. */
async function writeJsonReport(report, path) {
    const target = (0,external_node_path_namespaceObject.resolve)(path);
    const dir = (0,external_node_path_namespaceObject.dirname)(target);
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true });
    // Same directory as the target: a rename across filesystems (e.g. from /tmp) is not atomic.
    const temp = (0,external_node_path_namespaceObject.join)(dir, `.${(0,external_node_path_namespaceObject.basename)(target)}.${process.pid}.${(0,external_node_crypto_namespaceObject.randomBytes)(6).toString('hex')}.tmp`);
    try {
        await (0,promises_namespaceObject.writeFile)(temp, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
        await (0,promises_namespaceObject.rename)(temp, target);
    }
    catch (error) {
        await (0,promises_namespaceObject.rm)(temp, { force: true });
        throw error;
    }
    return target;
}

;// CONCATENATED MODULE: ./src/validation/JestRunner.ts





class TestRunnerNotFoundError extends Error {
    name = 'TestRunnerNotFoundError';
}
const MESSAGE_CAP = 4000;
/**
 * Runs the repository's own jest (its version, its config) with machine-readable results and
 * istanbul coverage limited to the files under test.
 */
class JestRunner {
    jestBin;
    nodeOptions;
    name = 'jest';
    constructor(jestBin, nodeOptions) {
        this.jestBin = jestBin;
        this.nodeOptions = nodeOptions;
    }
    /** Finds jest installed in the repository; the user's workflow must have installed dependencies. */
    static locate(repoDir) {
        const bin = external_node_path_default().join(repoDir, 'node_modules', 'jest', 'bin', 'jest.js');
        if (!(0,external_node_fs_namespaceObject.existsSync)(bin)) {
            throw new TestRunnerNotFoundError(`jest is not installed in ${repoDir} (no node_modules/jest). Install the repository's dependencies before this step (for example \`npm ci\`), or set working-directory to the package that owns the tests.`);
        }
        return new JestRunner((0,external_node_fs_namespaceObject.realpathSync)(bin), nodeOptionsFromTestScript(repoDir));
    }
    async run(request) {
        const resultFile = external_node_path_default().join(request.outputDir, 'jest-result.json');
        const coverageDir = external_node_path_default().join(request.outputDir, 'coverage');
        const args = [
            this.jestBin,
            '--ci',
            '--json',
            `--outputFile=${resultFile}`,
            '--coverage',
            '--coverageReporters=json',
            `--coverageDirectory=${coverageDir}`,
            // The repository's thresholds judge its whole suite; one candidate file would always miss them.
            '--coverageThreshold={}',
            '--passWithNoTests',
            '--forceExit',
            '--no-watchman',
            ...request.coverageFiles.map((f) => `--collectCoverageFrom=${escapeGlob(f)}`)
        ];
        if (request.testFiles) {
            args.push('--runInBand', '--runTestsByPath', ...request.testFiles);
        }
        const result = await runProcess({
            command: process.execPath,
            args,
            cwd: request.rootDir,
            env: testEnvironment(this.nodeOptions),
            timeoutMs: request.timeoutMs,
            maxOutputBytes: 256 * 1024
        });
        const coverage = await CoverageData.readIstanbulJson(external_node_path_default().join(coverageDir, 'coverage-final.json'), request.rootDir);
        const parsed = await readJestJson(resultFile, request.rootDir);
        if (!parsed) {
            const output = `${result.stderr}\n${result.stdout}`.trim();
            return {
                timedOut: result.timedOut,
                runnerError: result.timedOut
                    ? `jest was stopped after ${Math.round(request.timeoutMs / 1000)} s (test-timeout)`
                    : `jest produced no results (exit ${result.exitCode ?? result.signal}): ${tail(output, MESSAGE_CAP)}`,
                suites: [],
                passed: 0,
                failed: 0,
                coverage,
                durationMs: result.durationMs
            };
        }
        return { ...parsed, timedOut: result.timedOut, coverage, durationMs: result.durationMs };
    }
}
async function readJestJson(file, rootDir) {
    let json;
    try {
        json = JSON.parse(await (0,promises_namespaceObject.readFile)(file, 'utf8'));
    }
    catch {
        return undefined;
    }
    const suites = (json.testResults ?? []).map((suite) => {
        const tests = (suite.assertionResults ?? []).map((t) => ({
            name: t.fullName ?? t.title ?? '(unnamed)',
            status: t.status === 'passed' ? 'passed' : t.status === 'failed' ? 'failed' : 'skipped',
            failureMessage: tail(stripAnsi((t.failureMessages ?? []).join('\n')), MESSAGE_CAP)
        }));
        const failedToRun = suite.status === 'failed' && tests.length === 0;
        return {
            file: external_node_path_default().relative(rootDir, suite.name).split((external_node_path_default()).sep).join('/'),
            status: failedToRun ? 'error' : suite.status === 'passed' ? 'passed' : 'failed',
            message: tail(stripAnsi(suite.testExecError?.message ?? suite.message ?? ''), MESSAGE_CAP),
            tests
        };
    });
    const count = (status) => suites.reduce((n, s) => n + s.tests.filter((t) => t.status === status).length, 0);
    return { suites, passed: count('passed'), failed: count('failed') };
}
/** Repositories whose test script enables ESM jest need the same flag when we call jest directly. */
function nodeOptionsFromTestScript(repoDir) {
    try {
        const pkg = JSON.parse((0,external_node_fs_namespaceObject.readFileSync)(external_node_path_default().join(repoDir, 'package.json'), 'utf8'));
        const script = pkg.scripts?.test ?? '';
        return script.includes('--experimental-vm-modules') ? '--experimental-vm-modules' : '';
    }
    catch {
        return '';
    }
}
function testEnvironment(nodeOptions) {
    const env = { ...process.env, CI: 'true', FORCE_COLOR: '0', NO_COLOR: '1' };
    // Our own runtime's settings (including those of a jest that may be running us) must not leak in.
    for (const key of Object.keys(env)) {
        if (key.startsWith('JEST_') || key.startsWith('INPUT_'))
            delete env[key];
    }
    delete env.NODE_OPTIONS;
    delete env.NODE_ENV;
    if (nodeOptions)
        env.NODE_OPTIONS = nodeOptions;
    return env;
}
function escapeGlob(file) {
    return file.replace(/[*?[\]{}()!+@]/g, (c) => `\\${c}`);
}
function stripAnsi(text) {
    // eslint-disable-next-line no-control-regex
    return text.replace(/\u001b\[[0-9;]*m/g, '');
}
function tail(text, max) {
    return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

;// CONCATENATED MODULE: ./src/validation/judgeCandidate.ts
/**
 * Decides from one run of a candidate test file whether it is kept. `known` is the coverage
 * the repository's suite (plus tests accepted earlier in this run) already reaches: a keeper
 * must pass, contain tests, and execute lines or branches of its target nothing else does.
 */
function judgeCandidate(run, testFile, targetFile, known, timeoutMs) {
    if (run.timedOut) {
        return { accepted: false, stage: 'timeout', reason: `did not finish within ${Math.round(timeoutMs / 1000)} s (test-timeout); a test may wait forever or leave a handle open` };
    }
    if (run.runnerError)
        return { accepted: false, stage: 'compile', reason: firstLines(run.runnerError) };
    const suite = run.suites.find((s) => s.file === testFile);
    if (!suite)
        return { accepted: false, stage: 'compile', reason: 'the test runner did not pick the file up (check testMatch/roots in the jest config)' };
    if (suite.status === 'error')
        return { accepted: false, stage: 'compile', reason: firstLines(suite.message) || 'the file could not be compiled or loaded' };
    const failed = suite.tests.filter((t) => t.status === 'failed');
    if (failed.length > 0) {
        const names = failed.slice(0, 3).map((t) => `"${t.name}": ${firstLines(t.failureMessage, 1)}`);
        return { accepted: false, stage: 'fails', reason: `${failed.length} of ${suite.tests.length} tests failed: ${names.join('; ')}${failed.length > 3 ? '; …' : ''}` };
    }
    const passed = suite.tests.filter((t) => t.status === 'passed').length;
    if (passed === 0)
        return { accepted: false, stage: 'no-tests', reason: 'the file declares no test that runs' };
    const before = known.counts(targetFile);
    const after = known.merge(run.coverage).counts(targetFile);
    if (!after)
        return { accepted: false, stage: 'no-coverage-gain', reason: `${targetFile} was never loaded by the test` };
    const gainedLines = after.coveredLines - (before?.coveredLines ?? 0);
    const gainedBranches = after.coveredBranches - (before?.coveredBranches ?? 0);
    if (gainedLines <= 0 && gainedBranches <= 0) {
        return { accepted: false, stage: 'no-coverage-gain', reason: `covers no line or branch of ${targetFile} that the existing tests do not already cover` };
    }
    return { accepted: true };
}
function firstLines(text, count = 6) {
    return text
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l.trim() !== '')
        .slice(0, count)
        .join(' ⏎ ')
        .slice(0, 600);
}

;// CONCATENATED MODULE: ./src/validation/ScratchCopy.ts




const ScratchCopy_SKIP_DIRS = new Set(['node_modules', '.git']);
/**
 * A throwaway copy of the repository where generated code runs. The user's working tree is only
 * read; dependencies are linked, not copied (node_modules can be gigabytes).
 */
class ScratchCopy {
    dir;
    sourceDir;
    constructor(dir, sourceDir) {
        this.dir = dir;
        this.sourceDir = sourceDir;
    }
    static async create(repoDir, tempRoot) {
        await (0,promises_namespaceObject.mkdir)(tempRoot, { recursive: true });
        const dir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(tempRoot, 'aqe-scratch-'));
        const files = (await isGitRepo(repoDir)) ? await gitFiles(repoDir) : walkFiles(repoDir);
        for (const file of files) {
            if (file.split('/').includes('node_modules'))
                continue; // linked below, never copied
            const from = external_node_path_default().join(repoDir, file);
            const info = await (0,promises_namespaceObject.lstat)(from).catch(() => undefined); // undefined: deleted but still in the index
            if (!info)
                continue;
            const to = external_node_path_default().join(dir, file);
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(to), { recursive: true });
            if (info.isSymbolicLink())
                await (0,promises_namespaceObject.symlink)(await (0,promises_namespaceObject.readlink)(from), to);
            else if (info.isFile())
                await (0,promises_namespaceObject.copyFile)(from, to);
        }
        for (const modulesDir of findNodeModules(repoDir)) {
            const link = external_node_path_default().join(dir, modulesDir);
            await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(link), { recursive: true });
            if (!(0,external_node_fs_namespaceObject.existsSync)(link))
                await (0,promises_namespaceObject.symlink)(external_node_path_default().join(repoDir, modulesDir), link, 'dir');
        }
        return new ScratchCopy(dir, repoDir);
    }
    /** Writes a repo-relative file in the copy (candidates only ever land here first). */
    async write(relPath, content) {
        const target = this.resolve(relPath);
        await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(target), { recursive: true });
        await (0,promises_namespaceObject.writeFile)(target, content);
    }
    async remove(relPath) {
        await (0,promises_namespaceObject.unlink)(this.resolve(relPath)).catch(() => undefined);
    }
    async dispose() {
        await (0,promises_namespaceObject.rm)(this.dir, { recursive: true, force: true });
    }
    resolve(relPath) {
        const target = external_node_path_default().resolve(this.dir, relPath);
        if (!target.startsWith(this.dir + (external_node_path_default()).sep))
            throw new Error(`Refusing to write outside the scratch copy: ${relPath}`);
        return target;
    }
    toString() {
        return `scratch copy of ${this.sourceDir} at ${this.dir}`;
    }
}
/** Tracked and untracked-but-not-ignored files: what the user's tests can see, nothing built. */
async function gitFiles(repoDir) {
    const out = await git(repoDir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']);
    return [...new Set(out.split('\0').filter((f) => f !== ''))];
}
function walkFiles(root, rel = '') {
    const files = [];
    for (const entry of (0,external_node_fs_namespaceObject.readdirSync)(external_node_path_default().join(root, rel), { withFileTypes: true })) {
        const child = rel ? external_node_path_default().join(rel, entry.name) : entry.name;
        if (entry.isDirectory()) {
            if (!ScratchCopy_SKIP_DIRS.has(entry.name))
                files.push(...walkFiles(root, child));
        }
        else if (entry.isFile()) {
            files.push(child);
        }
    }
    return files;
}
/** node_modules folders of the root and of workspace packages (not nested inside another). */
function findNodeModules(root, rel = '', depth = 0) {
    const found = [];
    let entries;
    try {
        entries = (0,external_node_fs_namespaceObject.readdirSync)(external_node_path_default().join(root, rel), { withFileTypes: true });
    }
    catch {
        return found;
    }
    for (const entry of entries) {
        if (!entry.isDirectory() && !entry.isSymbolicLink())
            continue;
        const child = rel ? external_node_path_default().join(rel, entry.name) : entry.name;
        if (entry.name === 'node_modules')
            found.push(child);
        else if (entry.isDirectory() && depth < 3 && entry.name !== '.git' && !entry.name.startsWith('.'))
            found.push(...findNodeModules(root, child, depth + 1));
    }
    return found;
}

;// CONCATENATED MODULE: ./src/pipeline/runPipeline.ts











/** The baseline suite is a whole-repository run, so it gets a longer limit than one candidate. */
const BASELINE_TIMEOUT_FACTOR = 5;
const PROGRESS_INTERVAL_MS = 10_000;
/**
 * One run from a pull request to a report: pick targets, measure the baseline, generate a test
 * per target, prove each one in a scratch copy, write back only the proven ones, and record why
 * every other one was turned away.
 */
async function runPipeline(ctx) {
    const { options, logger } = ctx;
    const started = Date.now();
    const warnings = [];
    const warn = (message) => {
        warnings.push(message);
        logger.warn(message);
    };
    const changed = await ctx.host.listChangedFiles();
    const { targets, skipped } = selectTargets(options.repoDir, changed);
    logger.info(`${changed.length} changed file(s); ${targets.length} to generate tests for${targets.length ? `: ${targets.join(', ')}` : ''}.`);
    for (const s of skipped)
        logger.info(`  skipped ${s.file}: ${s.reason}`);
    const report = {
        schemaVersion: 1,
        tool: { name: 'aqe/local-inference', version: ctx.toolVersion },
        startedAt: new Date(started).toISOString(),
        durationMs: 0,
        repository: ctx.repository,
        pullRequest: ctx.pullRequest
            ? { number: ctx.pullRequest.number, title: ctx.pullRequest.title, baseSha: ctx.pullRequest.baseSha, headSha: ctx.pullRequest.headSha, url: ctx.pullRequest.url }
            : null,
        changedFiles: changed.map((c) => c.filename),
        targets,
        skipped,
        baseline: { testsPassed: 0, testsFailed: 0, suiteFailed: false, durationMs: 0 },
        coverageBefore: emptyFigures(),
        coverageAfter: emptyFigures(),
        candidates: [],
        testsGenerated: 0,
        testsAccepted: 0,
        inference: emptyInference(),
        warnings
    };
    if (targets.length === 0) {
        logger.info('Nothing to generate: no changed JavaScript/TypeScript source files with code of their own.');
        return finish(report, started, options.reportPath);
    }
    const runner = JestRunner.locate(options.repoDir);
    await (0,promises_namespaceObject.mkdir)(ctx.tempDir, { recursive: true });
    const workRoot = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(ctx.tempDir, 'aqe-run-'));
    const scratch = await ScratchCopy.create(options.repoDir, workRoot);
    let provider;
    try {
        const baseline = await logger.group('Baseline: the repository suite with coverage', () => runTests(runner, scratch, workRoot, 'baseline', { coverageFiles: targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR }));
        report.baseline = { testsPassed: baseline.passed, testsFailed: baseline.failed, suiteFailed: baseline.failed > 0 || !!baseline.runnerError, durationMs: baseline.durationMs };
        if (baseline.runnerError)
            warn(`The baseline run of the existing suite failed: ${baseline.runnerError}. Coverage before is measured from what ran.`);
        else if (baseline.failed > 0)
            warn(`${baseline.failed} existing test(s) fail before any generated test is added; they are left as they are.`);
        logger.info(`Baseline: ${baseline.passed} passed, ${baseline.failed} failed.`);
        const loaded = await logger.group('Loading the model', ctx.loadProvider);
        provider = loaded.provider;
        const info = provider.info();
        logger.info(`Model ${info.model} on ${info.hardware}; ${info.parallelSequences} parallel sequence(s) of ${info.contextSize} tokens; loaded in ${info.modelLoadMs} ms.`);
        if (loaded.demoNotice)
            logger.warn(loaded.demoNotice);
        const layout = detectTestLayout(options.repoDir);
        const taken = new Set();
        const candidates = targets.map((target) => {
            const placement = placeTest(options.repoDir, layout, target, taken);
            taken.add(placement.testFile);
            return { target, placement };
        });
        const generationStarted = Date.now();
        await logger.group(`Generating ${candidates.length} test file(s)`, () => Promise.all(candidates.map((c, i) => generate(c, i, candidates.length, provider, options, baseline.coverage, layout.existingTests, logger))));
        const generationMs = Date.now() - generationStarted;
        let before = baseline.coverage;
        let known = baseline.coverage;
        const records = [];
        await logger.group('Validating candidates in a scratch copy', async () => {
            for (const c of candidates) {
                const { record, coverage } = await validate(c, runner, scratch, workRoot, options, known, info.model);
                before = before.withUnloadedFiles(coverage);
                known = known.withUnloadedFiles(coverage);
                if (record.status === 'accepted')
                    known = known.merge(coverage);
                logger.info(`  ${record.status} ${c.placement.testFile}${record.rejection ? ` (${record.rejection.stage}: ${record.rejection.reason})` : ''}`);
                records.push(record);
            }
        });
        let after = known;
        if (records.some((r) => r.status === 'accepted')) {
            after = await logger.group('Final run: the suite with the accepted tests', () => confirmTogether(records, runner, scratch, workRoot, options, targets, warn));
        }
        report.coverageBefore = before.lineFigures(targets);
        report.coverageAfter = after.withUnloadedFiles(before).lineFigures(targets);
        report.candidates = records;
        // A target the model produced no test file for is a candidate (with its reason), not a generated test.
        report.testsGenerated = records.filter((r) => r.rejection?.stage !== 'generation').length;
        report.testsAccepted = records.filter((r) => r.status === 'accepted').length;
        report.inference = inferenceFigures(candidates, info, generationMs, loaded.demoNotice);
        await deliver(records, scratch, options.repoDir, warn);
    }
    finally {
        await provider?.dispose().catch((e) => logger.warn(`Releasing the model failed: ${e.message}`));
        await (0,promises_namespaceObject.rm)(workRoot, { recursive: true, force: true }).catch(() => undefined);
    }
    logger.info(`Accepted ${report.testsAccepted} of ${report.testsGenerated} generated test file(s); changed-file line coverage ${fmtPct(report.coverageBefore)} → ${fmtPct(report.coverageAfter)}.`);
    return finish(report, started, options.reportPath);
}
async function generate(c, index, total, provider, options, baseline, existingTests, logger) {
    const source = await (0,promises_namespaceObject.readFile)(external_node_path_default().join(options.repoDir, c.target), 'utf8');
    const exampleFile = c.placement.siblingTest ?? existingTests[0];
    const example = exampleFile ? { file: exampleFile, content: await (0,promises_namespaceObject.readFile)(external_node_path_default().join(options.repoDir, exampleFile), 'utf8').catch(() => '') } : undefined;
    // ~3 characters per token is a safe floor for code; the answer's tokens are reserved.
    const maxChars = Math.max(1000, (provider.info().contextSize - options.maxTokens) * 3);
    const prompt = buildPrompt({ framework: 'jest', sourceFile: c.target, source, placement: c.placement, example, uncoveredLines: baseline.uncoveredLines(c.target), maxChars });
    let tokens = 0;
    let lastLog = Date.now();
    const label = `[${index + 1}/${total}] ${c.target}`;
    try {
        c.generation = await provider.chat({
            system: prompt.system,
            user: prompt.user,
            maxTokens: options.maxTokens,
            temperature: 0,
            target: c.target,
            onText: () => {
                tokens++;
                if (Date.now() - lastLog >= PROGRESS_INTERVAL_MS) {
                    lastLog = Date.now();
                    logger.info(`  ${label}: ~${tokens} tokens so far…`);
                }
            }
        });
        const g = c.generation;
        logger.info(`  ${label}: ${g.usage.completionTokens} tokens in ${(g.timings.generationMs / 1000).toFixed(1)} s (${g.timings.tokensPerSecond.toFixed(1)} tokens/s)${g.finishReason === 'length' ? ', cut at max-tokens' : ''}`);
        c.code = extractCode(g.text);
    }
    catch (error) {
        c.error = error.message;
        logger.warn(`${label}: generation failed: ${c.error}`);
    }
}
async function validate(c, runner, scratch, workRoot, options, known, model) {
    const started = Date.now();
    const record = {
        targetFile: c.target,
        testFile: c.placement.testFile,
        status: 'rejected',
        testsPassed: 0,
        testsFailed: 0,
        coverageBefore: known.lineFigures([c.target]),
        coverageAfter: known.lineFigures([c.target]),
        promptTokens: c.generation?.usage.promptTokens ?? 0,
        completionTokens: c.generation?.usage.completionTokens ?? 0,
        generationMs: c.generation?.timings.generationMs ?? 0,
        validationMs: 0,
        provider: c.generation?.provider ?? 'local',
        model
    };
    const done = (coverage) => {
        record.validationMs = Date.now() - started;
        return { record, coverage };
    };
    if (c.code === undefined) {
        record.rejection = {
            stage: 'generation',
            reason: c.error ? `the model failed: ${c.error}` : `the answer held no test code${c.generation?.finishReason === 'length' ? ' (it was cut at max-tokens; raise max-tokens)' : ''}`
        };
        return done(CoverageData.empty());
    }
    await scratch.write(c.placement.testFile, c.code);
    const run = await runTests(runner, scratch, workRoot, `candidate-${slug(c.target)}`, {
        testFiles: [c.placement.testFile],
        coverageFiles: [c.target],
        timeoutMs: options.testTimeoutMs
    });
    const suite = run.suites.find((s) => s.file === c.placement.testFile);
    record.testsPassed = suite?.tests.filter((t) => t.status === 'passed').length ?? 0;
    record.testsFailed = suite?.tests.filter((t) => t.status === 'failed').length ?? 0;
    const knownShaped = known.withUnloadedFiles(run.coverage);
    record.coverageBefore = record.coverageAfter = knownShaped.lineFigures([c.target]);
    const verdict = judgeCandidate(run, c.placement.testFile, c.target, knownShaped, options.testTimeoutMs);
    if (verdict.accepted) {
        record.status = 'accepted';
        record.coverageAfter = knownShaped.merge(run.coverage).lineFigures([c.target]);
    }
    else {
        record.rejection = { stage: verdict.stage, reason: verdict.reason };
        await scratch.remove(c.placement.testFile);
    }
    return done(run.coverage);
}
/**
 * Accepted files passed alone; they must also pass next to the existing suite (shared state,
 * module mocks, ports). Any that fail there are rejected and the suite is measured again.
 */
async function confirmTogether(records, runner, scratch, workRoot, options, targets, warn) {
    for (let attempt = 1;; attempt++) {
        const run = await runTests(runner, scratch, workRoot, `final-${attempt}`, { coverageFiles: targets, timeoutMs: options.testTimeoutMs * BASELINE_TIMEOUT_FACTOR });
        const conflicts = records.filter((r) => r.status === 'accepted' && run.suites.find((s) => s.file === r.testFile)?.status !== 'passed');
        if (conflicts.length === 0 || attempt >= 3) {
            if (conflicts.length > 0)
                warn(`Accepted tests still fail alongside the suite after ${attempt} runs: ${conflicts.map((c) => c.testFile).join(', ')}.`);
            if (run.runnerError)
                warn(`The final suite run failed: ${run.runnerError}`);
            return run.coverage;
        }
        for (const r of conflicts) {
            r.status = 'rejected';
            r.rejection = { stage: 'suite-conflict', reason: 'passes alone but fails when run with the repository suite' };
            await scratch.remove(r.testFile);
        }
    }
}
/** Writes accepted tests into the working tree; an existing file is never replaced. */
async function deliver(records, scratch, repoDir, warn) {
    for (const r of records.filter((x) => x.status === 'accepted')) {
        const content = await (0,promises_namespaceObject.readFile)(external_node_path_default().join(scratch.dir, r.testFile));
        const target = external_node_path_default().join(repoDir, r.testFile);
        await (0,promises_namespaceObject.mkdir)(external_node_path_default().dirname(target), { recursive: true });
        try {
            const handle = await (0,promises_namespaceObject.open)(target, 'wx');
            await handle.writeFile(content);
            await handle.close();
        }
        catch (error) {
            if (error.code !== 'EEXIST')
                throw error;
            warn(`${r.testFile} appeared in the working tree during the run; the generated test was not written over it.`);
        }
    }
}
async function runTests(runner, scratch, workRoot, name, request) {
    const outputDir = external_node_path_default().join(workRoot, 'runs', name);
    await (0,promises_namespaceObject.mkdir)(outputDir, { recursive: true });
    return runner.run({ rootDir: scratch.dir, outputDir, ...request });
}
function inferenceFigures(candidates, info, generationMs, demoNotice) {
    const promptTokens = candidates.reduce((n, c) => n + (c.generation?.usage.promptTokens ?? 0), 0);
    const completionTokens = candidates.reduce((n, c) => n + (c.generation?.usage.completionTokens ?? 0), 0);
    return {
        provider: info.provider,
        model: info.model,
        hardware: info.hardware,
        backend: info.backend,
        threads: info.threads,
        parallelSequences: info.parallelSequences,
        contextSize: info.contextSize,
        modelLoadMs: info.modelLoadMs,
        promptTokens,
        completionTokens,
        tokensPerSecond: generationMs > 0 ? Math.round(((completionTokens * 1000) / generationMs) * 10) / 10 : 0,
        costUsd: 0,
        ...(demoNotice ? { demoModelNotice: demoNotice } : {})
    };
}
async function finish(report, started, reportPath) {
    report.durationMs = Date.now() - started;
    await writeJsonReport(report, reportPath);
    return report;
}
function emptyFigures() {
    return { linesPct: null, coveredLines: 0, totalLines: 0 };
}
function emptyInference() {
    return { provider: 'none', model: 'none', hardware: 'n/a', backend: 'n/a', threads: 0, parallelSequences: 0, contextSize: 0, modelLoadMs: 0, promptTokens: 0, completionTokens: 0, tokensPerSecond: 0, costUsd: 0 };
}
function fmtPct(f) {
    return f.linesPct === null ? 'n/a' : `${f.linesPct}%`;
}
function slug(file) {
    return file.replace(/[^\w.-]+/g, '_');
}

;// CONCATENATED MODULE: ./src/repo/GitPullRequestHost.ts

/** Changed files from the local history: the CLI's source, and the action's fallback. */
class GitPullRequestHost {
    repoDir;
    base;
    head;
    constructor(repoDir, base, head) {
        this.repoDir = repoDir;
        this.base = base;
        this.head = head;
    }
    listChangedFiles() {
        return changedFilesFromGit(this.repoDir, this.base, this.head);
    }
}

;// CONCATENATED MODULE: ./src/reporting/fitToLimit.ts
/**
 * GitHub caps what a report may weigh (65,536 characters per comment, 1 MiB per job summary).
 * Rather than cutting the markdown blindly, a renderer is asked for progressively less
 * per-file detail until its output fits; only if even the leanest rendering is too big is
 * the text cut, by the caller, as a last resort.
 */
/**
 * The order in which detail is given up: first the length of reasons (cheap to lose), then
 * half the rows at a time, then the per-file sections themselves.
 */
function fitToLimit_detailLadder(itemCount, reasonCaps) {
    if (reasonCaps.length === 0)
        throw new Error('detailLadder needs at least one reason cap');
    const levels = reasonCaps.map((cap) => ({
        maxItems: Infinity,
        maxReasonChars: cap,
        perFileSections: true
    }));
    const shortest = reasonCaps[reasonCaps.length - 1];
    for (let rows = Math.floor(itemCount / 2); rows >= 1; rows = Math.floor(rows / 2)) {
        levels.push({ maxItems: rows, maxReasonChars: shortest, perFileSections: true });
    }
    levels.push({ maxItems: 0, maxReasonChars: shortest, perFileSections: false });
    return levels.map((level, index) => ({ ...level, index }));
}
/**
 * Renders at each level in turn and returns the first that fits. When none does, returns the
 * leanest rendering with `fits: false` so the caller can apply its own hard cut (it knows
 * what must survive, e.g. the sticky-comment marker).
 */
function fitToLimit_renderToFit(levels, render, fits) {
    let last;
    for (const level of levels) {
        const text = render(level);
        if (fits(text))
            return { text, level, fits: true };
        last = { text, level, fits: false };
    }
    if (!last)
        throw new Error('renderToFit needs at least one level');
    return last;
}

;// CONCATENATED MODULE: ./src/reporting/formatNumbers.ts
/**
 * Number formatting for the human-facing reports. Kept apart from the renderers so the
 * JSON report can stay raw (ms, percent as numbers) while every markdown view agrees
 * on one spelling of the same figure.
 */
const NOT_AVAILABLE = 'n/a';
/** Milliseconds as the largest unit a reader can take in at a glance: "850 ms", "1.2 s", "3 min 5 s", "1 h 2 min". */
function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0)
        return NOT_AVAILABLE;
    if (ms < 1000)
        return `${Math.round(ms)} ms`;
    // Round before choosing the unit, so 59,960 ms reads "1 min 0 s" rather than "60.0 s".
    const tenths = Math.round(ms / 100);
    if (tenths < 600)
        return `${(tenths / 10).toFixed(1)} s`;
    const totalSeconds = Math.round(ms / 1000);
    if (totalSeconds < 3600)
        return `${Math.floor(totalSeconds / 60)} min ${totalSeconds % 60} s`;
    const totalMinutes = Math.round(totalSeconds / 60);
    return `${Math.floor(totalMinutes / 60)} h ${totalMinutes % 60} min`;
}
/** A percentage with two decimals; null means "nothing was measured", which is not the same as 0%. */
function formatPercent(pct) {
    if (pct === null || !Number.isFinite(pct))
        return NOT_AVAILABLE;
    return `${pct.toFixed(2)}%`;
}
/** Signed percentage-point change ("+12.50 pp", "-3.00 pp"); n/a when either side was not measured. */
function formatDeltaPp(before, after) {
    if (before === null || after === null || !Number.isFinite(before) || !Number.isFinite(after)) {
        return NOT_AVAILABLE;
    }
    // Round first: float subtraction (57.5 - 45.00000001) must not print "-0.00" or "+12.49".
    const delta = Math.round((after - before) * 100) / 100;
    const normalized = delta === 0 ? 0 : delta; // folds -0 into 0 so it gets a "+"
    return `${normalized >= 0 ? '+' : ''}${normalized.toFixed(2)} pp`;
}
/** "45.00% → 57.50% (+12.50 pp)"; the delta is left out when it cannot be computed. */
function formatCoverageChange(before, after) {
    const change = `${formatPercent(before.linesPct)} → ${formatPercent(after.linesPct)}`;
    const delta = formatDeltaPp(before.linesPct, after.linesPct);
    return delta === NOT_AVAILABLE ? change : `${change} (${delta})`;
}
/** Integers with thousands separators; fixed locale so CI output does not depend on the runner's. */
function formatNumbers_formatCount(n) {
    if (!Number.isFinite(n))
        return NOT_AVAILABLE;
    return Math.round(n).toLocaleString('en-US');
}
function formatNumbers_formatTokensPerSecond(tokensPerSecond) {
    if (!Number.isFinite(tokensPerSecond) || tokensPerSecond < 0)
        return NOT_AVAILABLE;
    return tokensPerSecond.toFixed(1);
}
/** Local inference is free; saying so explicitly is the point of the figure. */
function formatCostUsd(usd) {
    if (!Number.isFinite(usd) || usd < 0)
        return NOT_AVAILABLE;
    if (usd === 0)
        return '$0.00 (local)';
    // Sub-cent spend would round to "$0.00" and read as free.
    return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}
function shortSha(sha) {
    return sha.slice(0, 7);
}

;// CONCATENATED MODULE: ./src/reporting/markdownText.ts
/**
 * Turning untrusted text (model output, compiler errors, file names, PR titles) into
 * GitHub-flavoured markdown that cannot break the surrounding layout.
 */
/**
 * ASCII punctuation that changes meaning in GFM inline text or table rows. A backslash escape
 * works for every ASCII punctuation character in CommonMark, including inside table cells,
 * so one escaping serves tables, lists and quotes alike.
 * `<` and `&` are here because GitHub renders inline HTML and entities; a compiler message
 * such as "expected <details>" must not open a real tag.
 */
const MARKDOWN_SPECIAL = /[\\`*_[\]<>|~&]/g;
const LINE_BREAK = /\r\n|\r|\n/g;
/** Free text for a table cell, list item or quote: markup neutralised, line breaks kept as <br>. */
function escapeText(text) {
    // A raw newline would end the table row or list item; <br> keeps the break visible.
    return text.replace(MARKDOWN_SPECIAL, (ch) => `\\${ch}`).replace(LINE_BREAK, '<br>');
}
/**
 * An inline code span, for paths and identifiers. Backslash escapes do not work inside code
 * spans, so the fence is made longer than any backtick run in the content instead.
 * Inside a table GFM still splits cells on `|` within code spans unless it is written `\|`
 * (and then shows a plain `|`); outside a table `\|` would show the backslash.
 */
function codeSpan(text, where = 'text') {
    let content = text.replace(LINE_BREAK, ' ');
    if (where === 'table')
        content = content.replace(/\|/g, '\\|');
    const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
    const fence = '`'.repeat(longestRun + 1);
    // A span that starts or ends with a backtick needs padding, which CommonMark strips again.
    const padded = content.startsWith('`') || content.endsWith('`') ? ` ${content} ` : content;
    return `${fence}${padded}${fence}`;
}
/** Cuts text to at most `max` UTF-16 units, marking the cut; never splits a surrogate pair. */
function truncateText(text, max) {
    if (text.length <= max)
        return text;
    if (max <= 1)
        return '…'.slice(0, Math.max(0, max));
    return `${markdownText_sliceWhole(text, max - 1)}…`;
}
/** `text.slice(0, end)` that steps back instead of leaving half a surrogate pair behind. */
function markdownText_sliceWhole(text, end) {
    if (end <= 0)
        return '';
    if (end >= text.length)
        return text;
    const last = text.charCodeAt(end - 1);
    const isHighSurrogate = last >= 0xd800 && last <= 0xdbff;
    return text.slice(0, isHighSurrogate ? end - 1 : end);
}
/** Largest prefix of `text` whose UTF-8 encoding fits in `maxBytes`. */
function sliceToUtf8Bytes(text, maxBytes) {
    if (Buffer.byteLength(text, 'utf8') <= maxBytes)
        return text;
    // Every UTF-16 unit costs at least one byte, so maxBytes units is an upper bound; binary search below it.
    let low = 0;
    let high = Math.min(text.length, maxBytes);
    while (low < high) {
        const mid = Math.ceil((low + high) / 2);
        if (Buffer.byteLength(markdownText_sliceWhole(text, mid), 'utf8') <= maxBytes)
            low = mid;
        else
            high = mid - 1;
    }
    return markdownText_sliceWhole(text, low);
}
/** A GFM table from cells that are already escaped markdown. */
function markdownTable(headers, rows, align = []) {
    const rule = headers.map((_, i) => {
        switch (align[i]) {
            case 'right':
                return '---:';
            case 'center':
                return ':---:';
            default:
                return '---';
        }
    });
    const line = (cells) => `| ${cells.join(' | ')} |`;
    return [line(headers), line(rule), ...rows.map(line)].join('\n');
}
/** A collapsible block; the blank line after <summary> is what makes GitHub render the body as markdown. */
function markdownText_detailsBlock(summary, body) {
    return `<details>\n<summary>${summary}</summary>\n\n${body}\n\n</details>`;
}
/** A GitHub alert ("> [!WARNING]"); older renderers still show it as a plain quote. */
function alertBlock(kind, markdown) {
    const quoted = markdown
        .split('\n')
        .map((line) => (line === '' ? '>' : `> ${line}`))
        .join('\n');
    return `> [!${kind}]\n${quoted}`;
}
/**
 * Text inside raw HTML (such as a <summary> line) is not markdown: backslash escapes would show,
 * so it gets HTML entities instead.
 */
function markdownText_escapeHtml(text) {
    return text
        .replace(/&/g, '&amp;')
        .replace(/</g, '&lt;')
        .replace(/>/g, '&gt;')
        .replace(/"/g, '&quot;')
        .replace(LINE_BREAK, ' ');
}

;// CONCATENATED MODULE: ./src/reporting/renderMarkdown.ts
/**
 * The two human views of a RunReport: the job summary (everything, up to 1 MiB) and the sticky
 * PR comment (the gist, up to 65,536 characters). Both are pure functions of the report so the
 * CLI, the action and the tests render identically.
 */



/** Hidden first line of our PR comment; how a later run finds the comment to update instead of adding another. */
const STICKY_COMMENT_MARKER = '<!-- aqe/local-inference:report -->';
/** GitHub rejects issue-comment bodies longer than this (HTTP 422). */
const MAX_COMMENT_CHARS = 65_536;
/** GitHub's per-step job-summary limit; a larger summary is not shown at all. */
const MAX_SUMMARY_BYTES = 1_048_576;
/**
 * The summary is rendered to stay this far below MAX_SUMMARY_BYTES, because whoever writes it
 * out may add a line ending or a short line of its own and must not tip it over the limit.
 */
const SUMMARY_HEADROOM_BYTES = 4_096;
// Reasons can be whole compiler logs. The summary can afford far more of them than the comment.
const SUMMARY_REASON_CAPS = [2_000, 500, 200];
const COMMENT_REASON_CAPS = (/* unused pure expression or super */ null && ([300, 120, 60]));
/** Warnings are not per-file detail, so a few survive even the leanest rendering. */
const MIN_WARNINGS_SHOWN = 10;
const MAX_TITLE_CHARS = 200;
const MAX_NOTICE_CHARS = 2_000;
const STAGE_ORDER = [
    'generation',
    'compile',
    'fails',
    'no-tests',
    'no-coverage-gain',
    'duplicate',
    'timeout',
    'suite-conflict'
];
function renderSummary(report, options = {}) {
    const budget = MAX_SUMMARY_BYTES - SUMMARY_HEADROOM_BYTES;
    const fitsBudget = (text) => Buffer.byteLength(text, 'utf8') <= budget;
    const levels = fitToLimit_detailLadder(itemCount(report), SUMMARY_REASON_CAPS);
    const result = fitToLimit_renderToFit(levels, (level) => summaryAt(report, level, options), fitsBudget);
    if (result.fits)
        return result.text;
    const note = `\n\n---\n${truncationNote('summary', options)}\n`;
    return closeOpenDetails(sliceToUtf8Bytes(result.text, budget - Buffer.byteLength(note, 'utf8') - 64)) + note;
}
function renderComment(report, options = {}) {
    const fitsLimit = (text) => text.length <= MAX_COMMENT_CHARS;
    const levels = detailLadder(itemCount(report), COMMENT_REASON_CAPS);
    const result = renderToFit(levels, (level) => commentAt(report, level, options), fitsLimit);
    if (result.fits)
        return result.text;
    // Last resort: cut the text, but keep the marker, or the next run would post a second comment.
    const head = `${STICKY_COMMENT_MARKER}\n`;
    const body = result.text.startsWith(head) ? result.text.slice(head.length) : result.text;
    const note = `\n\n---\n${truncationNote('comment', options)}`;
    const room = MAX_COMMENT_CHARS - head.length - note.length - 64;
    return head + closeOpenDetails(sliceWhole(body, room)) + note;
}
// ---------------------------------------------------------------------------------------------
// Job summary
function summaryAt(report, level, options) {
    const parts = ['## 🧪 Generated unit tests'];
    if (level.index > 0)
        parts.push(alertBlock('NOTE', truncationNote('summary', options)));
    if (report.inference.demoModelNotice)
        parts.push(demoNotice(report.inference.demoModelNotice));
    parts.push(headline(report), contextLines(report).join('  \n'));
    if (report.warnings.length > 0) {
        parts.push(`### ⚠️ Warnings (${formatNumbers_formatCount(report.warnings.length)})`, warningList(report, level, options));
    }
    const rejected = rejectedCandidates(report);
    if (level.perFileSections) {
        parts.push(`### Files (${formatNumbers_formatCount(report.candidates.length)})`);
        parts.push(report.candidates.length > 0 ? filesTable(report, level, 'summary', options) : '_No test candidates were generated._');
        if (rejected.length > 0) {
            parts.push(`### ❌ Rejected candidates (${formatNumbers_formatCount(rejected.length)})`);
            parts.push(`By stage: ${escapeText(stageCounts(rejected))}`);
            parts.push(rejectionList(rejected, level, options));
        }
        if (report.skipped.length > 0) {
            parts.push(`### Skipped files (${formatNumbers_formatCount(report.skipped.length)})`, skippedList(report, level, options));
        }
    }
    else {
        parts.push(`### Files (${formatNumbers_formatCount(report.candidates.length)})`);
        const byStage = rejected.length > 0 ? ` Rejections by stage: ${escapeText(stageCounts(rejected))}.` : '';
        parts.push(`_Per-file detail left out for size.${byStage} See ${jsonReportRef(options)}._`);
    }
    parts.push('### ⚙️ Inference', inferenceTable(report.inference));
    parts.push(footer(report));
    return `${parts.join('\n\n')}\n`;
}
// ---------------------------------------------------------------------------------------------
// PR comment
function commentAt(report, level, options) {
    const parts = [STICKY_COMMENT_MARKER + '\n### 🧪 Generated unit tests'];
    if (report.inference.demoModelNotice)
        parts.push(demoNotice(report.inference.demoModelNotice));
    parts.push(headline(report), contextLines(report).join('  \n'));
    if (level.index > 0)
        parts.push(`_${truncationNote('comment', options)}_`);
    if (report.warnings.length > 0)
        parts.push(warningList(report, level, options));
    const rejected = rejectedCandidates(report);
    if (level.perFileSections && report.candidates.length > 0) {
        parts.push(filesTable(report, level, 'comment', options));
    }
    if (rejected.length > 0) {
        const summary = `❌ Rejected candidates (${formatCount(rejected.length)}): ${escapeHtml(stageCounts(rejected))}`;
        const body = level.perFileSections
            ? rejectionList(rejected, level, options)
            : `_Per-file detail left out for size; see the job summary or ${jsonReportRef(options)}._`;
        parts.push(detailsBlock(summary, body));
    }
    if (report.skipped.length > 0 && level.perFileSections) {
        parts.push(detailsBlock(`Skipped files (${formatCount(report.skipped.length)})`, skippedList(report, level, options)));
    }
    const inf = report.inference;
    const inferenceSummary = `⚙️ Inference: ${escapeHtml(inf.model)} on ${escapeHtml(inf.hardware)} · ${formatTokensPerSecond(inf.tokensPerSecond)} tokens/s`;
    parts.push(detailsBlock(inferenceSummary, inferenceTable(inf)));
    parts.push(footer(report));
    return `${parts.join('\n\n')}\n`;
}
// ---------------------------------------------------------------------------------------------
// Pieces shared by both views
function itemCount(report) {
    return Math.max(report.candidates.length, report.skipped.length, report.warnings.length);
}
function headline(report) {
    const icon = report.testsAccepted > 0 ? '✅' : 'ℹ️';
    const accepted = `**${formatNumbers_formatCount(report.testsAccepted)} of ${formatNumbers_formatCount(report.testsGenerated)} generated tests accepted**`;
    const coverage = `coverage of changed files: **${formatCoverageChange(report.coverageBefore, report.coverageAfter)}**`;
    const { coverageBefore: before, coverageAfter: after } = report;
    const lines = after.totalLines > 0 || before.totalLines > 0
        ? ` (${formatNumbers_formatCount(before.coveredLines)} → ${formatNumbers_formatCount(after.coveredLines)} of ${formatNumbers_formatCount(after.totalLines || before.totalLines)} lines)`
        : '';
    return `${icon} ${accepted} · ${coverage}${lines}`;
}
function contextLines(report) {
    const lines = [];
    const pr = report.pullRequest;
    if (pr) {
        const label = `PR #${pr.number}`;
        const link = pr.url && isSafeUrl(pr.url) ? `[${label}](${pr.url})` : label;
        lines.push(`${link}: ${escapeText(truncateText(pr.title, MAX_TITLE_CHARS))} · ${escapeText(report.repository)} · ` +
            `base ${codeSpan(shortSha(pr.baseSha))} → head ${codeSpan(shortSha(pr.headSha))}`);
    }
    else {
        lines.push(escapeText(report.repository));
    }
    lines.push(`${formatNumbers_formatCount(report.changedFiles.length)} changed files, ${formatNumbers_formatCount(report.targets.length)} targeted, ` +
        `${formatNumbers_formatCount(report.skipped.length)} skipped · run took ${formatDuration(report.durationMs)}`);
    const b = report.baseline;
    const suite = `Baseline suite: ${formatNumbers_formatCount(b.testsPassed)} passed, ${formatNumbers_formatCount(b.testsFailed)} failed in ${formatDuration(b.durationMs)}`;
    lines.push(b.suiteFailed ? `${suite} · ⚠️ **the baseline suite failed**` : suite);
    return lines;
}
function demoNotice(notice) {
    return alertBlock('WARNING', `**Demo model:** ${escapeText(truncateText(notice, MAX_NOTICE_CHARS))}`);
}
/** Accepted first: when rows have to be dropped, what was added to the PR is what the reader needs. */
function orderedCandidates(report) {
    const accepted = report.candidates.filter((c) => c.status === 'accepted');
    const rest = report.candidates.filter((c) => c.status !== 'accepted');
    return [...accepted, ...rest];
}
function rejectedCandidates(report) {
    return report.candidates.filter((c) => c.status === 'rejected');
}
function filesTable(report, level, view, options) {
    const all = orderedCandidates(report);
    const shown = all.slice(0, level.maxItems);
    const rows = shown.map((c) => {
        const status = c.status === 'accepted' ? '✅ accepted' : '❌ rejected';
        const tests = `${formatNumbers_formatCount(c.testsPassed)} / ${formatNumbers_formatCount(c.testsFailed)}`;
        const coverage = escapeText(formatCoverageChange(c.coverageBefore, c.coverageAfter));
        const target = codeSpan(c.targetFile, 'table');
        const testFile = codeSpan(c.testFile, 'table');
        if (view === 'comment')
            return [target, testFile, status, tests, coverage];
        return [target, testFile, status, reasonCell(c, level.maxReasonChars), tests, coverage];
    });
    const headers = view === 'comment'
        ? ['Target file', 'Test file', 'Status', 'Tests passed / failed', 'Coverage before → after']
        : ['Target file', 'Test file', 'Status', 'Reason', 'Tests passed / failed', 'Coverage before → after'];
    const align = view === 'comment' ? ['left', 'left', 'left', 'right', 'left'] : ['left', 'left', 'left', 'left', 'right', 'left'];
    return markdownTable(headers, rows, [...align]) + omitted(all.length - shown.length, 'files', options);
}
function reasonCell(c, maxChars) {
    if (c.status === 'accepted')
        return '—';
    const { stage, reason } = rejectionOf(c);
    return `**${escapeText(stage)}**: ${escapeText(truncateText(reason, maxChars))}`;
}
function rejectionOf(c) {
    return c.rejection ?? { stage: 'unknown', reason: 'no reason was recorded' };
}
function rejectionList(rejected, level, options) {
    const shown = rejected.slice(0, level.maxItems);
    const items = shown.map((c) => {
        const { stage, reason } = rejectionOf(c);
        return (`- ${codeSpan(c.targetFile)} → ${codeSpan(c.testFile)} — **${escapeText(stage)}**: ` +
            escapeText(truncateText(reason, level.maxReasonChars)));
    });
    return items.join('\n') + omitted(rejected.length - shown.length, 'rejections', options);
}
/** "compile 2 · fails 3", in pipeline order so the same stage is always in the same place. */
function stageCounts(rejected) {
    const counts = new Map();
    for (const c of rejected) {
        const stage = rejectionOf(c).stage;
        counts.set(stage, (counts.get(stage) ?? 0) + 1);
    }
    const known = STAGE_ORDER.filter((s) => counts.has(s));
    const unknown = [...counts.keys()].filter((s) => !STAGE_ORDER.includes(s)).sort();
    return [...known, ...unknown].map((s) => `${s} ${formatNumbers_formatCount(counts.get(s) ?? 0)}`).join(' · ');
}
function skippedList(report, level, options) {
    const shown = report.skipped.slice(0, level.maxItems);
    const items = shown.map((s) => `- ${codeSpan(s.file)} — ${escapeText(truncateText(s.reason, level.maxReasonChars))}`);
    return items.join('\n') + omitted(report.skipped.length - shown.length, 'skipped files', options);
}
function warningList(report, level, options) {
    const cap = Math.max(level.maxItems, MIN_WARNINGS_SHOWN);
    const shown = report.warnings.slice(0, cap);
    const items = shown.map((w) => `- ⚠️ ${escapeText(truncateText(w, Math.max(level.maxReasonChars, 200)))}`);
    return items.join('\n') + omitted(report.warnings.length - shown.length, 'warnings', options);
}
function inferenceTable(inf) {
    const rows = [
        ['Provider', escapeText(inf.provider)],
        ['Model', escapeText(inf.model)],
        ['Hardware', escapeText(inf.hardware)],
        ['Backend', escapeText(inf.backend)],
        ['Threads', formatNumbers_formatCount(inf.threads)],
        ['Parallel sequences', formatNumbers_formatCount(inf.parallelSequences)],
        ['Context size', `${formatNumbers_formatCount(inf.contextSize)} tokens`],
        ['Model load time', formatDuration(inf.modelLoadMs)],
        ['Prompt tokens', formatNumbers_formatCount(inf.promptTokens)],
        ['Completion tokens', formatNumbers_formatCount(inf.completionTokens)],
        ['Tokens/s', formatNumbers_formatTokensPerSecond(inf.tokensPerSecond)],
        ['Cost', formatCostUsd(inf.costUsd)]
    ];
    return markdownTable(['Metric', 'Value'], rows, ['left', 'right']);
}
function footer(report) {
    return `<sub>${markdownText_escapeHtml(report.tool.name)} ${markdownText_escapeHtml(report.tool.version)} · started ${markdownText_escapeHtml(report.startedAt)}</sub>`;
}
function omitted(count, what, options) {
    if (count <= 0)
        return '';
    return `\n\n_… and ${formatNumbers_formatCount(count)} more ${what} not shown; see ${jsonReportRef(options)}._`;
}
function jsonReportRef(options) {
    return options.reportPath ? `the JSON report (${codeSpan(options.reportPath)})` : 'the JSON report';
}
function truncationNote(view, options) {
    return view === 'summary'
        ? `This summary was truncated to stay under GitHub's 1 MiB job-summary limit; the full per-file detail is in ${jsonReportRef(options)}.`
        : `This comment was truncated to fit GitHub's ${formatNumbers_formatCount(MAX_COMMENT_CHARS)}-character limit; the job summary and ${jsonReportRef(options)} have the full detail.`;
}
/** Only plain http(s) links without characters that would end the markdown link early. */
function isSafeUrl(url) {
    return /^https?:\/\/[^\s()<>]+$/.test(url);
}
/** A hard cut can land inside a <details> block; closing it keeps the rest of the page from being swallowed. */
function closeOpenDetails(text) {
    const opened = (text.match(/<details>/g) ?? []).length;
    const closed = (text.match(/<\/details>/g) ?? []).length;
    return opened > closed ? text + '\n\n</details>'.repeat(opened - closed) : text;
}

;// CONCATENATED MODULE: ./src/version.ts
/** Kept in step with package.json by a test. */
const TOOL_VERSION = '0.1.0';

;// CONCATENATED MODULE: ./src/cli/aqeCli.ts














const USAGE = `aqe ${TOOL_VERSION}: generate unit tests for changed code with a local LLM, keep only those that pass and raise coverage.

Usage:
  aqe demo [--model FILE] [--dir DIR]        run the whole pipeline on the bundled example pull request
  aqe run --base REF [--head REF] [options]  generate tests for the changes REF...HEAD of the repository at --repo
  aqe --version | --help

Options (same meaning and defaults as the action inputs):
  --repo DIR            repository root (working-directory)         default .
  --model FILE|demo     GGUF model file, or "demo" for the generated demo model
  --gpu MODE            auto | cuda | vulkan | metal | cpu          default auto
  --max-parallel N      sequences generating at once                default 2
  --context-size N      tokens per sequence                         default 8192
  --max-tokens N        tokens per generated test file              default 2048
  --threads N           CPU threads for llama.cpp; 0 = from the CPUs this process may use
  --test-timeout S      seconds one test run may take               default 120
  --report FILE         JSON report path                            default <tmp>/aqe-report.json
  --llama-runtime DIR   directory holding node-llama-cpp
  --replay-file FILE    JSONL of model answers (see README: Record and replay)
  --replay-mode MODE    replay (answer from the file, no model) | record (save the model's answers)
`;
/** CLI flag → action input of the same meaning. */
const FLAG_INPUTS = {
    repo: 'working-directory',
    model: 'model',
    gpu: 'gpu',
    'max-parallel': 'max-parallel',
    'context-size': 'context-size',
    'max-tokens': 'max-tokens',
    threads: 'threads',
    'test-timeout': 'test-timeout',
    report: 'report-path',
    'llama-runtime': 'llama-runtime',
    base: 'base-ref',
    'replay-file': 'replay-file',
    'replay-mode': 'replay-mode'
};
/** Runs the CLI; resolves to the process exit code (2 = bad usage or input). */
async function runCli(argv) {
    let parsed;
    try {
        parsed = (0,external_node_util_namespaceObject.parseArgs)({
            args: argv,
            allowPositionals: true,
            options: {
                ...Object.fromEntries(Object.keys(FLAG_INPUTS).map((k) => [k, { type: 'string' }])),
                head: { type: 'string' },
                dir: { type: 'string' },
                help: { type: 'boolean', short: 'h' },
                version: { type: 'boolean', short: 'v' }
            }
        });
    }
    catch (error) {
        process.stderr.write(`aqe: ${error.message}\n\n${USAGE}`);
        return 2;
    }
    const { values, positionals } = parsed;
    const flag = (name) => {
        const v = values[name];
        return typeof v === 'string' ? v : undefined;
    };
    if (values.version) {
        process.stdout.write(`${TOOL_VERSION}\n`);
        return 0;
    }
    const command = positionals[0];
    if (values.help || (command !== 'run' && command !== 'demo')) {
        (values.help ? process.stdout : process.stderr).write(USAGE);
        return values.help ? 0 : 2;
    }
    const raw = {};
    for (const [name, input] of Object.entries(FLAG_INPUTS))
        raw[input] = flag(name);
    try {
        const report = command === 'demo' ? await demo(raw, flag('dir')) : await run(raw, flag('head') ?? 'HEAD');
        process.stdout.write(`${renderSummary(report, { reportPath: report.reportPath })}\n`);
        return 0;
    }
    catch (error) {
        process.stderr.write(`aqe: ${error instanceof Error ? error.message : String(error)}\n`);
        return error instanceof InputError ? 2 : 1;
    }
}
async function run(raw, head) {
    const base = raw['base-ref'];
    if (!base)
        throw new InputError('--base', 'no base revision was given', 'Pass the branch or commit the changes are compared with, e.g. --base origin/main');
    const tempDir = await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'aqe-'));
    const options = parseRunOptions(raw, { cwd: process.cwd(), tempDir });
    return runLocally(raw, tempDir, external_node_path_default().basename(options.repoDir), (repoDir) => new GitPullRequestHost(repoDir, base, head));
}
/**
 * The bundled example as a pull request, run end to end. With no model given it uses the demo
 * model (no network needed) and says so in the log and in the report.
 */
async function demo(raw, dir) {
    const workDir = dir ? external_node_path_default().resolve(dir) : await (0,promises_namespaceObject.mkdtemp)(external_node_path_default().join(external_node_os_default().tmpdir(), 'aqe-demo-'));
    const pr = await prepareExamplePullRequest(workDir);
    consoleLogger.info(`Example pull request "${pr.title}" prepared in ${pr.repoDir} (${pr.baseSha.slice(0, 7)}...${pr.headSha.slice(0, 7)}).`);
    if (!raw.model && !raw['replay-file']) {
        raw.model = 'demo';
        consoleLogger.info('No --model given: using the demo model, a tiny GGUF generated here that replays a fixed test file through real llama.cpp (no download needed).');
    }
    raw['working-directory'] = pr.repoDir;
    const report = await runLocally(raw, workDir, 'examples/ts-lib', () => new GitPullRequestHost(pr.repoDir, pr.baseSha, pr.headSha));
    consoleLogger.info(`Accepted tests were written into ${pr.repoDir}.`);
    return report;
}
async function runLocally(raw, tempDir, repository, host) {
    const options = parseRunOptions(raw, { cwd: process.cwd(), tempDir });
    await checkModelInput(options);
    const report = await runPipeline({
        options,
        host: host(options.repoDir),
        pullRequest: null,
        repository,
        logger: consoleLogger,
        tempDir,
        toolVersion: TOOL_VERSION,
        loadProvider: () => loadProvider(options, { searchFrom: [packageRoot()], tempDir }, consoleLogger)
    });
    consoleLogger.info(`JSON report: ${options.reportPath}`);
    return { ...report, reportPath: options.reportPath };
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat */
/******/ 
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = new URL('.', import.meta.url).pathname.slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(581);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
