/**
 * Secrets and configs: the objects the stack creates, their names, and the references a service
 * holds to them.
 *
 * The manager refuses to change a secret's or config's data, and refuses to remove one a service
 * uses. So each object's name carries a prefix of its data's hash: changed data is a new object
 * that the updated service rolls onto, and the old one is removed once nothing uses it (nor can
 * roll back to it: a PreviousSpec naming it keeps it until the deploy after).
 */
import { createHash } from 'node:crypto';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { type ConfigReference, type ConfigSpec, type FileTarget, type SecretReference, type SecretSpec, type ServiceSpec } from '../engine/api/swarm.js';
import { ExitCode, TugError } from '../errors.js';
import { type FileObject, type Project } from '../stack/model.js';
import { type Ctx, type ObjectNames, STACK_LABEL, type SwarmSpecOptions, invalid, nonEmpty, prune } from './context.js';

export type ObjectKind = 'secrets' | 'configs';

// The manager's limits (swarmkit): names of at most 64 such characters, data of 1 byte up to these sizes.
const NAME = /^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$/;
const MAX_NAME = 64;
const MAX_DATA: Record<ObjectKind, number> = { secrets: 500 * 1024, configs: 1000 * 1024 };
const HASH_PREFIX = 10;

export interface StackObjects {
  secrets: SecretSpec[];
  configs: ConfigSpec[];
  /** Every referenced object's engine name, external ones included. */
  names: ObjectNames;
}

/** The secrets and configs the project's services reference, read and named. */
export function fileObjects(project: Project, opts: Pick<SwarmSpecOptions, 'readFile' | 'env'>): StackObjects {
  const out: StackObjects = { secrets: [], configs: [], names: { secrets: {}, configs: {} } };
  for (const kind of ['secrets', 'configs'] as const) {
    for (const key of referenced(project, kind)) {
      const obj = project[kind][key];
      if (!obj) {
        throw new TugError(kind === 'secrets' ? 'undefined_secret' : 'undefined_config', `${kind.slice(0, -1)} "${key}" is used but not declared under the top-level ${kind}:`, { exitCode: ExitCode.invalidStack, path: kind });
      }
      if (obj.external) {
        out.names[kind][key] = obj.name;
        continue;
      }
      if (kind === 'secrets') {
        const spec = secretSpec(project, key, obj, opts);
        out.names.secrets[key] = spec.Name;
        out.secrets.push(spec);
      } else {
        const spec = configSpec(project, key, obj, opts);
        out.names.configs[key] = spec.Name;
        out.configs.push(spec);
      }
    }
  }
  return out;
}

/** Keys referenced by some enabled service, in declaration order. */
function referenced(project: Project, kind: ObjectKind): string[] {
  const used = new Set<string>();
  for (const s of Object.values(project.services)) for (const r of s[kind] ?? []) used.add(r.source);
  const declared = Object.keys(project[kind]);
  return [...declared.filter((k) => used.has(k)), ...[...used].filter((k) => !declared.includes(k))];
}

function secretSpec(project: Project, key: string, obj: FileObject, opts: Pick<SwarmSpecOptions, 'readFile' | 'env'>): SecretSpec {
  if (obj.driver !== undefined) {
    // The driver supplies the value, so there is no data to name the secret after.
    return prune({
      Name: checkedName('secrets', key, obj.name),
      Labels: { ...obj.labels, [STACK_LABEL.namespace]: project.name },
      Driver: { Name: obj.driver, Options: nonEmpty(obj.driver_opts) },
      Templating: obj.template_driver === undefined ? undefined : { Name: obj.template_driver },
    });
  }
  return dataSpec(project, 'secrets', key, obj, opts);
}

function configSpec(project: Project, key: string, obj: FileObject, opts: Pick<SwarmSpecOptions, 'readFile' | 'env'>): ConfigSpec {
  if (obj.driver !== undefined) {
    throw new TugError('swarm_unsupported', `config "${key}": swarm configs have no drivers`, { exitCode: ExitCode.invalidStack, path: `configs.${key}.driver`, hint: 'use file:, environment: or content:' });
  }
  return dataSpec(project, 'configs', key, obj, opts);
}

function dataSpec(project: Project, kind: ObjectKind, key: string, obj: FileObject, opts: Pick<SwarmSpecOptions, 'readFile' | 'env'>): ConfigSpec {
  const data = objectData(project, kind, key, obj, opts);
  const noun = kind.slice(0, -1);
  if (data.length === 0) throw new TugError('empty_object', `${noun} "${key}" is empty; swarm stores no empty ${kind}`, { exitCode: ExitCode.invalidStack, path: `${kind}.${key}` });
  if (data.length >= MAX_DATA[kind]) {
    throw new TugError('object_too_large', `${noun} "${key}" has ${data.length} bytes; swarm takes less than ${MAX_DATA[kind]}`, { exitCode: ExitCode.invalidStack, path: `${kind}.${key}` });
  }
  // A changed template driver renders the same data differently, so it names a different object too.
  const hash = contentHash(data, obj.template_driver);
  return prune({
    Name: checkedName(kind, key, versionedName(obj.name, hash)),
    Labels: { ...obj.labels, [STACK_LABEL.namespace]: project.name, [STACK_LABEL.contentHash]: hash },
    Data: data.toString('base64'),
    Templating: obj.template_driver === undefined ? undefined : { Name: obj.template_driver },
  });
}

