'use strict';
// The heap report layer: text reports, retainer paths, the HTML report's escaping (checked in
// the markup and in headless Chromium), and the `modswap heap` command line with a fake engine
// that returns the fixture results (the real engine is not needed to test any of this).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { pathToFileURL } = require('node:url');
const fixtures = require('./fixtures/heap-report/results');
const { formatAnalysis, formatDiff, formatLeaks } = require('../lib/heap/format-text');
const { formatPath, formatSuspect } = require('../lib/heap/format-path');
const { formatBytes, formatInt, printable } = require('../lib/heap/format-values');
const { renderHtml, jsonForScript } = require('../lib/heap/report-html');
const { main, EXIT } = require('../lib/heap/cli');
const { ProgressBar } = require('../lib/heap/progress');

const BIN = path.join(__dirname, '..', 'bin', 'modswap.js');

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modswap-heap-report-'));
  test.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---- text ------------------------------------------------------------------------------------

const ANALYSIS_TEXT = `Heap snapshot /tmp/app.heapsnapshot
  File size    91.1 MiB (95,483,210 bytes)
  Nodes        1,052,337
  Edges        4,175,022
  Total size   201.6 MiB (211,432,880 bytes)
  Unreachable  12 nodes

Classes by retained size (top 3 of 4)
  Class       Count  Self size       bytes  Retained size        bytes  Share
  Module         96   23.3 KiB      23,808      164.4 MiB  172,345,216  81.5%
  Array      40,233    1.2 MiB   1,287,456       30.0 MiB   31,412,880  14.9%
  (string)  310,412   13.4 MiB  14,020,112       13.4 MiB   14,020,112   6.6%

Largest dominators (top 3 of 4)
  Object        Id  Type    Retained size        bytes  Share
  Module    @14727  object      164.3 MiB  172,321,048  81.5%
  Array   @2016689  object      164.3 MiB  172,320,416  81.5%
  Map        @6169  object        7.3 MiB    7,644,560   3.6%

Leak suspects (2)
  1. 'Module' @14727 retains 172,321,048 bytes (81.5%), accumulated in 'Array' @2016689
     (GC roots)["require.cache"] → Module(/app/utils.js).children → Array[3] → Module
  2. 'Map' @6169 retains 7,644,560 bytes (3.6%)
     (GC roots).__keep → Map

Timings: read 61 ms, parse 402 ms, dominators 118 ms (total 581 ms)
`;

const DIFF_TEXT = `Heap diff
  Before  /tmp/before.heapsnapshot: 1,052,337 nodes, 201.6 MiB (211,432,880 bytes)
  After   /tmp/after.heapsnapshot: 1,061,020 nodes, 204.2 MiB (214,100,512 bytes)
  Change  +8,683 nodes, +2.5 MiB (+2,667,632 bytes)

Classes by size change (3)
  Class           New  Deleted  Δ count  Allocated      Freed      Δ size     Δ bytes
  LeakyRequest  4,849        0   +4,849    2.8 MiB        0 B    +2.8 MiB  +2,909,400
  (closure)       120    4,000   -3,880    3.8 KiB  125.0 KiB  -121.3 KiB    -124,160
  Array             5        5        0      160 B      160 B         0 B           0
`;

const LEAKS_TEXT = `Leaks: objects allocated between baseline and target, still alive in final
  Baseline  /tmp/s1.heapsnapshot: 1,000,000 nodes, 190.7 MiB (200,000,000 bytes)
  Target    /tmp/s2.heapsnapshot: 1,052,337 nodes, 201.6 MiB (211,432,880 bytes)
  Final     /tmp/s3.heapsnapshot: 1,061,020 nodes, 204.2 MiB (214,100,512 bytes)
  Leaked    4,850 objects, 2.8 MiB (2,910,000 bytes), in 2 groups

Leak groups (top 1 of 2)
  1. 4,849 × 'LeakyRequest' retaining 2.8 MiB (2,909,400 bytes)
     shape: (GC roots).__keep.leakedArray[] → LeakyRequest
     e.g. @88001, @88003, @88005
     (GC roots).__keep → Map.leakedArray → Array[38477] → LeakyRequest
`;

test('the analysis report: summary, aligned tables cut to --top, suspects with paths, timings', () => {
  assert.equal(formatAnalysis(fixtures.analysis(), { top: 3 }), ANALYSIS_TEXT);
});

test('the diff report: both snapshots, the change, allocated and freed per class', () => {
  assert.equal(formatDiff(fixtures.diff()), DIFF_TEXT);
});

test('the leaks report: three snapshots, groups with shape, example ids and a sample path', () => {
  assert.equal(formatLeaks(fixtures.leaks(), { top: 1 }), LEAKS_TEXT);
});

