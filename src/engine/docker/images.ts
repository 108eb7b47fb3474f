/**
 * Images: look-up, pull and build. A pull or build answers 200 before it does anything, so
 * its failure arrives inside the progress stream and is read from there. Either failure is
 * the service's (exit code 5), unless the engine itself went away.
 */
import type { Readable } from 'node:stream';
import { EngineUnreachableError, ExitCode, TugError } from '../../errors.js';
import { isAbsolute, relative, resolve } from 'node:path';
import { compareApi } from '../api-version.js';
import { buildContext } from './build.js';
import { instructionAt } from './dockerfile.js';
import type { DockerClient, Connection } from './client.js';
import { childSignal } from '../../util/abortable.js';
import { readBuildMessage, readDistributionDigest, readImage, readImageId, readImagePlatform, readPullProgress, readStreamError, splitRef } from './map.js';
import { jsonLines } from './streams.js';
import type { BuildOptions, BuilderSupport, ImagePlatform, ImageSummary, PullProgress } from '../types.js';

export async function imageId(client: DockerClient, ref: string): Promise<string | undefined> {
  const { docker } = await client.get();
  const i = await client.orMissing(client.call(`inspecting image ${ref}`, () => docker.getImage(ref).inspect()));
  return i && readImageId(i);
}

export async function imagePlatform(client: DockerClient, ref: string): Promise<ImagePlatform | undefined> {
  const { docker } = await client.get();
  const i = await client.orMissing(client.call(`inspecting image ${ref}`, () => docker.getImage(ref).inspect()));
  return i && readImagePlatform(i);
}

export async function removeImage(client: DockerClient, ref: string): Promise<void> {
  const { docker } = await client.get();
  await client.call(`removing image ${ref}`, () => docker.getImage(ref).remove());
}

export async function listImages(client: DockerClient, filter: { references?: string[] } = {}): Promise<ImageSummary[]> {
  const { docker } = await client.get();
  const filters: Record<string, string[]> = filter.references?.length ? { reference: filter.references } : {};
  const list = await client.call('listing images', () => docker.listImages({ filters }));
  return list.map(readImage);
}

export async function tagImage(client: DockerClient, source: string, target: string): Promise<void> {
  const { docker } = await client.get();
  const { repo, tag } = splitRef(target);
  await client.call(`tagging ${source} as ${target}`, () => docker.getImage(source).tag({ repo, tag }));
}

export async function pullImage(client: DockerClient, ref: string, onProgress?: (p: PullProgress) => void, signal?: AbortSignal): Promise<void> {
  const { docker } = await client.get();
  const failed = (e: unknown): never => {
    const w = client.wrap(e, `pulling ${ref}`);
    if (w instanceof EngineUnreachableError || signal?.aborted) throw w;
    throw new TugError('pull_failed', w.message, { cause: e, exitCode: ExitCode.serviceFailed });
  };
  // Its own signal: pulls run side by side off the command's one signal (see onAbort).
  const own = signal ? childSignal(signal) : undefined;
  try {
    await pullStream(client, docker, ref, own?.signal, onProgress, failed);
  } finally {
    own?.release();
  }
}

async function pullStream(
  client: DockerClient, docker: Connection['docker'], ref: string, signal: AbortSignal | undefined, onProgress: ((p: PullProgress) => void) | undefined, failed: (e: unknown) => never,
): Promise<void> {
  const stream: NodeJS.ReadableStream = await client.call(`pulling ${ref}`, () =>
    docker.pull(ref, signal ? { abortSignal: signal } : {})).catch(failed);
  let streamError: string | undefined;
  await new Promise<void>((done, fail) => {
    docker.modem.followProgress(
      stream,
      (err) => (err ? fail(err) : done()),
      (p: unknown) => {
        // An HTTP 200 pull can still fail: the registry's refusal arrives inside the stream.
        const msg = readStreamError(p);
        if (msg !== undefined) {
          streamError ??= msg;
          return;
        }
        onProgress?.(readPullProgress(p));
      },
    );
  }).catch(failed);
  if (streamError !== undefined) throw new TugError('pull_failed', `pulling ${ref}: ${streamError}`, { exitCode: ExitCode.serviceFailed });
}

