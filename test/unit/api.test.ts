/**
 * The programmatic API as a consumer sees it: everything comes from the package entry point,
 * with the types a test runner's globalSetup would write against. The type-level checks are
 * enforced by `npm run typecheck` (expectTypeOf does nothing at run time).
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../../src/index.js';
import {
  ExitCode, ProjectLockedError, TugError, connect, down, engineHost, loadProject, logs, ps, startStack, up, withProjectLock,
  type ContainerSummary, type Engine, type LockHolder, type Project, type ProjectLogLine, type StartStackOptions, type StartedStack,
} from '../../src/index.js';

describe('the package entry point', () => {
  it('exports the functions a harness needs', () => {
    for (const name of ['loadProject', 'connect', 'up', 'down', 'ps', 'logs', 'startStack', 'withProjectLock', 'engineHost'] as const) {
      expect(typeof api[name], name).toBe('function');
    }
    expect(ProjectLockedError.prototype).toBeInstanceOf(TugError);
    expect(ExitCode.projectLocked).toBe(6);
  });

  it('has the documented signatures', () => {
    expectTypeOf(loadProject).returns.resolves.toEqualTypeOf<Project>();
    expectTypeOf(connect).returns.resolves.toEqualTypeOf<Engine>();
    expectTypeOf(up).parameter(0).toEqualTypeOf<Engine>();
    expectTypeOf(up).parameter(1).toEqualTypeOf<Project>();
    expectTypeOf(down).parameter(1).toEqualTypeOf<string>();
    expectTypeOf(ps).parameter(0).toEqualTypeOf<Engine>();
    expectTypeOf(ps).parameter(1).toEqualTypeOf<string>();
    expectTypeOf(logs).parameter(1).toEqualTypeOf<string>();
    expectTypeOf(ps).returns.resolves.toEqualTypeOf<ContainerSummary[]>();
    expectTypeOf(logs).returns.toMatchTypeOf<AsyncIterable<ProjectLogLine>>();
    expectTypeOf<ProjectLogLine>().toEqualTypeOf<{ service: string; container: string; stream: 'stdout' | 'stderr'; text: string }>();
    expectTypeOf(startStack).parameter(0).toEqualTypeOf<StartStackOptions | undefined>();
    expectTypeOf(startStack).returns.resolves.toEqualTypeOf<StartedStack>();
    expectTypeOf<StartedStack['stop']>().toEqualTypeOf<() => Promise<void>>();
    expectTypeOf<StartedStack['project']>().toEqualTypeOf<Project>();
    expectTypeOf(engineHost).returns.toEqualTypeOf<string>();
    expectTypeOf<ProjectLockedError['holder']>().toEqualTypeOf<LockHolder | undefined>();
  });

  it('compiles a globalSetup written against it', () => {
    // Never called: compiling it is the check, as a user's file would be compiled.
    const setup = async (): Promise<() => Promise<void>> => {
      const stack = await startStack({ files: ['compose.yaml'], projectName: 'demo', wait: true, onProgress: (e) => void e.state });
      for (const c of await ps(stack.engine, stack.project.name)) void c.health;
      const ctl = new AbortController();
      for await (const line of logs(stack.engine, stack.project.name, { services: ['db'], tail: 10, follow: true, signal: ctl.signal })) {
        if (line.text.includes('ready')) break;
      }
      await withProjectLock(engineHost(), stack.project.name, { wait: false }, async () => {});
      return () => stack.stop();
    };
    expect(typeof setup).toBe('function');
  });
});
