// Case 7: loading stays linear whatever the aliases. `tug config -q` with the caches off (what
// the first run after an edit pays), a whole process per call, on three files: an anchor-heavy
// one (~35 KB, 142 aliases of a 1,500-key anchor, ~213,000 values once expanded), an alias-free
// one of the same size in bytes, and the document the first stands for written out in full (a
// few MB). Target: the anchor-heavy file within 1.3x of the alias-free one of its size. Needs
// no engine.
import { list, median, ms, must, project, ratio, table, TUG, writeStack } from '../harness.mjs';

const ALIASES = 142;
const KEYS = 1500;

function anchorHeavy() {
  const anchor = 'x-big: &big\n' + Array.from({ length: KEYS }, (_, i) => `  key${i}: value-${i}-x\n`).join('');
  const uses = 'x-uses:\n' + Array.from({ length: ALIASES }, (_, i) => `  u${i}: *big\n`).join('');
  return `services:\n  web:\n    image: busybox\n${anchor}${uses}`;
}

/** An alias-free file of at least `bytes` bytes: one service and a long extension mapping. */
function aliasFree(bytes) {
  let text = 'services:\n  web:\n    image: busybox\nx-flat:\n';
  for (let i = 0; text.length < bytes; i++) text += `  key${i}: value-${i}-x\n`;
  return text;
}

/**
 * The anchor-heavy file's document written out, as far as the loader takes it: written in full
 * (213,000 values, 5 MB) it is over the 100,000 nodes a stack file may have (src/stack/limits.ts),
 * so the first WRITTEN aliases only.
 */
const WRITTEN = 60;
function expanded() {
  const body = Array.from({ length: KEYS }, (_, i) => `    key${i}: value-${i}-x\n`).join('');
  const anchor = 'x-big:\n' + body.replace(/^ {2}/gm, '');
  return `services:\n  web:\n    image: busybox\n${anchor}x-uses:\n${Array.from({ length: WRITTEN }, (_, i) => `  u${i}:\n${body}`).join('')}`;
}

async function bench({ runs }) {
  const n = Math.max(5, runs);
  const heavyText = anchorHeavy();
  const files = [
    [`anchor-heavy (${(heavyText.length / 1024).toFixed(0)} KB, ${ALIASES} aliases)`, writeStack('aliases-heavy', heavyText)],
    ['alias-free, same size in bytes', writeStack('aliases-flat', aliasFree(heavyText.length))],
    [`alias-free, the document written out (first ${WRITTEN} aliases)`, writeStack('aliases-expanded', expanded())],
  ];
  console.log(`\n== 7. loading an anchor-heavy file: tug config -q, caches off (wall, median of ${n}) ==`);
  const cold = { env: { ...process.env, TUG_NO_CACHE: '1' } };
  const name = project('aliases');
  const times = files.map(() => []);
  // Interleaved, so that a burst of load on the machine falls on every file alike.
  for (let i = 0; i < n; i++) {
    for (const [k, [, file]] of files.entries()) {
      times[k].push((await must(process.execPath, [TUG, '-f', file, '-p', name, 'config', '-q'], cold)).ms);
    }
  }
  const medians = times.map(median);
  table(
    ['file', 'median', 'runs (ms)', 'x alias-free same size'],
    files.map(([label], k) => [label, ms(medians[k]), list(times[k]), ratio(medians[k], medians[1])]),
  );
  console.log(`  target: anchor-heavy within 1.30x of the alias-free file of its size (now ${ratio(medians[0], medians[1])})`);
  return { heavy: medians[0], flat: medians[1], expanded: medians[2] };
}

export default {
  id: 7,
  name: 'aliases',
  title: 'loading an anchor-heavy file cold, against alias-free files (config -q)',
  needsEngine: false,
  run: bench,
};
