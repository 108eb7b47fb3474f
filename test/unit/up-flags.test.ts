import { describe, expect, it } from 'vitest';
import { quietPulls } from '../../src/cli/commands/up.js';
import type { ProgressEvent } from '../../src/run/progress.js';

const ev = (action: ProgressEvent['action'], state: ProgressEvent['state']): ProgressEvent =>
  ({ resource: action === 'pull' ? 'image' : 'container', name: 'x', action, state, time: 0 });

describe('up --quiet-pull', () => {
  it('drops pull progress, keeps a failed or warned pull and everything else', () => {
    const seen: ProgressEvent[] = [];
    const listener = quietPulls((e) => seen.push(e), true);
    for (const e of [ev('pull', 'working'), ev('pull', 'done'), ev('pull', 'error'), ev('pull', 'warning'), ev('create', 'done')]) listener(e);
    expect(seen.map((e) => `${e.action}:${e.state}`)).toEqual(['pull:error', 'pull:warning', 'create:done']);
  });

  it('passes everything through without the flag', () => {
    const seen: ProgressEvent[] = [];
    quietPulls((e) => seen.push(e), undefined)(ev('pull', 'working'));
    expect(seen).toHaveLength(1);
  });
});
