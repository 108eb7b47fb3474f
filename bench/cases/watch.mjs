// Case 6: the dev loop. `tug watch` on a busybox service whose `develop.watch` syncs ./app into
// /app. A loop inside the container prints a line the moment /app/f.txt changes; the line's
// engine timestamp (`docker logs -t`, the same clock as this process: the engine is local)
// minus the time the file was written on the host is the edit's latency, the whole of it:
// the watcher, the debounce, the tar and the engine's extraction. Then 1,000 new files are
// written at once, and tug's JSON progress must show them arriving as ONE sync (one tar for
// the one container).
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import tarStream from 'tar-stream';
import { children, list, median, ms, must, note, percentile, project, sleep, table, TUG, writeStack } from '../harness.mjs';

const EDITS = 20;
const BATCH = 1000;

const STACK = `services:
  web:
    image: busybox
    init: true
    # Prints "seen <content>" whenever /app/f.txt changes (checked every 2 ms).
    command: ["sh", "-c", "last=; while :; do c=$$(cat /app/f.txt 2>/dev/null); if [ \\"$$c\\" != \\"$$last\\" ]; then echo \\"seen $$c\\"; last=$$c; fi; usleep 2000; done"]
    develop:
      watch:
        - path: ./app
          action: sync
          target: /app
`;

/** A long-running process whose output lines are kept, with a way to wait for one. */
function follow(cmd, args, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  children.add(child);
  const lines = [];
  const waiters = new Set();
  let closed = false;
  const feed = (stream) => {
    let partial = '';
    stream.on('data', (d) => {
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop();
      for (const l of parts) lines.push({ at: Date.now(), text: l, stream });
      for (const w of [...waiters]) w();
    });
  };
  feed(child.stdout);
  feed(child.stderr);
  const exit = new Promise((resolve) => child.on('close', (code) => {
    closed = true;
    children.delete(child);
    for (const w of [...waiters]) w();
    resolve(code);
  }));
  const until = (match, what, timeoutMs = 10_000) => new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(check);
    };
    const check = () => {
      const hit = lines.find((l, k) => match(l, k));
      if (hit) return void (done(), resolve(hit));
      if (closed) return void (done(), reject(new Error(`${cmd} exited before ${what}`)));
    };
    const timer = setTimeout(() => (done(), reject(new Error(`no ${what} within ${timeoutMs} ms`))), timeoutMs);
    waiters.add(check);
    check();
  });
  return { child, lines, until, exit };
}

/**
 * The engine's own part of a sync, with no tug: one `PUT /containers/{id}/archive` of a one-file
 * tar, as tug sends it, timed from the request to the engine's answer. The floor under the sync.
 */
