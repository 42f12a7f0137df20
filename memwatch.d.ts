// Types of require('modswap/memwatch'), the same object as require('modswap').memwatch.
import type { Memwatch } from './index';

declare const memwatch: Memwatch;
export = memwatch;
