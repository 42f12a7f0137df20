// Registered with module.register by bench/esm-swap-child.mjs when the contender's hooks run on
// Node's hooks thread (hot-hook everywhere, modswap on Node 20): what that thread's heap keeps
// per swap (resolve results, a tool's own version tables) is not in the main thread's heapUsed,
// so the child asks this probe for it. It declares no hooks; it only answers "heap?" with the
// hooks thread's used heap after forced GCs.
import v8 from 'node:v8';
import vm from 'node:vm';
import { setImmediate as nextTurn } from 'node:timers/promises';

export function initialize({ port }) {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc');
  port.on('message', async () => {
    for (let i = 0; i < 6; i++) {
      gc();
      await nextTurn();
    }
    port.postMessage(v8.getHeapStatistics().used_heap_size);
  });
  port.unref();
}