/** The leaks fixture as the engine now reports it: holders, and one group of V8's own last. */
function leaksWithHolders() {
  const l = fixtures.leaks();
  const [user, system] = l.groups;
  const code = { ...system, className: '(compiled code)', pathShape: 'handler().code → (compiled code)', holder: 'closure handler()', internal: true };
  return { ...l, internalGroupCount: 2, groupCount: 3, groups: [{ ...user, holder: 'Map', internal: false }, code] };
}

test('leak groups say what holds them; V8-internal groups come last, under a heading, without a path', () => {
  const text = formatLeaks(leaksWithHolders());
  assert.ok(text.includes('  Leaked    4,850 objects, 2.8 MiB (2,910,000 bytes), in 3 groups (2 of them V8\'s own)\n'), text);
  const groups = text.slice(text.indexOf('Leak groups'));
  assert.equal(
    groups,
    `Leak groups (top 2 of 3)
  1. 4,849 × 'LeakyRequest' in Map retaining 2.8 MiB (2,909,400 bytes)
     shape: (GC roots).__keep.leakedArray[] → LeakyRequest
     e.g. @88001, @88003, @88005
     (GC roots).__keep → Map.leakedArray → Array[38477] → LeakyRequest
  V8's own: code, shapes, feedback and system objects the engine allocated itself
  2. 1 × '(compiled code)' in closure handler() retaining 600 B (600 bytes)
     shape: handler().code → (compiled code)
     e.g. @3
`,
  );
  const page = renderHtml({ leaks: leaksWithHolders() }, { generatedAt: 'now' });
  assert.match(page, /<li class="leak-group"><p class="headline">4,849 × 'LeakyRequest' in Map retaining /);
  assert.match(page, /<h4>V8&#39;s own: code, shapes.*<\/h4><ol class="items" start="2"><li class="leak-group internal"><p class="headline">1 × '\(compiled code\)' in closure handler\(\)/);
  assert.equal(page.match(/<rect class="bar/g).length, 1, 'the chart shows the user groups only');
  assert.match(page, /in 3 groups \(2 of them V8&#39;s own\)/);
});

test('classes keyed by their constructor location show where they are defined, in text and HTML', () => {
  const analysis = fixtures.analysis();
  const [module, array, strings, leaky] = analysis.classes;
  analysis.classes = [
    { ...module, script: 'node:internal/modules/cjs/loader', scriptId: 19, line: 236, column: 1 },
    { ...module, count: 500, retainedSize: 40_000, script: '/srv/app/lib/loader/module.js', scriptId: 77, line: 2, column: 1 },
    array,
    strings,
    { ...leaky, scriptId: 81, line: 12, column: 3 },
  ];
  const text = formatAnalysis(analysis, { top: 5 });
  const table = text.slice(text.indexOf('Classes by retained size'), text.indexOf('Largest dominators'));
  assert.equal(
    table,
    `Classes by retained size (5)
  Class         Defined at                              Count  Self size       bytes  Retained size        bytes  Share
  Module        node:internal/modules/cjs/loader:236       96   23.3 KiB      23,808      164.4 MiB  172,345,216  81.5%
  Module        /srv/app/lib/loader/module.js:2           500   23.3 KiB      23,808       39.1 KiB       40,000  <0.1%
  Array                                                40,233    1.2 MiB   1,287,456       30.0 MiB   31,412,880  14.9%
  (string)                                            310,412   13.4 MiB  14,020,112       13.4 MiB   14,020,112   6.6%
  LeakyRequest  script 81:12                            4,849    2.8 MiB   2,909,400        2.8 MiB    2,909,400   1.4%

`,
  );
  const page = renderHtml({ analysis }, { generatedAt: 'now' });
  assert.match(page, /<th class="" scope="col">Defined at<\/th>/);
  assert.match(page, /<td class="name" title="Module">Module<\/td><td class="name" title="\/srv\/app\/lib\/loader\/module.js:2">/);
  // Without any location (older engines, other snapshots) the column is left out.
  assert.doesNotMatch(formatAnalysis(fixtures.analysis()), /Defined at/);
});

test('a leak group says how many objects reached through it were folded into it', () => {
  const leaks = fixtures.leaks();
  leaks.groups[0] = { ...leaks.groups[0], folded: 30_000 };
  const text = formatLeaks(leaks, { top: 1 });
  assert.ok(text.includes('     shape: (GC roots).__keep.leakedArray[] → LeakyRequest\n     folded in: 30,000 objects reached through these (their parts)\n'), text);
  const page = renderHtml({ leaks }, { generatedAt: 'now' });
  assert.match(page, /<span class="folded">Folded in: 30,000 objects reached through these \(their parts\)<\/span>/);
  // No line when nothing was folded.
  assert.doesNotMatch(formatLeaks({ ...leaks, groups: [{ ...leaks.groups[0], folded: 0 }] }), /folded in/);
});

test('empty results say so instead of printing empty tables', () => {
  const analysis = { ...fixtures.analysis(), classes: [], dominators: [], suspects: [], timingsMs: {} };
  const text = formatAnalysis(analysis);
  assert.match(text, /Classes by retained size \(0\)\n {2}none\n/);
  assert.match(text, /Leak suspects \(0\)\n {2}none: no object dominates/);
  assert.doesNotMatch(text, /Timings/);
  assert.match(formatLeaks({ ...fixtures.leaks(), groups: [] }), /Leak groups \(0\)\n {2}none: nothing allocated/);
});

test('sizes are human and exact, in binary units, rounding up to the next unit', () => {
  assert.deepEqual(
    [0, 600, 1023, 1024, 1_048_575, 172_321_048, -2_909_400].map(formatBytes),
    ['0 B', '600 B', '1023 B', '1.0 KiB', '1.0 MiB', '164.3 MiB', '-2.8 MiB'],
  );
  assert.deepEqual([0, 999, 1000, 172_321_048, -124_160].map(formatInt), ['0', '999', '1,000', '172,321,048', '-124,160']);
  assert.equal(formatBytes(NaN), '?');
});

// ---- retainer paths --------------------------------------------------------------------------

const node = (name, id = 1, type = 'object') => ({ id, name, type, selfSize: 0, retainedSize: 0 });
const step = (edge, edgeType, name) => ({ edge, edgeType, node: node(name) });

test('a retainer path reads like DevTools: name, .prop or [index], then → and the next node', () => {
  const steps = [
    step('', 'element', 'Module(/app/utils.js)'),
    step('children', 'property', 'Array'),
    step('[3]', 'element', 'Module(/app/update_mod.js)'),
  ];
  assert.equal(formatPath(steps), 'Module(/app/utils.js).children → Array[3] → Module(/app/update_mod.js)');
  assert.equal(
    formatPath([step('', 'element', 'Module(/app/utils.js)'), step('[3]', 'element', 'Module(/app/update_mod.js)')]),
    'Module(/app/utils.js)[3] → Module(/app/update_mod.js)',
  );
  assert.equal(formatPath([]), '');
});

test('edge names that are not identifiers are quoted, so they cannot pass for more path', () => {
  const from = step('', 'element', 'A');
  const edges = [
    ['7', 'element', '[7]'],
    ['12', 'hidden', '[12]'],
    ['(object elements)', 'internal', '.(object elements)'],
    ['$ok_1', 'property', '.$ok_1'],
    ['a.b → c[0]', 'property', '["a.b → c[0]"]'],
    ['say "hi"\\', 'property', '["say \\"hi\\"\\\\"]'],
    ['line\nbreak\u2028', 'context', '["line\\nbreak\\u2028"]'],
  ];
  for (const [edge, edgeType, expected] of edges) {
    assert.equal(formatPath([from, step(edge, edgeType, 'B')]), `A${expected} → B`, edge);
  }
});

test('a long path keeps its two first and its last nodes and counts the elided ones', () => {
  const steps = [step('', 'element', 'N0')];
  for (let i = 1; i < 10; i++) steps.push(step(`e${i}`, 'property', `N${i}`));
  assert.equal(formatPath(steps, { maxSteps: 5 }), 'N0.e1 → N1.e2 → … (5 more) → N7.e8 → N8.e9 → N9');
  assert.equal(formatPath(steps, { maxSteps: 10 }).split(' → ').length, 10);
});

test('a suspect reads "retains N bytes (share), accumulated in" its accumulation point', () => {
  const suspect = {
    node: { id: 14727, name: 'Module', type: 'object', selfSize: 248, retainedSize: 172_321_048 },
    share: 0.815,
    accumulatedIn: node('Array', 2016689),
    path: [],
  };
  assert.equal(
    formatSuspect(suspect),
    "'Module' @14727 retains 172,321,048 bytes (81.5%), accumulated in 'Array' @2016689",
  );
  assert.equal(formatSuspect({ ...suspect, accumulatedIn: null }), "'Module' @14727 retains 172,321,048 bytes (81.5%)");
});

test('terminal control characters from a snapshot are shown as escapes, never sent raw', () => {
  const analysis = fixtures.analysis();
  analysis.classes[0].name = 'Evil\x1b[2J\x1b]0;owned\x07\u202egnp.exe\x9b31m';
  analysis.file = '/tmp/\x1b[31mred';
  const text = formatAnalysis(analysis);
  assert.doesNotMatch(text, /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
  assert.match(text, /Evil\\x1b\[2J\\x1b\]0;owned\\x07\\u202egnp\.exe\\x9b31m/);
  assert.equal(printable('a\u2028b\ud800'), 'a\\u2028b\\ud800');
});

// ---- HTML ------------------------------------------------------------------------------------

const PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><img src=x onerror=\"document.title='pwned'\">",
  '</script><script>document.title="pwned"</script>',
  '</title><img src=x onerror="document.title=\'pwned\'">',
  '</textarea><svg onload=alert(1)>',
  '&amp;',
  'line\u2028separator\u2029paragraph',
  '<!--',
  ']]><x',
];

/**
 * The report with a hostile payload appended to every string in it (names, edge names and
 * types, node types, file names, path shapes) and as a timing phase name.
 */
function hostile(report) {
  let next = 0;
  const poison = (value) => {
    if (typeof value === 'string') return `${value}${PAYLOADS[next++ % PAYLOADS.length]}`;
    if (Array.isArray(value)) return value.map(poison);
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, poison(item)]));
    }
    return value;
  };
  const poisoned = poison(report);
  if (poisoned.analysis) poisoned.analysis.timingsMs[PAYLOADS[3]] = 1;
  // A file name whose base name (what the title shows) is itself markup.
  if (poisoned.analysis) poisoned.analysis.file = `/tmp/${PAYLOADS[2]}.heapsnapshot`;
  return poisoned;
}

const fullReport = () => ({ analysis: fixtures.analysis(), diff: fixtures.diff(), leaks: fixtures.leaks() });
const DATA_BLOCK = /<script type="application\/json" id="modswap-heap-data">([\s\S]*?)<\/script>/;
const TAGS = new Set(
  'html head meta title style body header h1 h2 h3 main section dl dt dd table thead tbody tr th td p span code details summary ol li svg g text rect line footer br'.split(' '),
);
const ATTRIBUTES = new Set(
  'lang charset http-equiv content name class id title scope viewBox role aria-label x y width height text-anchor x1 x2 y1 y2'.split(' '),
);
const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z][\w:-]*(?:="[^"<>]*")?)*)\s*>/g;

