// Compiled with `tsc --noEmit` in `npm test`: the handwritten index.d.ts must describe the API.
import modswap = require('../..');
import { ModswapError, type Generation, type StaleGeneration, type ReloadOptions } from '../..';

const options: ReloadOptions = { includeDependencies: true };
const fresh: { version: number } = modswap.reload<{ version: number }>('./b', options);
modswap.reload('./b');
modswap.clear('./a');
modswap.clear.all();
modswap.clear.match(/routes/);
modswap.clear.single('./a');
const rows: Generation[] = modswap.generations('./b');
const state: 'current' | 'old' | 'collected' | 'pinned' = rows[0].state;
const failed: true | undefined = rows[0].failed;
const stale: StaleGeneration[] = modswap.stale();
const ages: number[] = stale.map((row) => row.ageMs + row.gcsSurvived + row.generation);
const pinnedFiles: string[] = stale.filter((row) => row.pinned === true).map((row) => row.file);
try {
  modswap.reload('./broken');
} catch (error) {
  if (error instanceof ModswapError && error.code === 'ERR_MODSWAP_RELOAD_FAILED') {
    const file: string | undefined = error.file;
    void file;
  }
}
const routes: (req: unknown, res: unknown) => void = modswap.hot('./routes');
const swapped: modswap.SwapResult = modswap.swap(['./a.js']);
const hotApi: modswap.HotApi = modswap.hotApi(module);
hotApi.accept('./dep', (updated: string[]) => void updated);
hotApi.dispose((data) => {
  data.count = 1;
});
const status: modswap.HotStatus = hotApi.status();
module.hot?.accept();
const held: modswap.HeldResource[] = modswap.resources('./routes');
modswap.resourcePolicy('warn');
modswap.resourcePolicy('./routes', null);
void held;
void routes;
void swapped.evaluated;
void status;
void fresh;
void state;
void ages;

// memwatch
import memwatchAlone = require('../../memwatch');
const memwatch: modswap.Memwatch = modswap.memwatch;
memwatch.on('stats', (stats) => {
  const base: number = stats.current_base + stats.gcScavengeTime;
  void base;
});
memwatch.once('leak', (leak) => {
  const when: Date = leak.start;
  const why: string = leak.reason;
  if (leak.kind === 'heap') {
    const perMinute: number = leak.rate;
    const untilLimit: number | null = leak.projectedMsToLimit;
    const limit: number | null = leak.heapLimit;
    void perMinute;
    void untilLimit;
    void limit;
  }
  void when;
  void why;
});
memwatch.gc();
memwatch.configure({ detector: 'classic' });
const chosen: 'adaptive' | 'robust' | 'classic' = memwatch.configure({ detector: 'adaptive' }).detector;
void chosen;
// The SDK's own types fit the structural option types.
import { MeterProvider } from '@opentelemetry/sdk-metrics';
const otel: modswap.MemwatchMetrics = memwatch.metrics({ meterProvider: new MeterProvider(), prefix: 'app.memwatch' });
memwatch.metrics({ meter: new MeterProvider().getMeter('app') }).stop();
const otelPrefix: string = otel.prefix;
void otelPrefix;
otel.stop();
// handle and listener leaks
const watching = memwatch.configure({ handles: true, listeners: false, sampleIntervalMs: 500 });
const interval: number = watching.sampleIntervalMs;
void interval;
memwatch.on('leak', (leak) => {
  if ('kind' in leak && leak.kind === 'handles') {
    const where: string = `${leak.type} ${leak.site} ${leak.count} ${leak.perUnit} ${leak.unit}`;
    void where;
  } else if ('kind' in leak && leak.kind === 'listeners') {
    const where: string = `${leak.emitter} ${leak.event} ${leak.site} ${leak.emitters}`;
    void where;
  }
});
const diff = new memwatchAlone.HeapDiff();
const result: modswap.HeapDiffResult = diff.end();
const plus: number = result.change.details[0]['+'];
void plus;

async function heapUsage(): Promise<number> {
  const result = await modswap.heap.analyze(modswap.heap.snapshot(), { top: 5 });
  const first: modswap.HeapClassAggregate | undefined = result.classes[0];
  const where: string = first?.line === undefined ? '' : `${first.script ?? `script ${first.scriptId}`}:${first.line}:${first.column}`;
  void where;
  return result.totalSize + (first?.retainedSize ?? 0) + result.timingsMs.dominators + result.dominators[0].id;
}
void heapUsage;

