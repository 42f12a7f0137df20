// One case of esm-memory.bench.js, in its own process started with --expose-gc (and modswap's
// hooks, except for the floor): the bytes in use (V8 heap + external) after forced GCs, before
// and after `swaps` swaps of one self-accepting module. Prints one JSON line.
//
//   node --expose-gc [--import register-esm.js] esm-memory-child.mjs <case> <swaps>
//
// Cases: small (1 KB source, a small top-level array), small-disposed (its disposer nulls the
// array), big (8 MB of doubles in a top-level let), big-disposed (its disposer nulls it), floor
// (the small module imported again under `?v=N` by plain Node: the loader's own cost per URL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const [kind, swapsArg] = process.argv.slice(2);
const swaps = Number(swapsArg);
const big = kind.startsWith('big');
const disposed = kind.endsWith('-disposed');
const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-esm-memory-'));
const file = path.join(directory, 'module.mjs');
const hot = kind === 'floor' ? '' : 'import.meta.hot.accept();\n';
fs.writeFileSync(
  file,
  `${big ? '' : `// ${'x'.repeat(1000)}\n`}let state = ${big ? 'new Array(1 << 20).fill(1.5)' : '[1, 2, 3]'};
${hot}${disposed ? 'import.meta.hot.dispose(() => { state = null; });\n' : ''}export const size = () => state?.length;
`,
);

const inUse = async () => {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
};

try {
  await import(file);
  let swap;
  if (kind === 'floor') {
    let version = 0;
    swap = () => import(`${file}?v=${++version}`);
  } else {
    const modswap = createRequire(import.meta.url)('../index.js');
    swap = () => modswap.swap(file);
  }
  // One swap first: it loads what every later swap uses (modswap's swap code, the GC observer).
  await swap();
  const before = await inUse();
  for (let i = 0; i < swaps; i++) await swap();
  const growth = (await inUse()) - before;
  console.log(JSON.stringify({ kind, swaps, growth, perSwap: growth / swaps }));
} finally {
  fs.rmSync(directory, { recursive: true, force: true });
}
