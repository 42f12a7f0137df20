'use strict';
// The fixed GC-heavy work of the memwatch overhead benchmarks (memwatch-stats-child.js,
// memwatch-otel-child.js): `rounds` rounds of short-lived allocation (frequent scavenges) that
// also retain every other object in a list dropped when it reaches RETAIN_LIMIT (promotion to
// the old generation, so regular full GCs). Rounds are one event-loop turn apart, as request
// handlers would be, so GC notifications are delivered during the run.

const OBJECTS_PER_ROUND = 20000;
/** Retained objects before the list is dropped: ~6 MB of old generation each time. */
const RETAIN_LIMIT = 100000;

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Runs the work; returns a checksum so that nothing is optimized away. */
async function work(rounds) {
  let retained = [];
  let checksum = 0;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < OBJECTS_PER_ROUND; i++) {
      const item = { id: i, round, name: `n${i}`, pair: [i, round] };
      checksum = (checksum + item.pair.length + item.name.length) | 0;
      if ((i & 1) === 0) retained.push(item);
    }
    if (retained.length >= RETAIN_LIMIT) retained = [];
    await nextTurn();
  }
  return checksum;
}

module.exports = { work, nextTurn, OBJECTS_PER_ROUND, RETAIN_LIMIT };
