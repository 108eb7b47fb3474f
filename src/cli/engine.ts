/**
 * The engine, loaded on first use: dockerode costs ~100 ms to import, and verbs such as
 * `config` never need it.
 */
export { connect as connectEngine } from '../engine/connect.js';