/**
 * Whether builds can go to the engine's BuildKit: Docker Engine from 18.09 (API 1.39) has it
 * built in and serves it through `/build?version=2` and `/session`. Podman's compatible API
 * builds with Buildah and has no BuildKit session.
 */
export async function builderSupport(client: DockerClient): Promise<BuilderSupport> {
  const { api, flavour } = await client.get();
  if (flavour === 'podman') return { buildkit: false, why: 'Podman builds with Buildah and serves no BuildKit session', apiVersion: api };
  if (compareApi(api, '1.39') < 0) return { buildkit: false, why: `BuildKit needs Engine API 1.39 (Docker 18.09); the engine speaks ${api}`, apiVersion: api };
  return { buildkit: true, apiVersion: api };
}

/** Builds on the builder asked for (the classic one unless `builder` says BuildKit), tagging every tag. */
export async function buildImage(client: DockerClient, opts: BuildOptions): Promise<string> {
  const { docker } = await client.get();
  const [first, ...others] = opts.tags;
  const what = `building ${first ?? opts.context}`;
  const dockerfileOpt = opts.dockerfile ?? 'Dockerfile';
  const { tar, dockerfile, text } = await buildContext(opts.context, dockerfileOpt, opts.dockerfileInline);
  const query = buildQuery(opts, dockerfile);
  let id: string;
  if (opts.builder === 'buildkit') {
    const { buildKit } = await import('./buildkit/build.js');
    const displayName = opts.dockerfileInline !== undefined ? 'dockerfile_inline' : displayPath(resolve(opts.context, dockerfileOpt));
    id = await buildKit(client, opts, { what, tar, dockerfile, text, displayName, query });
  } else {
    id = await classicBuild(client, opts, what, tar, query, text, opts.dockerfileInline !== undefined ? 'dockerfile_inline' : displayPath(resolve(opts.context, dockerfileOpt)));
  }
  const full = (await imageId(client, id)) ?? id;
  for (const tag of others) {
    const { repo, tag: t } = splitRef(tag);
    await client.call(`tagging ${full} as ${tag}`, () => docker.getImage(full).tag({ repo, tag: t }));
  }
  return full;
}

/** The build's query parameters, as both builders read them. */
function buildQuery(opts: BuildOptions, dockerfile: string): Record<string, unknown> {
  const q: Record<string, unknown> = { dockerfile, rm: true, forcerm: true };
  const [first] = opts.tags;
  if (first !== undefined) q.t = first;
  const args = { ...opts.args, ...(opts.inlineCache ? { BUILDKIT_INLINE_CACHE: '1' } : {}) };
  if (Object.keys(args).length) q.buildargs = args;
  if (opts.target) q.target = opts.target;
  if (opts.labels && Object.keys(opts.labels).length) q.labels = opts.labels;
  if (opts.noCache) q.nocache = true;
  if (opts.pull) q.pull = true;
  if (opts.platform) q.platform = opts.platform;
  if (opts.network) q.networkmode = opts.network;
  if (opts.extraHosts?.length) q.extrahosts = opts.extraHosts;
  if (opts.shmSize !== undefined) q.shmsize = opts.shmSize;
  if (opts.ulimits?.length) q.ulimits = JSON.stringify(opts.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })));
  if (opts.cacheFrom?.length) q.cachefrom = JSON.stringify(opts.cacheFrom);
  return q;
}

/** A path as a person would type it from here: relative when below the working directory. */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/**
 * The classic builder: its stream is lines of text, `Step i/n : INSTRUCTION` before each step.
 * A failure is reported with the failing step's output and its Dockerfile line.
 */
