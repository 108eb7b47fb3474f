/**
 * A service's `build:` section as the engine's build request, for the builder the engine
 * offers: its own BuildKit (Engine API `version=2` with a session), or the classic builder.
 * Whatever the chosen builder cannot do through the Engine API is refused at the key's line,
 * before anything is built or created, never silently dropped.
 */
import { compareApi } from '../api-version.js';
import type { BuilderKind, BuilderSupport, BuildOptions, BuildSecret } from '../types.js';
import type { Project, Service } from '../../stack/model.js';
import { unsupported } from './context.js';

/** From this API version (Docker 23) the engine hands BuildKit a build's shm_size and ulimits. */
export const BUILDKIT_LIMITS_API = '1.42';

export interface BuildSpecOptions {
  /** What the engine offers. */
  support: BuilderSupport;
  /** The classic builder even where BuildKit is there (`DOCKER_BUILDKIT=0`). */
  forceClassic?: boolean;
  /** Where `environment:` secrets and the `default` ssh agent (SSH_AUTH_SOCK) are read. */
  env: Record<string, string | undefined>;
  /** Whether `path` is a socket (an ssh agent's); a key file is not. */
  isSocket: (path: string) => boolean;
}

/** The request fields of the build, without the per-run callbacks and flags. */
export type BuildSpec = Omit<BuildOptions, 'signal' | 'onProgress' | 'onStep'> & { builder: BuilderKind };

/** The builder this engine and environment use, and why not BuildKit when not. */
export function chooseBuilder(support: BuilderSupport, forceClassic?: boolean): { kind: BuilderKind; why?: string } {
  if (forceClassic) return { kind: 'classic', why: 'DOCKER_BUILDKIT=0 asks for the classic builder' };
  return support.buildkit ? { kind: 'buildkit' } : { kind: 'classic', ...(support.why ? { why: support.why } : {}) };
}

/** `DOCKER_BUILDKIT=0` (or false) selects the classic builder, as it does for the docker CLI and Compose. */
export function classicRequested(env: Record<string, string | undefined>): boolean {
  const v = env.DOCKER_BUILDKIT?.trim().toLowerCase();
  return v === '0' || v === 'false';
}

