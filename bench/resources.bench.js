'use strict';
// What resource tracking costs the code that runs under it. Each workload runs in a fresh child
// process per setup, setups alternating round by round (drift on a shared machine hits all):
//   plain       Node without modswap
//   plain+als   Node without modswap, one unrelated AsyncLocalStorage in use (as with tracing,
//               request-context or logging libraries): the propagation cost such apps already pay
//   untracked   require('modswap') (tracking installed), work in the entry module's context:
//               what every timer and listener of the process pays, a server's requests included
//               when the entry module created the server
//   tracked     work inside a module generation's async context (recorded, no stacks)
//   tracked+warn  the same under policy 'warn' (a creation stack per timer)
// Workloads: a timer created and cleared, a listener added to and removed from a plain
// EventEmitter and from a stream, an awaited promise (async context propagation), an HTTP
// request/response over keep-alive on 127.0.0.1 (server and client in the same setup).
//   node bench/resources.bench.js [--rounds=5] [--quick]
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, renderTable } = require('./lib/stats');

const QUICK = process.argv.includes('--quick');
const ROUNDS = Number(process.argv.find((arg) => arg.startsWith('--rounds='))?.slice(9) ?? (QUICK ? 2 : 5));
const SETUPS = ['plain', 'plain+als', 'untracked', 'tracked', 'tracked+warn'];
const WORKLOADS = {
  timer: { ops: QUICK ? 100_000 : 400_000, unit: 'ns' },
  'listener (EventEmitter)': { ops: QUICK ? 100_000 : 400_000, unit: 'ns' },
  'listener (stream)': { ops: QUICK ? 100_000 : 400_000, unit: 'ns' },
  'await': { ops: QUICK ? 200_000 : 1_000_000, unit: 'ns' },
  'http request': { ops: QUICK ? 1_000 : 4_000, unit: 'µs' },
};

// ------------------------------------------------------------------------------------------
// Child: runs one workload under one setup and prints { perOp } in the workload's unit.

/** The workloads, as source: they run inside a module when the setup is tracked. */
const WORKLOAD_SOURCE = String.raw`
const { EventEmitter } = require('node:events');
const { PassThrough } = require('node:stream');
const http = require('node:http');
const turn = () => new Promise((resolve) => setImmediate(resolve));
const BATCH = 1000;

/** ns per op over batches, a turn of the event loop between them (as real jobs end). */
async function batches(ops, body) {
  for (let i = 0; i < 2 * BATCH; i++) body(); // warm-up
  await turn();
  let elapsed = 0n;
  for (let done = 0; done < ops; done += BATCH) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) body();
    elapsed += process.hrtime.bigint() - start;
    await turn();
  }
  return Number(elapsed) / ops;
}

const noop = () => {};
const workloads = {
  timer: (ops) => batches(ops, () => clearTimeout(setTimeout(noop, 1000))),
  'listener (EventEmitter)': (ops) => {
    const emitter = new EventEmitter();
    return batches(ops, () => {
      emitter.on('event', noop);
      emitter.removeListener('event', noop);
    });
  },
  'listener (stream)': (ops) => {
    const stream = new PassThrough();
    return batches(ops, () => {
      stream.on('drain', noop);
      stream.removeListener('drain', noop);
    });
  },
  await: async (ops) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await null;
    return Number(process.hrtime.bigint() - start) / ops;
  },
  'http request': async (ops) => {
    const server = http.createServer((req, res) => {
      setTimeout(() => res.end('ok'), 0);
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: server.address().port, agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
    for (let i = 0; i < 100; i++) await get();
    const start = process.hrtime.bigint();
    for (let i = 0; i < ops; i++) await get();
    const perOp = Number(process.hrtime.bigint() - start) / ops / 1000;
    agent.destroy();
    server.close();
    return perOp;
  },
};
module.exports = (name, ops) => workloads[name](ops);
`;

async function child(setup, workload, ops) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-resources-bench-'));
  const file = path.join(dir, 'workload.js');
  let run;
  if (setup === 'plain' || setup === 'plain+als') {
    fs.writeFileSync(file, WORKLOAD_SOURCE);
    run = require(file);
    if (setup === 'plain+als') {
      const { AsyncLocalStorage } = require('node:async_hooks');
      const context = new AsyncLocalStorage();
      const workload = run;
      run = (...args) => context.run({ requestId: 1 }, workload, ...args);
    }
  } else {
    const resources = require('../lib/dev/resources');
    require('..');
    if (setup === 'tracked+warn') resources.setPolicy(file, 'warn');
    if (setup === 'untracked') {
      // Evaluated in its own context, then called from the entry module's: untracked work.
      fs.writeFileSync(file, WORKLOAD_SOURCE);
      run = require(file);
    } else {
      // Started while the module loads: the whole workload runs in its generation's context.
      fs.writeFileSync(file, `${WORKLOAD_SOURCE}\nmodule.exports.result = module.exports(...globalThis.benchArgs);\n`);
      globalThis.benchArgs = [workload, ops];
      const perOp = await require(file).result;
      fs.rmSync(dir, { recursive: true, force: true });
      return perOp;
    }
  }
  const perOp = await run(workload, ops);
  fs.rmSync(dir, { recursive: true, force: true });
  return perOp;
}

// ------------------------------------------------------------------------------------------
// Parent

function runChild(setup, workload) {
  const out = execFileSync(
    process.execPath,
    [__filename, '--child', setup, workload, String(WORKLOADS[workload].ops)],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return JSON.parse(out.trim().split('\n').pop()).perOp;
}

function main() {
  const samples = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const workload of Object.keys(WORKLOADS)) {
      for (const setup of SETUPS) {
        const key = `${workload}|${setup}`;
        (samples[key] ??= []).push(runChild(setup, workload));
      }
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const rows = [];
  for (const [workload, { unit }] of Object.entries(WORKLOADS)) {
    const plain = median(samples[`${workload}|plain`]);
    for (const setup of SETUPS) {
      const value = median(samples[`${workload}|${setup}`]);
      const delta = setup === 'plain' ? '' : `${value - plain >= 0 ? '+' : ''}${(value - plain).toFixed(unit === 'ns' ? 0 : 1)}`;
      const spread = samples[`${workload}|${setup}`].map((v) => v.toFixed(unit === 'ns' ? 0 : 1)).join(' ');
      rows.push([workload, setup, `${value.toFixed(unit === 'ns' ? 0 : 1)} ${unit}`, delta && `${delta} ${unit}`, spread]);
    }
  }
  console.log(`Node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}, ${ROUNDS} rounds`);
  console.log(renderTable(['workload', 'setup', 'median per op', 'vs plain', 'samples'], rows));
}

if (process.argv[2] === '--child') {
  const [, , , setup, workload, ops] = process.argv;
  child(setup, workload, Number(ops)).then((perOp) => {
    console.log(JSON.stringify({ perOp }));
    process.exit(0);
  });
} else {
  main();
}