/**
 * Proves that the page's markup is only ours: once the data block and the (constant) style are
 * set aside, every `<` opens a tag and attribute from our short vocabulary, and every `&` in
 * text starts one of the entities the escaper writes. A payload that escaped its context would
 * leave a foreign tag, attribute, `<`, `>` or bare `&` behind.
 */
function assertOnlyOurMarkup(page) {
  let rest = page.replace('<!DOCTYPE html>', '').replace(DATA_BLOCK, '');
  const styles = rest.match(/<style>[^<]*<\/style>/g);
  assert.equal(styles && styles.length, 1, 'one style element, holding no markup');
  rest = rest.replace(/<style>[^<]*<\/style>/, '');
  for (const [, , tag, attributes] of rest.matchAll(TAG)) {
    assert.ok(TAGS.has(tag), `unexpected <${tag}>`);
    for (const [, attribute] of attributes.matchAll(/\s+([a-zA-Z][\w:-]*)(?:="[^"]*")?/g)) {
      assert.ok(ATTRIBUTES.has(attribute), `unexpected attribute ${attribute} on <${tag}>`);
    }
  }
  const text = rest.replace(TAG, '');
  assert.doesNotMatch(text, /[<>]/, 'a < or > outside our tags');
  assert.doesNotMatch(text, /&(?!(amp|lt|gt|quot|#39);)/, 'a bare & in text');
  assert.doesNotMatch(page, /[\u2028\u2029\u202e\u0000]/, 'raw separators or controls');
}

test('every snapshot string is escaped in the HTML report: text, attributes, titles and SVG', () => {
  const page = renderHtml(hostile(fullReport()), { generatedAt: 'now' });
  assertOnlyOurMarkup(page);
  assert.equal(page.match(/<script\b/g).length, 1, 'only the JSON data block');
  assert.equal(page.match(/<\/script/gi).length, 1, 'and nothing closes it early');
  // The payloads are there, as text.
  assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(page.includes('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;'));
  assert.ok(page.includes('&amp;amp;'));
  assert.ok(page.includes('line\\u2028separator\\u2029paragraph'));
  assert.match(page, /<title>Heap report: [^<]*&lt;[^<]*<\/title>/);
});

test('the embedded JSON cannot end its script element and reads back unchanged', () => {
  const report = hostile(fullReport());
  const page = renderHtml(report, { generatedAt: 'now' });
  const json = DATA_BLOCK.exec(page)[1];
  assert.doesNotMatch(json, /[<>&\u2028\u2029]/);
  assert.deepEqual(JSON.parse(json), report);
  assert.equal(jsonForScript({ s: '</script>&\u2028' }), '{"s":"\\u003c/script\\u003e\\u0026\\u2028"}');
  assert.doesNotMatch(renderHtml(report, { embedData: false }), /<script/);
});

test('the report is offline and locked down: a strict CSP, nothing loaded, no script', () => {
  const page = renderHtml(fullReport(), { generatedAt: 'now' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(page)[1].replace(/&#39;/g, "'");
  assert.match(csp, /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; script-src 'none';/);
  assert.doesNotMatch(page, /\b(src|href)=|url\(|@import|https?:/i);
  assert.equal(page.indexOf('<meta http-equiv="Content-Security-Policy"') < page.indexOf('<style>'), true);
});

test('the HTML report shows the chart, tables, suspects, diff and leak groups cut to top', () => {
  const page = renderHtml(fullReport(), { top: 3, generatedAt: 'now' });
  assert.equal(page.match(/<tr class="class-row">/g).length, 3);
  assert.equal(page.match(/<tr class="dominator-row">/g).length, 3);
  assert.equal(page.match(/<li class="suspect">/g).length, 2);
  assert.equal(page.match(/<tr class="diff-row">/g).length, 3);
  assert.equal(page.match(/<li class="leak-group">/g).length, 2);
  assert.equal(page.match(/<rect class="bar/g).length, 3 + 3 + 2);
  assert.ok(page.includes('(GC roots)[&quot;require.cache&quot;] → Module(/app/utils.js).children → Array[3] → Module'));
  assert.match(page, /Retained size by class <span class="muted">\(top 3 of 4\)/);
  // A diff's bars grow both ways from the middle: red for growth, green for shrinkage.
  assert.match(page, /<rect class="bar grow"/);
  assert.match(page, /<rect class="bar shrink"/);
});

// ---- HTML in headless Chromium -----------------------------------------------------------------

function findChromium() {
  for (const candidate of ['chromium', 'chromium-browser', 'google-chrome']) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (probe.status === 0) return candidate;
  }
  return null;
}

/** The DOM of `file` after Chromium loaded it (and ran whatever it would run). */
function renderedDom(chromium, file, profile) {
  const args = ['--headless=new', '--disable-gpu', '--no-first-run', '--no-default-browser-check'];
  args.push('--disable-dev-shm-usage', `--user-data-dir=${profile}`);
  // Chromium's sandbox cannot start as root (CI runs as root); the page is our own file.
  if (process.getuid && process.getuid() === 0) args.push('--no-sandbox');
  const run = spawnSync(chromium, [...args, '--dump-dom', pathToFileURL(file).href], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `chromium failed: ${run.error || run.stderr}`);
  return run.stdout;
}

const titleOf = (dom) => /<title>([^<]*)<\/title>/.exec(dom)[1];
const count = (dom, pattern) => (dom.match(pattern) || []).length;

test('headless Chromium renders the report, shows hostile strings as text, runs no script', (t) => {
  const chromium = findChromium();
  if (!chromium) {
    t.skip('chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)');
    return;
  }
  const dir = tempDir();
  const profile = path.join(dir, 'profile');
  const write = (name, page) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, page);
    return file;
  };
  const page = renderHtml(hostile(fullReport()), { top: 3, generatedAt: 'now' });
  const withoutCsp = page.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, '');
  assert.notEqual(withoutCsp, page);

  // Control: markup injected raw does run here (img onerror sets the title), so a title left
  // alone below means the escaping held, not that this browser would not run the payload.
  const control = renderedDom(chromium, write('control.html', `<title>safe</title>${PAYLOADS[2]}`), profile);
  assert.equal(titleOf(control), 'pwned', 'the control page ran its payload');

  // With and without the CSP: the escaping alone must keep the payloads inert.
  for (const [name, html] of [['report.html', page], ['report-no-csp.html', withoutCsp]]) {
    const dom = renderedDom(chromium, write(name, html), profile);
    const title = titleOf(dom);
    assert.ok(title.startsWith('Heap report: '), `${name}: title ${title}`);
    assert.ok(title.includes('&lt;'), `${name}: the hostile file name is text in the title`);
    assert.doesNotMatch(dom, /pwned<\/title>|<title>pwned/, `${name}: no script ran`);
    assert.equal(count(dom, /<h1>Heap report: /g), 1, `${name}: heading`);
    assert.equal(count(dom, /<tr class="class-row">/g), 3, `${name}: class table rows`);
    assert.equal(count(dom, /<rect class="bar[ "]/g), 3 + 3 + 2, `${name}: chart bars`);
    assert.equal(count(dom, /<li class="suspect">/g), 2, `${name}: suspects`);
    assert.equal(count(dom, /<li class="leak-group">/g), 2, `${name}: leak groups`);
    assert.equal(count(dom, /<img\b/gi), 0, `${name}: no injected element`);
    assert.equal(count(dom, /<svg\b/gi), 3, `${name}: only our charts`);
    assert.equal(count(dom, /<script\b/gi), 1, `${name}: only the data block`);
    assert.ok(dom.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), `${name}: payload shown as text`);
    assert.ok(dom.includes('&lt;img src=x onerror=alert(1)&gt;'), `${name}: payload shown as text`);
    assert.ok(dom.includes('&amp;amp;'), `${name}: &amp; shown literally`);
    assert.ok(dom.includes("Module(/app/utils.js)"), `${name}: retainer path`);
  }
});

// ---- CLI -------------------------------------------------------------------------------------

function sink({ isTTY = false, columns = 60 } = {}) {
  return {
    isTTY,
    columns,
    chunks: [],
    write(chunk) {
      this.chunks.push(String(chunk));
      return true;
    },
    get text() {
      return this.chunks.join('');
    },
  };
}

/** A heap engine that records its calls and returns the fixture results. */
function fakeEngine({ progress = [], fail } = {}) {
  const calls = [];
  const answer = (name, result) =>
    async function (...args) {
      calls.push({ name, args });
      if (fail) throw fail;
      const { onProgress } = args[args.length - 1] || {};
      for (const event of progress) onProgress && onProgress(event);
      return result();
    };
  return {
    calls,
    analyze: answer('analyze', fixtures.analysis),
    diff: answer('diff', fixtures.diff),
    leaks: answer('leaks', fixtures.leaks),
  };
}

function snapshotFiles() {
  const dir = tempDir();
  const file = (name, content) => {
    const target = path.join(dir, name);
    fs.writeFileSync(target, content);
    return target;
  };
  return {
    dir,
    a: file('a.heapsnapshot', ' \n {"snapshot":{"meta":{}}}'),
    bom: file('bom.heapsnapshot', '\ufeff{"snapshot":{"meta":{}}}'),
    b: file('b.heapsnapshot', '{"snapshot":{}}'),
    c: file('c.heapsnapshot', '{"snapshot":{}}'),
    text: file('notes.txt', 'hello'),
    empty: file('empty.heapsnapshot', ''),
    gzip: file('g.heapsnapshot.gz', Buffer.from([0x1f, 0x8b, 8, 0])),
  };
}

async function cli(argv, { engine = fakeEngine(), tty = false } = {}) {
  const stdout = sink();
  const stderr = sink({ isTTY: tty });
  const code = await main(argv, { engine, stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text, engine };
}

test('the CLI rejects bad usage with exit code 2 and a pointer to --help', async () => {
  const files = snapshotFiles();
  const cases = [
    [[], /missing command/],
    [['hep'], /unknown command 'hep'/],
    [['heap'], /missing heap command/],
    [['heap', 'analyse', files.a], /unknown command 'analyse' \(expected one of: analyze, diff, leaks\)/],
    [['heap', 'analyze'], /analyze expects 1 snapshot file\(s\) \(FILE\), got 0/],
    [['heap', 'diff', files.a], /diff expects 2 snapshot file\(s\) \(BEFORE AFTER\), got 1/],
    [['heap', 'leaks', files.a, files.b], /leaks expects 3 snapshot file\(s\) \(BASELINE TARGET FINAL\), got 2/],
    [['heap', 'analyze', files.a, '--top', '0'], /--top expects a positive integer, got '0'/],
    [['heap', 'analyze', files.a, '--top', 'many'], /--top expects a positive integer/],
    [['heap', 'analyze', files.a, '--html'], /--html/],
    [['heap', 'analyze', files.a, '--frobnicate'], /Unknown option '--frobnicate'/],
  ];
  for (const [argv, message] of cases) {
    const run = await cli(argv);
    assert.equal(run.code, EXIT.usage, argv.join(' '));
    assert.match(run.stderr, message);
    assert.match(run.stderr, /Run 'modswap heap --help' for usage\.\n$/);
    assert.equal(run.stdout, '');
    assert.equal(run.engine.calls.length, 0);
  }
});

test('--help prints the usage on stdout and exits 0', async () => {
  for (const argv of [['--help'], ['heap', '--help'], ['heap', 'diff', '-h']]) {
    const run = await cli(argv);
    assert.equal(run.code, 0);
    assert.match(run.stdout, /^Usage: modswap heap <command> \[options\]/);
    assert.match(run.stdout, /--json/);
  }
});

test('the CLI names a missing, unreadable or non-snapshot file with its own exit code', async () => {
  const files = snapshotFiles();
  const cases = [
    [[path.join(files.dir, 'nope.heapsnapshot')], EXIT.noInput, /cannot read '.*nope\.heapsnapshot': no such file/],
    [[files.dir], EXIT.noInput, /it is a directory/],
    [[files.text], EXIT.badSnapshot, /'.*notes\.txt' is not a heap snapshot/],
    [[files.empty], EXIT.badSnapshot, /is empty, not a heap snapshot/],
    [[files.gzip], EXIT.badSnapshot, /is gzip-compressed: decompress it first/],
    [[files.bom], EXIT.badSnapshot, /starts with a UTF-8 byte order mark, which V8 never writes/],
  ];
  for (const [operands, code, message] of cases) {
    const run = await cli(['heap', 'analyze', ...operands]);
    assert.equal(run.code, code, operands[0]);
    assert.match(run.stderr, message);
    assert.equal(run.engine.calls.length, 0, 'the engine is not started on a bad file');
  }
  const second = await cli(['heap', 'diff', files.a, files.text]);
  assert.equal(second.code, EXIT.badSnapshot);
  assert.match(second.stderr, /notes\.txt/);
});

test('without a heap engine the CLI says the command is not available in this build', async () => {
  const files = snapshotFiles();
  for (const engine of [null, {}, { analyze: 'no' }]) {
    const run = await cli(['heap', 'analyze', files.a], { engine });
    assert.equal(run.code, EXIT.unavailable);
    assert.match(run.stderr, /'modswap heap analyze' is not available in this build/);
  }
});

test('engine errors are reported with the engine message; a bad snapshot exits 65', async () => {
  const files = snapshotFiles();
  const bad = Object.assign(new Error(`${files.a}: truncated: nodes ends at byte 120 of 4096`), {
    code: 'ERR_MODSWAP_BAD_SNAPSHOT',
  });
  const run = await cli(['heap', 'analyze', files.a], { engine: fakeEngine({ fail: bad }) });
  assert.equal(run.code, EXIT.badSnapshot);
  assert.match(run.stderr, /^modswap: .*a\.heapsnapshot: truncated: nodes ends at byte 120 of 4096\n$/);
  const other = await cli(['heap', 'analyze', files.a], { engine: fakeEngine({ fail: new Error('out of memory') }) });
  assert.equal(other.code, EXIT.failed);
  assert.match(other.stderr, /out of memory/);
});

test('--json prints the engine result as JSON on stdout; the files reach the engine in order', async () => {
  const files = snapshotFiles();
  const analyze = await cli(['heap', 'analyze', files.a, '--json']);
  assert.equal(analyze.code, 0);
  assert.deepEqual(JSON.parse(analyze.stdout), fixtures.analysis());
  assert.equal(analyze.stderr, '');
  assert.deepEqual(analyze.engine.calls, [{ name: 'analyze', args: [files.a, { top: 50, paths: [] }] }], 'no progress callback off a TTY');

  const diff = await cli(['heap', 'diff', files.a, files.b, '--json']);
  assert.deepEqual(JSON.parse(diff.stdout), fixtures.diff());
  assert.deepEqual(diff.engine.calls[0].args.slice(0, 2), [files.a, files.b]);

  const leaks = await cli(['heap', 'leaks', '--json', files.a, files.b, files.c]);
  assert.deepEqual(JSON.parse(leaks.stdout), fixtures.leaks());
  assert.deepEqual(leaks.engine.calls[0].args.slice(0, 3), [files.a, files.b, files.c]);
});

test('without --json the CLI prints the text report, cut to --top', async () => {
  const files = snapshotFiles();
  const run = await cli(['heap', 'analyze', files.a, '--top', '3']);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, ANALYSIS_TEXT);
  const diff = await cli(['heap', 'diff', files.a, files.b]);
  assert.equal(diff.stdout, DIFF_TEXT);
  const leaks = await cli(['heap', 'leaks', files.a, files.b, files.c, '--top=1']);
  assert.equal(leaks.stdout, LEAKS_TEXT);
});

test('--html writes the report file; a missing directory fails before the engine runs', async () => {
  const files = snapshotFiles();
  const report = path.join(files.dir, 'report.html');
  const run = await cli(['heap', 'leaks', files.a, files.b, files.c, '--html', report, '--json']);
  assert.equal(run.code, 0);
  assert.deepEqual(JSON.parse(run.stdout), fixtures.leaks(), 'stdout stays machine-readable');
  assert.match(run.stderr, /HTML report written to .*report\.html\n$/);
  const page = fs.readFileSync(report, 'utf8');
  assert.match(page, /<title>Heap report: s1\.heapsnapshot, s2\.heapsnapshot, s3\.heapsnapshot<\/title>/);
  assert.match(page, /<li class="leak-group">/);

  const nowhere = await cli(['heap', 'analyze', files.a, '--html', path.join(files.dir, 'no', 'such', 'r.html')]);
  assert.equal(nowhere.code, EXIT.cantCreate);
  assert.match(nowhere.stderr, /cannot write the HTML report/);
  assert.equal(nowhere.engine.calls.length, 0);
});

test('on a terminal the engine gets onProgress and stderr shows a bar that is erased at the end', async () => {
  const files = snapshotFiles();
  const progress = [
    { phase: 'read', done: 0, total: 100 },
    { phase: 'read', done: 100, total: 100 },
    { phase: 'parse', done: 50, total: 100 },
    { phase: 'dominators', done: 3, total: 0 },
  ];
  const run = await cli(['heap', 'analyze', files.a], { engine: fakeEngine({ progress }), tty: true });
  assert.equal(run.code, 0);
  assert.equal(typeof run.engine.calls[0].args[1].onProgress, 'function');
  assert.match(run.stderr, /\r\x1b\[Kread +\[░+\] +0% /);
  assert.match(run.stderr, /\r\x1b\[Kparse +\[█+░+\] +50% /);
  assert.match(run.stderr, /\r\x1b\[Kdominators +… /);
  assert.ok(run.stderr.endsWith('\r\x1b[K'), 'the bar is erased before the report');
  assert.equal(run.stdout, formatAnalysis(fixtures.analysis()));
});

test('the progress bar redraws at most every interval within a phase, and not after finish', () => {
  const stream = sink({ columns: 50 });
  let now = 0;
  const bar = new ProgressBar(stream, { intervalMs: 100, now: () => now });
  for (let done = 0; done <= 1000; done++) {
    now = done; // one event per millisecond
    bar.update({ phase: 'parse', done, total: 1000 });
  }
  assert.equal(stream.chunks.length, 11);
  bar.update({ phase: 'dominators\x1b[2J', done: 1, total: 2 });
  assert.equal(stream.chunks.length, 12, 'a new phase draws at once');
  assert.doesNotMatch(stream.text, /\x1b\[2J/);
  bar.finish();
  bar.update({ phase: 'late', done: 1, total: 1 });
  assert.equal(stream.chunks.length, 13);
  assert.ok(stream.chunks.every((line) => line.length <= 60));
});

test('the progress bar shows the percentage and an ETA from the rate so far in the phase', () => {
  const stream = sink({ columns: 80 });
  let now = 10_000;
  const bar = new ProgressBar(stream, { intervalMs: 100, now: () => now });
  const last = () => stream.chunks[stream.chunks.length - 1];
  bar.update({ phase: 'dominators', done: 0, total: 1000 });
  assert.match(last(), /^\r\x1b\[Kdominators +\[░+\] +0% {2}0\.0 s {2}ETA –$/);
  now += 200;
  bar.update({ phase: 'dominators', done: 100, total: 1000 });
  assert.match(last(), / 10% {2}0\.2 s {2}ETA –$/, 'too early in the phase for a rate');
  now += 800;
  bar.update({ phase: 'dominators', done: 10, total: 1000 });
  assert.match(last(), / 1% {2}1\.0 s {2}ETA –$/, 'too little done for a rate');
  now += 1000;
  bar.update({ phase: 'dominators', done: 250, total: 1000 });
  // A quarter in 2 s: three quarters left take 6 s.
  assert.match(last(), /\[█+░+\] +25% {2}2\.0 s {2}ETA 6\.0 s$/);
  now += 38_000;
  bar.update({ phase: 'dominators', done: 400, total: 1000 });
  // 40 % in 40 s: 60 s left.
  assert.match(last(), / 40% {2}40\.0 s {2}ETA 1 min 00 s$/);
  // A new phase starts its own clock and rate (from the work done when it started).
  now += 1;
  bar.update({ phase: 'retained sizes', done: 500, total: 1000 });
  assert.match(last(), /^\r\x1b\[Kretained sizes \[█+░+\] +50% {2}0\.0 s {2}ETA –$/);
  now += 1000;
  bar.update({ phase: 'retained sizes', done: 800, total: 1000 });
  // 300 units in 1 s: the 200 left take 0.67 s.
  assert.match(last(), / 80% {2}1\.0 s {2}ETA 0\.7 s$/);
  assert.ok(stream.chunks.every((line) => line.length <= 4 + 79), 'the last column stays free');
});

test('bin/modswap.js runs: --help, and the real engine names the bad file of a diff', () => {
  const help = spawnSync(process.execPath, [BIN, 'heap', '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: modswap heap/);
  const files = snapshotFiles();
  // Both files pass the CLI's first-byte check; the engine reads AFTER first (its interface
  // definitions name both sides) and finds it lacks its arrays.
  const run = spawnSync(process.execPath, [BIN, 'heap', 'diff', files.a, files.b], { encoding: 'utf8' });
  assert.equal(run.status, EXIT.badSnapshot, run.stderr);
  assert.ok(run.stderr.includes(`modswap: ${files.b}: invalid heap snapshot`), run.stderr);
});

test('--path asks the engine for retainer paths; it is refused for other commands and bad ids', async () => {
  const files = snapshotFiles();
  const run = await cli(['heap', 'analyze', files.a, '--path', '14727', '--path', '@3', '--json']);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.engine.calls[0].args[1], { top: 50, paths: [14727, 3] });
  const onDiff = await cli(['heap', 'diff', files.a, files.b, '--path', '1']);
  assert.equal(onDiff.code, EXIT.usage);
  assert.match(onDiff.stderr, /--path only applies to analyze/);
  const bad = await cli(['heap', 'analyze', files.a, '--path', 'x1']);
  assert.equal(bad.code, EXIT.usage);
  assert.match(bad.stderr, /--path expects a node id/);
});