async function classicBuild(
  client: DockerClient, opts: BuildOptions, what: string, tar: Readable, query: Record<string, unknown>, text: string, displayName: string,
): Promise<string> {
  const { docker } = await client.get();
  if (opts.signal) query.abortSignal = opts.signal;
  const failed = (e: unknown): never => {
    const w = client.wrap(e, what);
    if (w instanceof EngineUnreachableError || opts.signal?.aborted) throw w;
    throw new TugError('build_failed', w.message, { cause: e, exitCode: ExitCode.serviceFailed });
  };
  const res = (await client.call(what, () => docker.buildImage(tar as unknown as NodeJS.ReadableStream, query)).catch(failed)) as unknown as Readable;
  let id: string | undefined;
  let step: string | undefined;
  let stepOutput: string[] = [];
  let error: string | undefined;
  try {
    for await (const raw of jsonLines(res)) {
      const m = readBuildMessage(raw);
      if (m.error !== undefined) error ??= m.error;
      if (m.imageId !== undefined) id = m.imageId;
      if (m.stream === undefined) continue;
      for (const line of m.stream.split('\n')) {
        const text = line.trimEnd();
        if (!text) continue;
        if (/^Step \d+\/\d+ : /.test(text)) {
          step = text;
          stepOutput = [];
          opts.onStep?.(text);
        } else if (!/^ ---> /.test(text)) {
          stepOutput.push(text);
          if (stepOutput.length > 20) stepOutput.shift();
        }
        const built = /^Successfully built ([0-9a-f]+)$/.exec(text);
        if (built) id ??= built[1];
        opts.onProgress?.(text);
      }
    }
  } catch (e) {
    failed(e);
  } finally {
    res.destroy();
  }
  if (error !== undefined) {
    const n = step ? Number(/^Step (\d+)\//.exec(step)?.[1]) : NaN;
    const ins = Number.isFinite(n) ? instructionAt(text, n) : undefined;
    const where = ins ? `${displayName}:${ins.endLine > ins.line ? `${ins.line}-${ins.endLine}` : ins.line}: ` : '';
    const output = stepOutput.map((l) => l.replace(/\x1b\[[0-9;]*m/g, '').trimEnd())
      .filter((l) => l && !l.startsWith('Running in ') && !l.startsWith('Removing intermediate container'));
    throw new TugError('build_failed', `${what}: ${where}${step ? `${step}: ` : ''}${error}${output.length ? `\n${output.map((l) => `  > ${l}`).join('\n')}` : ''}`,
      { exitCode: ExitCode.serviceFailed });
  }
  if (id === undefined) throw new TugError('build_failed', `${what}: the engine reported no image id`, { exitCode: ExitCode.serviceFailed });
  return id;
}

/**
 * Pushes `ref` to its registry. A registry that wants no credentials still needs the header,
 * so an empty auth config is sent. Fails with `push_failed` (exit 5) when the registry refuses.
 */
export async function pushImage(client: DockerClient, ref: string, signal?: AbortSignal): Promise<void> {
  const { repo, tag } = splitRef(ref);
  const failed = (e: unknown): never => {
    const w = client.wrap(e, `pushing ${ref}`);
    if (w instanceof EngineUnreachableError || signal?.aborted) throw w;
    throw new TugError('push_failed', w.message, { cause: e, exitCode: ExitCode.serviceFailed });
  };
  const res: Readable = await client.dial<Readable>(`pushing ${ref}`, {
    path: `/images/${encodeURIComponent(repo)}/push?`, method: 'POST', options: { tag }, isStream: true,
    headers: { 'X-Registry-Auth': Buffer.from('{}').toString('base64') }, abortSignal: signal, statusCodes: { 200: true },
  }).catch(failed);
  let error: string | undefined;
  try {
    for await (const m of jsonLines(res)) error ??= readStreamError(m);
  } catch (e) {
    failed(e);
  } finally {
    res.destroy();
  }
  if (error !== undefined) throw new TugError('push_failed', `pushing ${ref}: ${error}`, { exitCode: ExitCode.serviceFailed });
}

/**
 * The digest a registry holds for `ref`, asked through the engine (`/distribution`), or
 * undefined when no registry answers within `timeoutMs`: a cluster without a reachable
 * registry must not stall on every service the way `docker stack deploy` does.
 */
export async function registryDigest(client: DockerClient, ref: string, timeoutMs: number): Promise<string | undefined> {
  try {
    const r = await client.dial(`asking the registry for ${ref}`, {
      path: `/distribution/${encodeURIComponent(ref)}/json?`, method: 'GET', options: {}, abortSignal: AbortSignal.timeout(timeoutMs), statusCodes: { 200: true },
    });
    return readDistributionDigest(r);
  } catch {
    return undefined;
  }
}