export function buildSpec(project: Project, svc: Service, ref: string, opts: BuildSpecOptions): BuildSpec {
  const b = svc.build;
  if (!b) throw new Error(`bug: service "${svc.name}" has no build section`);
  const { kind, why } = chooseBuilder(opts.support, opts.forceClassic);
  const buildkit = kind === 'buildkit';
  const refuse = (key: string, reason: string, hint?: string): never => {
    throw unsupported(svc.name, `build.${key}`, reason, hint);
  };
  /** A key only BuildKit honours, on the classic builder. */
  const needsBuildKit = (key: string): never =>
    refuse(key, `it needs BuildKit, and builds here use the classic builder (${why ?? 'the engine has no BuildKit'})`,
      opts.forceClassic ? 'unset DOCKER_BUILDKIT' : `remove ${key}, or build on a Docker Engine with BuildKit (18.09 or later)`);
  const raw = b as typeof b & { entitlements?: string[]; provenance?: unknown; sbom?: unknown };

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(b.context) || b.context.startsWith('git@')) {
    refuse('context', 'tug sends a local directory as the build context, not a URL', 'clone or download it, and point context at the directory');
  }
  if (b.additional_contexts && Object.keys(b.additional_contexts).length) {
    refuse('additional_contexts', "the Engine API's build request has no named contexts (buildx talks to BuildKit directly for them)",
      'COPY from a stage of the Dockerfile, or build the image with docker buildx bake first');
  }
  if (b.privileged) refuse('privileged', "the Engine API's build grants no security.insecure entitlement", 'remove privileged, or build with docker buildx');
  if (raw.entitlements?.length) refuse('entitlements', "the Engine API's build grants no entitlements", 'remove entitlements, or build with docker buildx');
  for (const key of ['provenance', 'sbom'] as const) {
    const v = raw[key];
    if (v !== undefined && v !== false && String(v).toLowerCase() !== 'false') {
      refuse(key, 'the engine stores images without attestations', `remove ${key}, or build and push with docker buildx`);
    }
  }
  if (b.isolation !== undefined && b.isolation !== 'default') refuse('isolation', `isolation "${b.isolation}" exists only on Windows engines`);

  const spec: BuildSpec = {
    builder: kind,
    context: b.context,
    tags: [ref, ...(b.tags ?? [])],
    args: Object.fromEntries(Object.entries(b.args ?? {}).filter((e): e is [string, string] => e[1] !== null)),
  };
  if (b.dockerfile_inline !== undefined) spec.dockerfileInline = b.dockerfile_inline;
  else if (b.dockerfile !== undefined) spec.dockerfile = b.dockerfile;
  if (b.target) spec.target = b.target;
  if (b.labels && Object.keys(b.labels).length) spec.labels = b.labels;
  if (b.no_cache) spec.noCache = true;
  if (b.pull) spec.pull = true;

  const platforms = b.platforms ?? [];
  if (svc.platform !== undefined) {
    if (platforms.length && !platforms.includes(svc.platform)) {
      refuse('platforms', `they do not include the service's platform ${svc.platform}`, `add ${svc.platform} to build.platforms`);
    }
    spec.platform = svc.platform;
  } else if (platforms.length > 1) {
    refuse('platforms', `the engine's image store keeps one platform per tag, and ${platforms.length} are listed`,
      'keep one platform (or set platform: on the service), or build and push a multi-platform image with docker buildx');
  } else if (platforms.length === 1) spec.platform = platforms[0]!;

  if (b.network !== undefined && b.network !== '' && b.network !== 'default') {
    if (buildkit && b.network !== 'host' && b.network !== 'none') {
      refuse('network', `BuildKit runs RUN steps on the default network, the host's or none, not on "${b.network}"`,
        'use network: host or none, or DOCKER_BUILDKIT=0 for the classic builder');
    }
    spec.network = b.network;
  }
  const hosts = Object.entries(b.extra_hosts ?? {}).flatMap(([host, ips]) => ips.map((ip) => `${host}:${ip}`));
  if (hosts.length) spec.extraHosts = hosts;
  const ulimits = Object.entries(b.ulimits ?? {});
  if (b.shm_size !== undefined || ulimits.length) {
    if (buildkit && compareApi(opts.support.apiVersion, BUILDKIT_LIMITS_API) < 0) {
      refuse(b.shm_size !== undefined ? 'shm_size' : 'ulimits',
        `the engine hands BuildKit a build's shm_size and ulimits from Engine API ${BUILDKIT_LIMITS_API} (Docker 23); it speaks ${opts.support.apiVersion}`,
        'upgrade the engine, or DOCKER_BUILDKIT=0 for the classic builder');
    }
    if (b.shm_size !== undefined) spec.shmSize = b.shm_size;
    if (ulimits.length) spec.ulimits = ulimits.map(([name, u]) => ({ name, soft: u.soft, hard: u.hard }));
  }

  const cacheFrom = (b.cache_from ?? []).map((entry) => {
    const image = cacheImage(entry);
    if (image === undefined) {
      refuse('cache_from', `"${entry}": the Engine API's build imports cache only from images (type=registry)`, 'use an image reference, or docker buildx for other cache backends');
    }
    return image!;
  });
  if (cacheFrom.length) spec.cacheFrom = cacheFrom;
  for (const entry of b.cache_to ?? []) {
    if (!buildkit) needsBuildKit('cache_to');
    if (!/^type=inline(,|$)/.test(entry.trim())) {
      refuse('cache_to', `"${entry}": the Engine API's build exports cache only inline, into the image it builds`, 'use cache_to: [type=inline], or docker buildx for other cache backends');
    }
    spec.inlineCache = true;
  }

  if (b.secrets?.length) {
    if (!buildkit) needsBuildKit('secrets');
    spec.secrets = b.secrets.map((r) => buildSecret(project, svc, r.source, r.target, opts.env));
  }
  if (b.ssh?.length) {
    if (!buildkit) needsBuildKit('ssh');
    spec.ssh = b.ssh.map((entry) => {
      const eq = entry.indexOf('=');
      const id = (eq < 0 ? entry : entry.slice(0, eq)) || 'default';
      const path = eq < 0 ? (id === 'default' ? opts.env.SSH_AUTH_SOCK : undefined) : entry.slice(eq + 1);
      if (!path) refuse('ssh', `"${entry}": no ssh agent to forward (SSH_AUTH_SOCK is not set)`, 'start an agent (ssh-agent) or give its socket: default=/path/to/agent.sock');
      if (!opts.isSocket(path!)) {
        refuse('ssh', `"${entry}": ${path} is not an agent socket; tug forwards ssh agents, not key files`, `load the key into an agent (ssh-add ${path}) and give the agent's socket`);
      }
      return { id, socket: path! };
    });
  }
  return spec;
}

/** `img`, `type=registry,ref=img`: the image; other cache backends: undefined. */
function cacheImage(entry: string): string | undefined {
  const e = entry.trim();
  if (!e.includes('=')) return e;
  const fields = Object.fromEntries(e.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
  }));
  return (fields.type ?? 'registry') === 'registry' && fields.ref ? fields.ref : undefined;
}

/** A build secret by its id (the target, else the source name), from the project's secret of that name. */
function buildSecret(project: Project, svc: Service, source: string, target: string | undefined, env: Record<string, string | undefined>): BuildSecret {
  const id = target ? target.replace(/^\/run\/secrets\//, '') : source;
  const def = project.secrets[source];
  if (!def) throw unsupported(svc.name, 'build.secrets', `secret "${source}" is not declared under the top-level secrets`, `declare it: secrets: { ${source}: { file: ./${source}.txt } }`);
  if (def.file !== undefined) return { id, file: def.file };
  if (def.environment !== undefined) return { id, value: env[def.environment] ?? '' };
  if (def.content !== undefined) return { id, value: def.content };
  throw unsupported(svc.name, 'build.secrets', `secret "${source}" is external, and external secrets live in a swarm`, 'declare it with file:, environment: or content:');
}
