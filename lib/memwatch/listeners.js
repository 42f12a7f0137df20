'use strict';
// Listener leaks. EventEmitter's own bookkeeping already counts listeners per emitter and event
// (emitter._events[event] is an array once there are two); what it lacks is a list of emitters.
// addListener/on/prependListener are wrapped to read that count after each add, and an emitter
// is noted only when one event's count reaches a power of two from 16 on, with the creation
// site of that listener (the only stack taken). Each sample then sums the listener counts of the
// noted emitters by (emitter class, event, site); a sum that grows with the work done is a leak.
// Node's MaxListenersExceededWarning (one warning per emitter, after maxListeners, silent when
// the app raised the limit) was the other candidate: cheaper by one call per add, blind more often.
const EventEmitter = require('node:events');
const { GrowthSeries, grouped, perUnitText } = require('./growth');
const { creationSite } = require('./site');

const FIRST_NOTE = 16;
const PATCHED = ['addListener', 'on', 'prependListener'];

const isNoteworthy = (n) => n >= FIRST_NOTE && (n & (n - 1)) === 0;

/** 'Socket', 'Server', 'EventEmitter': the emitter's class, as users name it. */
function emitterLabel(emitter) {
  const name = emitter?.constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'EventEmitter';
}

class ListenerWatch {
  constructor() {
    /** key -> { emitter, event, site, refs: Set(WeakRef), series } */
    this.groups = new Map();
    /** emitter -> Set(event) already noted */
    this.noted = new WeakMap();
    this.originals = undefined;
    this.failed = undefined;
  }

  /** Wraps the add methods; the wrappers call the original first and never throw their own errors. */
  start() {
    if (this.originals !== undefined) return;
    const proto = EventEmitter.prototype;
    this.originals = new Map(PATCHED.map((name) => [name, proto[name]]));
    const wrappers = new Map();
    for (const [name, original] of this.originals) {
      // on and addListener are one function: they stay one function.
      if (!wrappers.has(original)) wrappers.set(original, this.wrap(original));
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      Object.defineProperty(proto, name, { ...descriptor, value: wrappers.get(original) });
    }
    this.wrappers = wrappers;
  }

  wrap(original) {
    const watch = this;
    const wrapper = {
      [original.name](type, listener) {
        const result = Reflect.apply(original, this, arguments);
        const list = this._events?.[type];
        if (list !== undefined && typeof list !== 'function' && isNoteworthy(list.length)) {
          watch.note(this, type, wrapper);
        }
        return result;
      },
    }[original.name];
    return wrapper;
  }

  note(emitter, event, wrapper) {
    try {
      let events = this.noted.get(emitter);
      if (events === undefined) this.noted.set(emitter, (events = new Set()));
      if (events.has(event)) return;
      events.add(event);
      const site = creationSite(wrapper);
      const label = emitterLabel(emitter);
      const key = `${label}\0${String(event)}\0${site}`;
      let group = this.groups.get(key);
      if (group === undefined) {
        const series = new GrowthSeries();
        // refs: WeakRef(emitter) -> its count at the previous sample; added: the listeners
        // added to noted emitters since they were noted, the series' count.
        group = { emitter: label, event: String(event), rawEvent: event, site, refs: new Map(), added: 0, series };
        this.groups.set(key, group);
      }
      group.refs.set(new WeakRef(emitter), emitter.listenerCount(event));
    } catch (error) {
      // Never into the user's on(): kept for the tests and dropped otherwise.
      this.failed = error;
    }
  }

  /** Takes one sample; returns the 'leak' payloads it leads to. */
  sample(at, work) {
    const leaks = [];
    for (const [key, group] of this.groups) {
      const total = this.count(group);
      if (group.refs.size === 0) {
        this.groups.delete(key);
        continue;
      }
      group.series.add({ count: group.added, total, at, work });
      if (group.series.growing()) leaks.push(this.payload(group));
    }
    return leaks;
  }

  /**
   * Listeners of the group's event on its emitters still alive (and still listened to). What
   * they gained since the last sample goes to `group.added`: the growth rule follows that, not
   * the total, which jumps by 16 or more each time an emitter is noted and drops when one goes.
   */
  count(group) {
    let count = 0;
    for (const [ref, previous] of group.refs) {
      const emitter = ref.deref();
      const n = emitter === undefined ? 0 : emitter.listenerCount(group.rawEvent);
      if (emitter !== undefined) {
        group.added += n - previous;
        group.refs.set(ref, n);
      }
      if (n === 0) {
        // Noted again if it fills up again.
        group.refs.delete(ref);
        if (emitter !== undefined) this.noted.get(emitter)?.delete(group.rawEvent);
      }
      count += n;
    }
    return count;
  }

  payload(group) {
    const common = group.series.report();
    return {
      kind: 'listeners',
      ...common,
      emitter: group.emitter,
      event: group.event,
      site: group.site,
      emitters: group.refs.size,
      reason:
        `'${group.event}' listeners on ${group.emitter} added at ${group.site} — ` +
        `${grouped(common.count)} attached, ${perUnitText(common)}`,
    };
  }

  /** Puts the original methods back unless someone wrapped ours since. */
  stop() {
    if (this.originals === undefined) return;
    const proto = EventEmitter.prototype;
    for (const [name, original] of this.originals) {
      if (proto[name] === this.wrappers.get(original)) {
        Object.defineProperty(proto, name, { ...Object.getOwnPropertyDescriptor(proto, name), value: original });
      }
    }
    this.originals = undefined;
    this.wrappers = undefined;
    this.groups.clear();
    this.noted = new WeakMap();
  }
}

module.exports = { ListenerWatch, emitterLabel };
