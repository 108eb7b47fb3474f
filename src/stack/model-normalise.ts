/**
 * compose-go's Normalize (loader/normalize.go) on the merged model, for `config --no-interpolate`:
 * Compose prints that model normalised even though `${VAR}` stays unresolved, so the implicit
 * parts a Project would get (default network, resource names, build defaults, the dependencies
 * links and shared namespaces imply, variables named without a value) appear there too.
 * Pure: works on a copy, reads nothing but its arguments.
 */
import { type Dict, isPlainObject } from '../util/dict.js';
import { formOf, keepForm } from './written-form.js';

const NAMESPACES = ['network_mode', 'ipc', 'pid', 'uts', 'cgroup'];

export function normaliseModel(model: Dict, opts: { projectName: string; workingDir: string; env: Readonly<Record<string, string>> }): Dict {
  const lookup = (k: string): string | undefined => (Object.hasOwn(opts.env, k) ? opts.env[k] : undefined);
  const out: Dict = { ...model, name: opts.projectName };
  const services: Dict = isPlainObject(model.services) ? { ...model.services } : {};
  let usesDefault = false;
  for (const [name, raw] of Object.entries(services)) {
    if (!isPlainObject(raw)) continue;
    const s: Dict = { ...raw };
    // Every service not on another's network stack is on the default network unless it names others.
    if (!('provider' in s) && !('network_mode' in s)) {
      if (!isPlainObject(s.networks) || Object.keys(s.networks).length === 0) s.networks = { default: null };
      if ('default' in (s.networks as Dict)) usesDefault = true;
    }
    if (s.pull_policy === 'if_not_present') s.pull_policy = 'missing';
    if (isPlainObject(s.build)) {
      const b: Dict = { ...s.build };
      // compose-go defaults the context to "." before resolving paths: the project directory.
      if (b.context === undefined || b.context === null) b.context = opts.workingDir;
      if (b.dockerfile === undefined && b.dockerfile_inline === undefined) b.dockerfile = 'Dockerfile';
      // A build arg without a value takes the environment's, or is dropped.
      if (isPlainObject(b.args)) b.args = keepForm(resolveMap(b.args, lookup, false), b.args);
      s.build = b;
    }
    if (isPlainObject(s.environment)) s.environment = keepForm(resolveMap(s.environment, lookup, true), s.environment);
    const deps: Dict = isPlainObject(s.depends_on) ? { ...s.depends_on } : {};
    const implied = (dep: string, restart: boolean) => {
      if (!(dep in deps)) deps[dep] = { condition: 'service_started', restart, required: true };
    };
    if (Array.isArray(s.links)) for (const link of s.links) implied(String(link).split(':').length === 2 ? String(link).split(':')[0]! : String(link), true);
    for (const ns of NAMESPACES) {
      const ref = s[ns];
      if (typeof ref === 'string' && ref.startsWith('service:')) implied(ref.slice('service:'.length), true);
    }
    if (Array.isArray(s.volumes_from)) {
      for (const v of s.volumes_from) if (!String(v).startsWith('container:')) implied(String(v).split(':')[0]!, false);
    }
    if (Object.keys(deps).length > 0) s.depends_on = deps;
    // pre_start hooks without an image run the service's (compose-spec #647).
    if (Array.isArray(s.pre_start) && typeof s.image === 'string' && s.image !== '') {
      s.pre_start = s.pre_start.map((h) => (isPlainObject(h) && !('image' in h) ? { ...h, image: s.image } : h));
    }
    services[name] = s;
  }
  if (isPlainObject(model.services)) out.services = services;
  const networks: Dict = isPlainObject(model.networks) ? { ...model.networks } : {};
  if (usesDefault && !('default' in networks)) networks.default = null;
  if (Object.keys(networks).length > 0) out.networks = networks;
  // Resources without a name are named by their key: external ones as is, others in the project.
  for (const kind of ['networks', 'volumes', 'configs', 'secrets']) {
    if (!isPlainObject(out[kind])) continue;
    out[kind] = Object.fromEntries(Object.entries(out[kind] as Dict).map(([key, r]) => {
      const res: Dict = isPlainObject(r) ? { ...r } : {};
      if (res.name === undefined || res.name === null) res.name = isTrue(res.external) ? key : `${opts.projectName}_${key}`;
      return [key, res];
    }));
  }
  return out;
}

/**
 * compose-go's ResolveEnvironment on a service `environment` written as a list, which its model
 * load runs normalised or not: `- KEY` takes the project environment's value when it has one.
 */
export function resolveListEnvironments(model: Dict, env: Readonly<Record<string, string>>): Dict {
  if (!isPlainObject(model.services)) return model;
  const services: Dict = {};
  for (const [name, s] of Object.entries(model.services)) {
    if (isPlainObject(s) && isPlainObject(s.environment) && formOf(s.environment) === 'list') {
      const resolved = Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null && Object.hasOwn(env, k) ? env[k] : v]));
      services[name] = { ...s, environment: keepForm(resolved, s.environment) };
    } else services[name] = s;
  }
  return { ...model, services };
}

/** compose-go's resolve on a mapping: a null value takes the environment's; without one it stays null or goes. */
function resolveMap(m: Dict, lookup: (k: string) => string | undefined, keepEmpty: boolean): Dict {
  const out: Dict = {};
  for (const [k, v] of Object.entries(m)) {
    if (v !== null && v !== undefined) out[k] = v;
    else if (lookup(k) !== undefined) out[k] = lookup(k);
    else if (keepEmpty) out[k] = null;
  }
  return out;
}

/** Go's strconv.ParseBool of the value's text, as compose-go's isTrue. */
function isTrue(x: unknown): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(String(x));
}
