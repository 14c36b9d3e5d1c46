'use strict';
// What node runs as dist/worker.cjs and dist/cli.cjs: copied there by scripts/build-bundles.mjs,
// with PROGRAM_HASH filled in. It runs the program beside it (worker-program.cjs for worker.cjs:
// the bundle itself) from V8's code cache rather than compiling its source.
//
// Why: compiling the bundle's top level (~1.3 MB of minified code, run once) takes V8's parser
// ~12 MB of C heap, which glibc keeps after V8 frees it: measured, the idle worker 10 MB larger
// and an exporting one ~3 MB. A code cache is deserialised instead of parsed and needs none of it.
//
// The cache is V8's own: valid only for this program (its hash is in the file name), this node
// and these V8 flags (v8.cachedDataVersionTag(), also in the name). The build makes it for the
// flags package.json starts the bundle with (writeCodeCache); a start with other flags finds none,
// compiles the source as node would, and leaves the cache for the next start where the folder is
// writable. V8 checks a cache before it uses it and compiles the source when it refuses one.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

const PROGRAM = path.join(__dirname, `${path.basename(__filename, '.cjs')}-program.cjs`);
/** The program's SHA-256 (16 hex digits), set by the build: a cache of an older program is never used. */
const PROGRAM_HASH = 'unbuilt';
/** The parameters node's CommonJS loader gives a module (the bundle is CommonJS). */
const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];

const cacheFile = () => PROGRAM.replace(/\.cjs$/, `.${PROGRAM_HASH}.${v8.cachedDataVersionTag().toString(16)}.code-cache`);

/** The program compiled, from `cachedData` when given (and accepted by V8). */
function compile(cachedData, produceCachedData) {
  return vm.compileFunction(fs.readFileSync(PROGRAM, 'utf8'), PARAMETERS, {
    filename: PROGRAM,
    cachedData,
    produceCachedData,
    // No import() callback: the build turns the program's import() into require(), since V8
    // drops a function's callback when the function comes from a code cache.
  });
}

/** Writes the file whole or not at all (another process may be starting from it). */
function writeAtomic(file, data) {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, data);
    fs.renameSync(temporary, file);
    return true;
  } catch {
    fs.rmSync(temporary, { force: true });
    return false;
  }
}

/** Compiles the program and saves its code cache for this node and these flags (the build calls this). */
function writeCodeCache() {
  const program = compile(undefined, true);
  if (!program.cachedData || !writeAtomic(cacheFile(), program.cachedData)) throw new Error(`Could not write the code cache of ${PROGRAM}`);
  return cacheFile();
}

function start() {
  // node applies source maps (--enable-source-maps) only to what its loader compiled itself.
  if (process.sourceMapsEnabled) {
    require(PROGRAM);
    return;
  }
  const file = cacheFile();
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    // none yet for these flags: compiled from the source, and saved below
  }
  const program = compile(cachedData, cachedData === undefined);
  if (cachedData === undefined && program.cachedData) writeAtomic(file, program.cachedData);
  // A refused cache (damaged) is removed so that the next start writes a good one.
  else if (program.cachedDataRejected) fs.rm(file, { force: true }, () => undefined);
  cachedData = undefined;
  const module = new Module(PROGRAM, null);
  module.filename = PROGRAM;
  module.paths = Module._nodeModulePaths(__dirname);
  program.call(module.exports, module.exports, Module.createRequire(PROGRAM), module, PROGRAM, __dirname);
}

if (require.main === module) start();
else module.exports = { writeCodeCache };
