'use strict';
// Every workload set of the leak-detector comparison, in one list the child indexes into: the
// three sets of memwatch-workloads.js and, when the file is there, the blind set written without
// reading the detectors (memwatch-workloads-blind.js, issue I). Kept apart from both files so
// that neither has to require the other.
const { ALL_WORKLOADS: BASE_WORKLOADS } = require('./memwatch-workloads');

/** The blind set, or [] when this checkout does not have it yet. */
function blindWorkloads() {
  try {
    return require('./memwatch-workloads-blind').BLIND_WORKLOADS;
  } catch (error) {
    if (error.code === 'MODULE_NOT_FOUND' && /memwatch-workloads-blind/.test(error.message)) return [];
    throw error;
  }
}

const ALL_WORKLOADS = [...BASE_WORKLOADS, ...blindWorkloads()];

module.exports = { ALL_WORKLOADS };
