'use strict';
// How busy the machine was with *other* work while a section ran: busy CPU time of the whole
// machine (/proc/stat) minus this process's own and its reaped children's (/proc/self/stat).
// On a 2-core box a concurrent build or test run skews every timing, so the report shows it.
// Linux only; elsewhere the readings are null.
const fs = require('node:fs');
const os = require('node:os');

function machineTicks() {
  // cpu  user nice system idle iowait irq softirq steal …
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fs
    .readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

function ownTicks() {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  // Fields after "(comm) " start at field 3; utime, stime, cutime, cstime are fields 14..17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
}

/** A reading to pass to `otherCores` later, or null where /proc is unavailable. */
function snapshot() {
  try {
    return { ...machineTicks(), own: ownTicks() };
  } catch {
    return null;
  }
}

/** Average number of cores other processes kept busy between two snapshots. */
function otherCores(before, after) {
  if (!before || !after || after.total === before.total) return null;
  const others = after.busy - before.busy - (after.own - before.own);
  return Math.max(0, (others / (after.total - before.total)) * os.cpus().length);
}

module.exports = { snapshot, otherCores };
