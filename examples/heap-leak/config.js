'use strict';
// A module worth reloading: its state is a sizeable table, rebuilt on every load.
module.exports = {
  routes: Array.from({ length: 20_000 }, (_, i) => ({ path: `/item/${i}`, weight: i % 7 })),
};