export function contentHash(data: Uint8Array, templateDriver?: string): string {
  const h = createHash('sha256').update(data);
  if (templateDriver !== undefined) h.update(`\0template_driver=${templateDriver}`);
  return h.digest('hex');
}

/** `<project>_<key>-<first 10 hex digits of the data's sha256>`. */
export function versionedName(name: string, hash: string): string {
  return `${name}-${hash.slice(0, HASH_PREFIX)}`;
}

function checkedName(kind: ObjectKind, key: string, name: string): string {
  if (name.length > MAX_NAME || !NAME.test(name)) {
    throw new TugError('invalid_object_name', `${kind.slice(0, -1)} "${key}": the swarm name "${name}" is not valid: at most ${MAX_NAME} of [a-zA-Z0-9-_.], starting and ending with a letter or digit`,
      { exitCode: ExitCode.invalidStack, path: `${kind}.${key}`, hint: 'give it a shorter name:, or shorten the project name' });
  }
  return name;
}

export function objectData(project: Project, kind: ObjectKind, key: string, obj: FileObject, opts: Pick<SwarmSpecOptions, 'readFile' | 'env'>): Buffer {
  const noun = kind.slice(0, -1);
  if (obj.content !== undefined) return Buffer.from(obj.content, 'utf8');
  if (obj.environment !== undefined) {
    const v = opts.env?.[obj.environment];
    if (v === undefined) {
      throw new TugError('missing_variable', `${noun} "${key}" reads variable ${obj.environment}, which is not set`,
        { exitCode: ExitCode.invalidStack, path: `${kind}.${key}.environment`, hint: `export ${obj.environment} before running tug` });
    }
    return Buffer.from(v, 'utf8');
  }
  if (obj.file !== undefined) {
    const path = isAbsolute(obj.file) ? obj.file : resolvePath(project.working_dir, obj.file);
    if (!opts.readFile) throw new TugError('unreadable_file', `${noun} "${key}": cannot read ${path} here`, { exitCode: ExitCode.invalidStack, path: `${kind}.${key}.file` });
    try {
      return Buffer.from(opts.readFile(path));
    } catch (err) {
      throw new TugError('unreadable_file', `${noun} "${key}": cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`,
        { exitCode: ExitCode.invalidStack, path: `${kind}.${key}.file`, cause: err });
    }
  }
  throw new TugError('missing_source', `${noun} "${key}" needs one of file, environment, content or external`, { exitCode: ExitCode.invalidStack, path: `${kind}.${key}` });
}

/**
 * The service's references, sorted by name as docker stack sorts them. IDs stay empty: the
 * objects may not exist yet, and `bindObjectIds` fills them in just before the spec is sent.
 */
export function secretRefs(ctx: Ctx): SecretReference[] | undefined {
  return nonEmpty(refs(ctx, 'secrets').map(({ name, file }) => ({ File: file, SecretID: '', SecretName: name })));
}

export function configRefs(ctx: Ctx): ConfigReference[] | undefined {
  return nonEmpty(refs(ctx, 'configs').map(({ name, file }) => ({ File: file, ConfigID: '', ConfigName: name })));
}

function refs(ctx: Ctx, kind: ObjectKind): { name: string; file: FileTarget }[] {
  const { service } = ctx;
  const targets = new Set<string>();
  const out = (service[kind] ?? []).map((ref) => {
    const name = ctx.names[kind][ref.source];
    if (name === undefined) {
      throw new TugError(kind === 'secrets' ? 'undefined_secret' : 'undefined_config', `service "${service.name}" uses ${kind.slice(0, -1)} "${ref.source}", which is not declared under the top-level ${kind}:`,
        { exitCode: ExitCode.invalidStack, path: `services.${service.name}.${kind}` });
    }
    const target = ref.target ?? (kind === 'secrets' ? `/run/secrets/${ref.source}` : `/${ref.source}`);
    // The manager rejects two references with one target; say which, before anything is created.
    if (targets.has(target)) throw invalid(service.name, kind, `two ${kind} have the target ${target}`);
    targets.add(target);
    return { name, file: { Name: target, UID: ref.uid ?? '0', GID: ref.gid ?? '0', Mode: ref.mode ?? 0o444 } };
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface ObjectIds {
  /** Engine name → ID. */
  secrets: Record<string, string>;
  configs: Record<string, string>;
}

/** The spec with each reference's ID filled in from the objects the manager has. */
export function bindObjectIds(spec: ServiceSpec, ids: ObjectIds): ServiceSpec {
  const id = (kind: ObjectKind, name: string): string => {
    const found = Object.hasOwn(ids[kind], name) ? ids[kind][name] : undefined;
    if (found === undefined) {
      throw new TugError(kind === 'secrets' ? 'missing_secret' : 'missing_config', `service "${spec.Name}" needs ${kind.slice(0, -1)} "${name}", which the swarm does not have`,
        { exitCode: ExitCode.invalidStack, hint: `create it first (docker ${kind.slice(0, -1)} create ${name} ...)` });
    }
    return found;
  };
  const c = spec.TaskTemplate.ContainerSpec;
  return {
    ...spec,
    TaskTemplate: {
      ...spec.TaskTemplate,
      ContainerSpec: prune({
        ...c,
        Secrets: c.Secrets?.map((r) => ({ ...r, SecretID: id('secrets', r.SecretName) })),
        Configs: c.Configs?.map((r) => ({ ...r, ConfigID: id('configs', r.ConfigName) })),
      }),
    },
  };
}
