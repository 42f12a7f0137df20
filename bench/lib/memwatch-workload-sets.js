'use strict';
// Every workload set of the leak-detector comparison, in one list the child indexes into: the
// three sets of memwatch-workloads.js and, when their files are there, the blind set written
// without reading the detectors (memwatch-workloads-blind.js, issue I) and the second blind set
// (memwatch-workloads-blind2.js), written the same way after the first had been used for tuning.
// Kept apart from those files so that none has to require another.
const { ALL_WORKLOADS: BASE_WORKLOADS } = require('./memwatch-workloads');

/** Export `name` of the optional set module `file`, or [] when this checkout does not have it. */
function optionalSet(file, name) {
  try {
    return require(`./${file}`)[name];
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && error.message.includes(`${file}'`)) return [];
    throw error;
  }
}

const ALL_WORKLOADS = [
  ...BASE_WORKLOADS,
  ...optionalSet('memwatch-workloads-blind', 'BLIND_WORKLOADS'),
  ...optionalSet('memwatch-workloads-blind2', 'BLIND2_WORKLOADS'),
];

module.exports = { ALL_WORKLOADS };
