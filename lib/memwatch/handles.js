'use strict';
// Handle and timer leaks. Counting costs nothing between samples: each sample reads
// process.getActiveResourcesInfo() (the types of the live handles, requests and ref'd timers
// Node already keeps lists of) and tallies it by type. Only a type whose count starts to grow
// with the work done gets a creation site: an async_hooks init/destroy hook, limited to that type
// and enabled only while it is suspected, records where each new one is created and which are
// still alive. (An always-on hook with a stack per creation was measured against this; see
// BENCHMARKS.md, "Handle and listener leaks".)
const asyncHooks = require('node:async_hooks');
const net = require('node:net');
const { GrowthSeries, grouped, perUnitText, WINDOW } = require('./growth');
const { creationSite } = require('./site');

/** getActiveResourcesInfo()'s names whose async_hooks type is not the name in capitals. */
const ASYNC_TYPE = {
  TCPSocketWrap: 'TCPWRAP',
  ConnectWrap: 'TCPCONNECTWRAP',
  PipeSocketWrap: 'PIPEWRAP',
  Timeout: 'Timeout',
  Immediate: 'Immediate',
};

const asyncTypeOf = (type) => ASYNC_TYPE[type] ?? type.toUpperCase();

const UNKNOWN = 'unknown';
/**
 * `server.listen(port, host)` creates its handle a tick later (after a DNS lookup, or a
 * nextTick for an IP address), where no user frame is on the stack. While a server type is
 * suspected, listen() is wrapped to note its site; a server handle created without a user frame
 * takes the oldest noted site whose listen() has not created its handle yet.
 */
const SERVER_TYPES = new Set(['TCPSERVERWRAP', 'PIPESERVERWRAP']);
const MAX_PENDING_LISTENS = 64;
/**
 * Stacks taken per sample interval while a type is suspected. A stack costs tens of µs; a server
 * that creates a timer per request would otherwise pay one per request for the whole suspicion
 * (measured: 3x the CPU per request). Creations past the budget are not attributed: the sites
 * are those of a sample of the creations, spread over the interval as the load is.
 */
const STACKS_PER_SAMPLE = 100;

/** Counts of each type in one getActiveResourcesInfo() list. */
function tally(types) {
  const counts = new Map();
  for (const type of types) counts.set(type, (counts.get(type) ?? 0) + 1);
  return counts;
}

/**
 * Where the live resources of the suspected types were created, since their suspicion began.
 * One async hook serves every suspected type; it is disabled when none is left, so a process
 * without a suspect pays nothing (an enabled hook makes every promise call into it).
 */
class SiteTracker {
  constructor() {
    /** async_hooks type -> Map(site -> live count) */
    this.sites = new Map();
    /** asyncId -> { type, site } of the live ones */
    this.live = new Map();
    /** Sites of listen() calls whose handle is not created yet, oldest first. */
    this.pendingListens = [];
    this.listenPatch = undefined;
    this.hook = asyncHooks.createHook({
      init: (asyncId, type) => this.init(asyncId, type),
      destroy: (asyncId) => this.destroy(asyncId),
    });
    this.enabled = false;
    this.stacksLeft = STACKS_PER_SAMPLE;
  }

  /** A new sample interval: a new budget of stacks. */
  refill() {
    this.stacksLeft = STACKS_PER_SAMPLE;
  }

  init(asyncId, type) {
    const sites = this.sites.get(type);
    // Servers are rare, and each leaves a site pending in patchListen(): always attributed.
    if (sites === undefined || (this.stacksLeft <= 0 && !SERVER_TYPES.has(type))) return;
    this.stacksLeft -= 1;
    let site = creationSite(SiteTracker.prototype.init);
    if (site === UNKNOWN && SERVER_TYPES.has(type)) site = this.pendingListens.shift() ?? UNKNOWN;
    this.live.set(asyncId, { type, site });
    sites.set(site, (sites.get(site) ?? 0) + 1);
  }

  destroy(asyncId) {
    const entry = this.live.get(asyncId);
    if (entry === undefined) return;
    this.live.delete(asyncId);
    const sites = this.sites.get(entry.type);
    if (sites !== undefined) sites.set(entry.site, sites.get(entry.site) - 1);
  }

  watching(type) {
    return this.sites.has(type);
  }

  watch(type) {
    if (!this.sites.has(type)) this.sites.set(type, new Map());
    if (SERVER_TYPES.has(type)) this.patchListen();
    if (!this.enabled) {
      this.hook.enable();
      this.enabled = true;
    }
  }

