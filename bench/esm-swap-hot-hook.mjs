// Preload of the hot-hook contender (bench/esm-swap-child.mjs): what `--import=hot-hook/register`
// does, without reading a package.json for its options. HOT_HOOK_WATCH=true: hot-hook's own
// file watcher (chokidar, in its loader thread) sees changes; otherwise the changes come as the
// 'hot-hook:file-changed' messages its runner sends. The entry script becomes hot-hook's root.
import { hot } from 'hot-hook';

await hot.init({ watch: process.env.HOT_HOOK_WATCH === 'true' });
