'use strict';
// The event library of bench/memwatch-profile.bench.js's service: it keeps every id it ever
// sent in a list nothing empties, ids built by string concatenation. The leak the profile must
// name is the push below (its function: send).
class EventBus {
  constructor() {
    this.sent = [];
    this.seq = 0;
    this.handlers = new Map();
  }

  on(name, handler) {
    this.handlers.set(name, handler);
  }

  send(name, payload) {
    const id = 'evt-' + name + '-' + (this.seq += 1) + '-' + Date.now().toString(36);
    this.sent.push(id);
    const handler = this.handlers.get(name);
    if (handler) handler(payload, id);
    return id;
  }
}

module.exports = { EventBus };