  unwatch(type) {
    this.sites.delete(type);
    for (const [asyncId, entry] of this.live) if (entry.type === type) this.live.delete(asyncId);
    if (this.sites.size === 0) this.disable();
    else if (![...this.sites.keys()].some((watched) => SERVER_TYPES.has(watched))) this.unpatchListen();
  }

  patchListen() {
    if (this.listenPatch !== undefined) return;
    const original = net.Server.prototype.listen;
    const pending = this.pendingListens;
    const wrapper = function listen() {
      const site = creationSite(wrapper);
      // A listen() that failed before creating its handle leaves its site: keep the list short.
      if (pending.length >= MAX_PENDING_LISTENS) pending.shift();
      pending.push(site);
      const result = Reflect.apply(original, this, arguments);
      // Created at once (no host, or a handle given): the init hook saw the user frame.
      if (this._handle && pending[pending.length - 1] === site) pending.pop();
      return result;
    };
    Object.defineProperty(wrapper, 'name', { value: 'listen' });
    net.Server.prototype.listen = wrapper;
    this.listenPatch = { original, wrapper };
  }

  unpatchListen() {
    if (this.listenPatch === undefined) return;
    const { original, wrapper } = this.listenPatch;
    if (net.Server.prototype.listen === wrapper) net.Server.prototype.listen = original;
    this.listenPatch = undefined;
    this.pendingListens.length = 0;
  }

  /** The site with the most live resources of `type` attributed since the suspicion, if any. */
  topSite(type) {
    let top;
    for (const [site, count] of this.sites.get(type) ?? []) {
      if (count > 0 && (top === undefined || count > top.count)) top = { site, count };
    }
    return top;
  }

  disable() {
    if (this.enabled) this.hook.disable();
    this.enabled = false;
    this.sites.clear();
    this.live.clear();
    this.unpatchListen();
  }
}

/** Reported, and not yet grown by half since: no need to pay for attribution again. */
function recentlyReported(series) {
  return series.reportedAt > 0 && series.last.count < 1.5 * series.reportedAt;
}

/** Watches the live handle counts by type; reports a type that grows with the work done. */
class HandleWatch {
  constructor() {
    this.series = new Map();
    this.tracker = new SiteTracker();
    /** Samples taken since each suspected type began to be tracked. */
    this.suspectedFor = new Map();
  }

  /** Takes one sample; returns the 'leak' payloads it leads to. */
  sample(at, work) {
    this.tracker.refill();
    const counts = tally(process.getActiveResourcesInfo());
    for (const type of counts.keys()) if (!this.series.has(type)) this.series.set(type, new GrowthSeries());
    const leaks = [];
    for (const [type, series] of this.series) {
      series.add({ count: counts.get(type) ?? 0, at, work });
      const leak = this.judge(type, series);
      if (leak !== undefined) leaks.push(leak);
    }
    return leaks;
  }

  judge(type, series) {
    const asyncType = asyncTypeOf(type);
    if (!this.tracker.watching(asyncType)) {
      if (series.suspect() && !recentlyReported(series)) {
        this.tracker.watch(asyncType);
        this.suspectedFor.set(type, 0);
      }
      return undefined;
    }
    const age = this.suspectedFor.get(type) + 1;
    this.suspectedFor.set(type, age);
    // Growth without a single new creation in a whole window (unref'd timers ref'd again, say)
    // is still reported, with an unknown site.
    const top = this.tracker.topSite(asyncType) ?? (age >= WINDOW ? { site: UNKNOWN, count: 0 } : undefined);
    if (series.growing() && top !== undefined) {
      this.drop(type, asyncType);
      return this.payload(type, series, top);
    }
    // A suspicion a whole window old that did not turn into growth was a warm-up.
    if (age > WINDOW && !series.suspect()) this.drop(type, asyncType);
    return undefined;
  }

  drop(type, asyncType) {
    this.tracker.unwatch(asyncType);
    this.suspectedFor.delete(type);
  }

  payload(type, series, top) {
    const common = series.report();
    return {
      kind: 'handles',
      ...common,
      type,
      site: top.site,
      siteCount: top.count,
      reason: `${type} created at ${top.site} — ${grouped(common.count)} alive, ${perUnitText(common)}`,
    };
  }

  stop() {
    this.tracker.disable();
    this.series.clear();
    this.suspectedFor.clear();
  }
}

module.exports = { HandleWatch, tally, asyncTypeOf };