async function heapReports(a: string, b: string, c: string): Promise<string> {
  const phases: string[] = [];
  const onProgress = (event: modswap.HeapProgressEvent) => void phases.push(`${event.phase} ${event.file}/${event.files}`);
  const analysis = await modswap.heap.analyze(a, { paths: [14727], onProgress });
  const suspect: modswap.LeakSuspect | undefined = analysis.suspects[0];
  const step: modswap.RetainerStep | undefined = analysis.paths[0]?.path[0];
  const diff: modswap.HeapSnapshotDiff = await modswap.heap.diff(a, b);
  const change: number = diff.classes[0].sizeDelta + diff.after.totalSize;
  const leaks: modswap.HeapLeaks = await modswap.heap.leaks(a, b, c, { top: 3, onProgress });
  const group: modswap.HeapLeakGroup = leaks.groups[0];
  const holder: string = group.holder ?? '(no path)';
  const internal: boolean = group.internal && leaks.internalGroupCount > 0 && group.folded >= 0;
  return `${suspect?.accumulatedIn?.name} ${step?.edgeType} ${change} ${group.pathShape} ${leaks.final.file} ${group.samplePath.length} ${holder} ${internal}`;
}
void heapReports;

async function streamUsage(): Promise<number> {
  const a = await modswap.heap.analyze(require('node:fs').createReadStream('x') as AsyncIterable<Uint8Array>, { name: 'x' });
  return a.nodeCount;
}
void streamUsage;
const resourceOptionsInForce: { gracePeriodMs: number; stacks: 'auto' | 'always' } = modswap.resourceOptions({ gracePeriodMs: 1000 });
const untrackedResult: number = modswap.untracked((a: number, b: number) => a + b, 1, 2);
const settledPromise: Promise<void> = modswap.resourcesSettled();
void resourceOptionsInForce;
void untrackedResult;
void settledPromise;

// import.meta.hot's type (the augmentation of ImportMeta; this file is CommonJS, so no
// `import.meta` here: the interface is exercised directly).
declare const metaHot: modswap.ImportMetaHot;
metaHot.accept();
metaHot.accept((ns) => void ns.default);
metaHot.accept('./dep.mjs', (ns) => void ns?.value);
metaHot.accept(['./a.mjs', './b.mjs'], ([a, b]) => void [a, b]);
metaHot.dispose((data) => {
  data.count = 1;
});
const carried: number | undefined = metaHot.data.count;
metaHot.accept(
  (ns) => void ns,
  (error, info) => void [error, info.moduleId],
);
metaHot.accept('./dep.mjs', (ns) => void ns, (error, info) => void [error, info.dependencyId]);
metaHot.decline();
metaHot.decline(['./config.mjs']);
metaHot.prune((data) => void data);
metaHot.invalidate();
const metaStatus: modswap.HotStatus = metaHot.status();
metaHot.addStatusHandler((next) => void next);
void metaStatus;
declare const meta: ImportMeta;
meta.hot?.accept();
void carried;

// modswap.explain(): why old generations are still alive.
async function explainUsage(): Promise<void> {
  const all: modswap.Explanation = await modswap.explain();
  const one = await modswap.explain('./b', { keepSnapshot: true, snapshotDir: '/tmp' });
  for (const g of all.generations) {
    const kind: modswap.HolderKind = g.holder.kind;
    const line: string = `${g.file} #${g.generation} ${g.held} ${g.exportName ?? ''}: ${g.pathText} (${kind}) ${g.fix}`;
    const steps: string[] = g.path.map((step: modswap.ExplainedStep) => `${step.edge} ${step.node.name} ${step.node.selfSize}`);
    void line;
    void steps;
  }
  const groups: modswap.ExplainedGroup[] = one.groups;
  const kept: string | null | undefined = one.snapshot?.file;
  const ms: number = one.timingsMs.snapshot + one.timingsMs.analysis + one.pinned + one.notFound.length;
  void groups;
  void kept;
  void ms;
}
void explainUsage;

// memwatch.profile() / profileDiff() (issue I).
async function profileUsage(): Promise<void> {
  const report: modswap.HeapProfileReport = await modswap.memwatch.profile({ durationMs: 30_000, samplingInterval: 16384 });
  const top: modswap.HeapProfileSite | undefined = report.sites[0];
  const where: string = top ? `${top.site} +${top.growth} from ${top.stack.join(' <- ')}` : 'nothing grows';
  const started: Date = report.start;
  const diff: modswap.HeapProfileDiff = await modswap.memwatch.profileDiff({}, '{}', { minGrowth: 1 });
  void [where, started, diff.totals, report.checkpointMs];
}
void profileUsage;