async function putArchiveMs(container, i) {
  const pack = tarStream.pack();
  pack.entry({ name: 'app/floor.txt', mode: 0o644, mtime: new Date() }, `floor ${i}\n`);
  pack.finalize();
  const chunks = [];
  for await (const c of pack) chunks.push(c);
  const body = Buffer.concat(chunks);
  const host = process.env.DOCKER_HOST ?? '';
  const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : '/var/run/docker.sock';
  const t0 = performance.now();
  await new Promise((resolve, reject) => {
    const req = request({
      socketPath, method: 'PUT', path: `/containers/${encodeURIComponent(container)}/archive?path=%2F&copyUIDGID=true`,
      headers: { 'Content-Type': 'application/x-tar', 'Content-Length': body.length },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`PUT archive: HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
  return performance.now() - t0;
}

const json = (l) => {
  if (!l.text.startsWith('{')) return undefined;
  try {
    return JSON.parse(l.text);
  } catch {
    return undefined;
  }
};

async function bench() {
  console.log(`\n== 6. the dev loop: tug watch, ${EDITS} edits from write to readable in the container, and a batch of ${BATCH} files ==`);
  const file = writeStack('watch', STACK);
  const app = join(dirname(file), 'app');
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'f.txt'), 'v0');
  const name = project('watch');
  const container = `${name}-web-1`;
  const watch = follow(process.execPath, [TUG, '-f', file, '-p', name, 'watch', '--progress', 'json']);
  let logs;
  try {
    await watch.until((l) => json(l)?.action === 'watch' && json(l)?.message?.startsWith('enabled'), 'watch enabled', 120_000);
    logs = follow('docker', ['logs', '-f', '-t', '--since', '0s', container]);

    // One edit at a time, each left to settle: a sync, not a debounce of several edits.
    const latencies = [];
    // Split from tug's own progress: write -> tug starts the sync (watcher + debounce), and the sync itself.
    const detect = [];
    const syncing = [];
    for (let i = 1; i <= EDITS; i++) {
      await sleep(250);
      const from = watch.lines.length;
      const wrote = Date.now(); // the wall clock, as the engine's timestamps are
      writeFileSync(join(app, 'f.txt'), `v${i}`);
      try {
        const line = await logs.until((l) => l.text.endsWith(` seen v${i}`), `the container seeing edit ${i}`, 5_000);
        const seenAt = Date.parse(line.text.slice(0, line.text.indexOf(' ')));
        latencies.push(seenAt - wrote);
        const done = await watch.until((l, k) => k >= from && json(l)?.action === 'sync' && json(l).state === 'done', `the sync of edit ${i}`, 5_000);
        const e = json(done);
        detect.push(Date.parse(e.time) - e.durationMs - wrote);
        syncing.push(e.durationMs);
      } catch (err) {
        note(`edit ${i}: ${err.message}`);
        latencies.push(NaN);
      }
    }

    // 1,000 new files at once, in a new directory.
    await sleep(300);
    const before = watch.lines.length;
    const t0 = Date.now();
    mkdirSync(join(app, 'many'));
    for (let i = 0; i < BATCH; i++) writeFileSync(join(app, 'many', `f${String(i).padStart(4, '0')}.txt`), `file ${i}\n`);
    const wroteAll = Date.now();
    const syncedAll = await (async () => {
      // Syncs done since the writes began, until they account for all the files.
      const deadline = Date.now() + 20_000;
      for (;;) {
        const syncs = watch.lines.slice(before).map(json).filter((e) => e?.action === 'sync' && e.state === 'done');
        if (syncs.reduce((n, e) => n + (e.detail?.files ?? 0), 0) >= BATCH) return syncs;
        if (Date.now() > deadline) return syncs;
        await sleep(20);
      }
    })();
    const last = syncedAll.at(-1);
    // The engine's floor: the same kind of archive, sent straight to it, one at a time.
    const floor = [];
    for (let i = 0; i < EDITS; i++) {
      await sleep(50);
      floor.push(await putArchiveMs(container, i).catch((err) => (note(`floor ${i}: ${err.message}`), NaN)));
    }
    const inContainer = (await must('docker', ['exec', container, 'sh', '-c', 'ls /app/many | wc -l'])).stdout.trim();
    const oneTar = syncedAll.length === 1 && last?.detail?.files === BATCH && last.detail.archives === 1;
    if (!oneTar) {
      note(`the ${BATCH} files did not go as one tar: ${syncedAll.length} sync(s), ${JSON.stringify(syncedAll.map((e) => e.detail))}`);
    }
    if (inContainer !== String(BATCH)) note(`the container has ${inContainer} files in /app/many, not ${BATCH}`);

    table(
      ['measure', 'median', 'p95', 'values (ms)'],
      [
        [`edit -> readable in the container (${EDITS} edits)`, ms(median(latencies)), ms(percentile(latencies, 95)), list(latencies)],
        ['  of which: write -> sync begins (watcher + debounce)', ms(median(detect)), ms(percentile(detect, 95)), list(detect)],
        ['  of which: the sync (plan, list, tar, engine)', ms(median(syncing)), ms(percentile(syncing, 95)), list(syncing)],
        ['engine floor: one PUT /archive of a file, no tug', ms(median(floor)), ms(percentile(floor, 95)), list(floor)],
        [`${BATCH} files written -> synced (from the first write)`, ms(last ? Date.parse(last.time) - t0 : NaN), '',
          `writing took ${wroteAll - t0} ms, the sync ${last?.durationMs ?? '—'} ms`],
        [`${BATCH} files: syncs / archives / bytes`, oneTar ? 'one tar' : `${syncedAll.length} syncs`, '',
          last ? `${syncedAll.length} / ${syncedAll.reduce((n, e) => n + (e.detail?.archives ?? 0), 0)} / ${last.detail?.bytes}` : '—'],
      ],
    );
    const max = Math.max(...latencies.filter(Number.isFinite));
    console.log(`  target: an edit inside the container within 300 ms (median ${ms(median(latencies))}, p95 ${ms(percentile(latencies, 95))}, worst ${ms(max)})`);
    return { latencies, batchMs: last ? Date.parse(last.time) - t0 : NaN, oneTar };
  } finally {
    logs?.child.kill('SIGTERM');
    watch.child.kill('SIGINT');
    const code = await Promise.race([watch.exit, sleep(10_000).then(() => 'timeout')]);
    if (code !== 0) note(`tug watch ended with ${code} on Ctrl-C, not 0`);
  }
}

export default {
  id: 6,
  name: 'watch',
  title: `the dev loop: ${EDITS} edits write -> readable in the container, median and p95 (target < 300 ms), ${BATCH} files as one tar`,
  needsEngine: true,
  run: bench,
};
