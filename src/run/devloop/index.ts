/** The dev loop (`tug watch`, `up --watch`): develop.watch rules applied to file changes. */
export { checkWatch, watch, type WatchOptions } from './session.js';
export { followAndWatch, type FollowAndWatchOptions } from './attached.js';
export type { BatchOptions } from './batch.js';
export type { Subscribe, Subscription } from './files.js';
