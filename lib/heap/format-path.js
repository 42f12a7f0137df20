'use strict';
// Retainer paths and leak suspects as one line of text, DevTools / memlab style:
//   Module(/app/utils.js).children[3] → Module(/app/update_mod.js)
// A path is a list of RetainerStep { edge, edgeType, node } from a GC root down to the node;
// step i's edge leads from step i-1's node to step i's node, so it is written after the previous
// node's name. The first step's edge (from the synthetic root) is not shown.
const { printable, truncate, nodeName, formatInt, formatShare } = require('./format-values');

const ARROW = ' → ';
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
// V8's internal edge names read best as they are: "(object elements)", "(shared function info)".
const PARENTHESIZED = /^\([^()[\]]*\)$/;
const INDEX = /^\d+$/;

/**
 * How an edge is written after its source node: `.name` for identifiers and V8's internal
 * "(…)" names, `[3]` for elements, `["any other key"]` quoted so that a key containing dots,
 * brackets or arrows cannot pass for more path.
 * @param {{ edge: string, edgeType?: string }} step
 * @returns {string}
 */
function formatEdge(step) {
  const name = String(step.edge ?? '');
  if (name === '') return '';
  if (/^\[\d+\]$/.test(name)) return name;
  if (INDEX.test(name) && (step.edgeType === 'element' || step.edgeType === 'hidden')) return `[${name}]`;
  if (IDENTIFIER.test(name) || PARENTHESIZED.test(name)) return `.${printable(name)}`;
  return `["${printable(name.replace(/["\\]/g, '\\$&'))}"]`;
}

/** A node's name cut to `nameWidth` code points. */
function formatNodeName(node, nameWidth) {
  return truncate(nodeName(node), nameWidth);
}

/**
 * Which steps to show: all of them, or the first two and the last `maxSteps - 2` with the
 * number of elided nodes between (the end near the retained object is the informative one).
 */
function keptSteps(steps, maxSteps) {
  if (!(maxSteps >= 3) || steps.length <= maxSteps) return { head: steps.length, elided: 0 };
  return { head: 2, elided: steps.length - maxSteps };
}

/**
 * One-line retainer path: `A.prop → B[3] → C`.
 * @param {Array<{ edge: string, edgeType: string, node: { name: string, type: string } }>} steps
 *   from a GC root down to the retained node
 * @param {{ nameWidth?: number, maxSteps?: number }} [options] nameWidth cuts each node's name
 *   (default 80 code points); maxSteps elides the middle of longer paths (default: no limit)
 * @returns {string} an empty string for an empty path
 */
function formatPath(steps, { nameWidth = 80, maxSteps = Infinity } = {}) {
  if (!Array.isArray(steps) || steps.length === 0) return '';
  const { head, elided } = keptSteps(steps, maxSteps);
  let text = formatNodeName(steps[0].node, nameWidth);
  for (let i = 1; i < steps.length; i++) {
    if (i === head && elided > 0) {
      text += `${formatEdge(steps[i])}${ARROW}… (${elided} more)${ARROW}`;
      i += elided;
      text += formatNodeName(steps[i].node, nameWidth);
      continue;
    }
    text += `${formatEdge(steps[i])}${ARROW}${formatNodeName(steps[i].node, nameWidth)}`;
  }
  return text;
}

/** `'Array' @2016689`: a node as named in a suspect line. */
function formatNodeRef(node, nameWidth = 80) {
  return `'${formatNodeName(node, nameWidth)}' @${formatId(node && node.id)}`;
}

/** A node id as V8 prints it: digits, no separators. */
function formatId(id) {
  return typeof id === 'number' && Number.isFinite(id) ? String(id) : '?';
}

/**
 * One-line leak suspect:
 * `'Module' @14727 retains 172,321,048 bytes (81.5%), accumulated in 'Array' @2016689`.
 * @param {{ node: object, share: number, accumulatedIn: object | null }} suspect
 * @param {{ nameWidth?: number }} [options]
 * @returns {string}
 */
function formatSuspect(suspect, { nameWidth = 80 } = {}) {
  const { node, share, accumulatedIn } = suspect;
  const head = `${formatNodeRef(node, nameWidth)} retains ${formatInt(node && node.retainedSize)} bytes (${formatShare(share)})`;
  return accumulatedIn ? `${head}, accumulated in ${formatNodeRef(accumulatedIn, nameWidth)}` : head;
}

module.exports = { formatPath, formatEdge, formatSuspect, formatNodeRef, formatId };
