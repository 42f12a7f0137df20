'use strict';
// The key traps shared by every stand-in that forwards to a current version (hot() handles of
// CommonJS and of ES modules).

/**
 * `ownKeys` and `getOwnPropertyDescriptor` traps over `current()`. A Proxy must report its
 * target's own non-configurable properties faithfully (a callable target has `prototype`), so
 * those come from the target and every other descriptor is handed out as configurable.
 */
function forwardedKeyTraps(target, current) {
  return {
    ownKeys: () => {
      const keys = new Set(Reflect.ownKeys(current()));
      for (const key of Reflect.ownKeys(target)) {
        if (!Reflect.getOwnPropertyDescriptor(target, key).configurable) keys.add(key);
      }
      return [...keys];
    },
    getOwnPropertyDescriptor: (_, key) => {
      const own = Reflect.getOwnPropertyDescriptor(target, key);
      if (own !== undefined && !own.configurable) return own;
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor === undefined ? undefined : { ...descriptor, configurable: true };
    },
  };
}

module.exports = { forwardedKeyTraps };
