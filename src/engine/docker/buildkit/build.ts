/**
 * A build on the engine's own BuildKit, through the Engine API: `POST /build?version=2` with the
 * context as the body and a session serving secrets and ssh agents. Progress arrives as
 * BuildKit status messages (`moby.buildkit.trace`), folded here into lines of output and the
 * step now running; a failing step is reported with its output and its Dockerfile line.
 *
 * Loaded only when a build runs: it brings gRPC and protobufjs with it.
 */
import type { Readable } from 'node:stream';
import { EngineUnreachableError, ExitCode, TugError } from '../../../errors.js';
import type { BuildOptions } from '../../types.js';
import type { DockerClient } from '../client.js';
import { locateStep, parseDockerfile, type Instruction } from '../dockerfile.js';
import { readStreamError } from '../map.js';
import { jsonLines } from '../streams.js';
import { decodeStatus, type StatusResponse } from './proto.js';
import { openSession } from './session.js';

/** Lines of a failing step's output kept for its report. */
const TAIL_LINES = 20;

interface VertexState {
  name: string;
  shown: boolean;
  cached: boolean;
  done: boolean;
  error?: string;
  /** The last lines of output, and the unfinished one. */
  tail: string[];
  partial: string;
}

/** Plumbing BuildKit reports as steps of its own: not worth a line. */
const PLUMBING = /^(\[internal\]|copy \/context \/$)/;

/**
 * Folds BuildKit's status messages: a line when a step starts (or is found cached), its output
 * line by line, and the step running now.
 */
export class BuildKitProgress {
  private readonly vertices = new Map<string, VertexState>();
  private current?: string;

  constructor(private readonly out: { line?: (l: string) => void; step?: (s: string) => void }) {}

  apply(s: StatusResponse): void {
    for (const v of s.vertexes) {
      const st = this.vertex(v.digest, v.name);
      if (v.name) st.name = v.name;
      st.cached ||= v.cached;
      if (v.error) st.error = v.error;
      const plumbing = PLUMBING.test(st.name);
      if (!st.shown && !plumbing && (v.started || v.cached)) {
        st.shown = true;
        this.out.line?.(st.cached ? `${st.name} (cached)` : st.name);
        if (!st.cached && st.name !== this.current) {
          this.current = st.name;
          this.out.step?.(st.name);
        }
      }
      if (v.completed && !st.done) {
        st.done = true;
        this.flush(st);
        if (v.error && !plumbing) this.out.line?.(`ERROR ${st.name}: ${v.error}`);
      }
    }
    for (const l of s.logs) {
      const st = this.vertex(l.vertex, '');
      const text = st.partial + l.msg.toString('utf8');
      const lines = text.split('\n');
      st.partial = lines.pop() ?? '';
      for (const raw of lines) this.push(st, raw);
    }
  }

  /** The step that failed, when one did: its name, error and last lines of output. */
  failed(): { name: string; error: string; output: string[] } | undefined {
    for (const st of this.vertices.values()) {
      if (st.error === undefined || /context canceled/.test(st.error)) continue;
      this.flush(st);
      return { name: st.name, error: st.error, output: [...st.tail] };
    }
    return undefined;
  }

  private vertex(digest: string, name: string): VertexState {
    let st = this.vertices.get(digest);
    if (!st) this.vertices.set(digest, (st = { name, shown: false, cached: false, done: false, tail: [], partial: '' }));
    return st;
  }

  private flush(st: VertexState): void {
    if (st.partial) this.push(st, st.partial);
    st.partial = '';
  }

  private push(st: VertexState, raw: string): void {
    // A progress bar rewinds with \r: what shows is the last segment.
    const line = raw.replace(/\r$/, '').split('\r').at(-1)!.trimEnd();
    if (!line.trim()) return;
    st.tail.push(line);
    if (st.tail.length > TAIL_LINES) st.tail.shift();
    this.out.line?.(line);
  }
}

/** `Dockerfile:7` (or `:7-9` for a continued instruction) and the instruction as written. */
export function describeStep(ins: Instruction | undefined, dockerfileName: string): string {
  if (!ins) return '';
  const lines = ins.endLine > ins.line ? `${ins.line}-${ins.endLine}` : `${ins.line}`;
  const text = `${ins.keyword} ${ins.args}`.split('\n')[0]!.replace(/\s+/g, ' ').trim();
  return `${dockerfileName}:${lines}: ${text.length > 120 ? `${text.slice(0, 117)}...` : text}`;
}

export interface BuildKitRequest {
  what: string;
  tar: Readable;
  /** Its name inside the context. */
  dockerfile: string;
  /** Its text, and how to name it in a report (`Dockerfile`, `docker/app.Dockerfile`). */
  text: string;
  displayName: string;
  query: Record<string, unknown>;
}

export async function buildKit(client: DockerClient, opts: BuildOptions, req: BuildKitRequest): Promise<string> {
  const failed = (e: unknown): never => {
    const w = client.wrap(e, req.what);
    if (w instanceof EngineUnreachableError || opts.signal?.aborted) throw w;
    throw new TugError('build_failed', w.message, { cause: e, exitCode: ExitCode.serviceFailed });
  };
  const session = await openSession(client, { secrets: opts.secrets, ssh: opts.ssh }).catch(failed);
  const progress = new BuildKitProgress({ line: opts.onProgress, step: opts.onStep });
  let id: string | undefined;
  let error: string | undefined;
  try {
    const res = await client.dial<Readable>(req.what, {
      path: '/build?', method: 'POST', options: { ...req.query, version: '2', session: session.id }, file: req.tar,
      isStream: true, statusCodes: { 200: true }, abortSignal: opts.signal,
    }).catch(failed);
    try {
      for await (const raw of jsonLines(res)) {
        const m = raw as { id?: string; aux?: unknown };
        if (m.id === 'moby.buildkit.trace' && typeof m.aux === 'string') progress.apply(decodeStatus(m.aux));
        else if (m.id === 'moby.image.id') id = String((m.aux as { ID?: unknown } | undefined)?.ID ?? '') || id;
        error ??= readStreamError(raw);
      }
    } catch (e) {
      failed(e);
    } finally {
      res.destroy();
    }
  } finally {
    session.close();
  }
  if (error !== undefined) throw new TugError('build_failed', failureReport(req, progress, error), { exitCode: ExitCode.serviceFailed });
  if (!id) throw new TugError('build_failed', `${req.what}: the engine reported no image id`, { exitCode: ExitCode.serviceFailed });
  return id;
}

/** `building x: Dockerfile:7: RUN make: exit code 2`, then the step's last lines of output. */
function failureReport(req: BuildKitRequest, progress: BuildKitProgress, error: string): string {
  const step = progress.failed();
  if (!step) return `${req.what}: ${error}`;
  const where = describeStep(locateStep(parseDockerfile(req.text), step.name), req.displayName) || step.name;
  const code = /exit code: (\d+)\s*$/.exec(step.error);
  const why = code ? `exit code ${code[1]}` : step.error;
  const output = step.output.length ? `\n${step.output.map((l) => `  > ${l}`).join('\n')}` : '\n  (the step printed nothing)';
  return `${req.what}: ${where}: ${why}${output}`;
}
