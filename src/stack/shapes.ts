/**
 * Canonical shapes: every short syntax expanded to its long form, every list-or-map turned
 * into a map. Applied to each file right after schema validation, so that merging files,
 * `extends` and the final normalisation all work on one shape and compare entries by key
 * (a port by its binding, a volume by its target) whatever syntax each file used.
 *
 * Input is schema-valid, so shapes are trusted here; values are not parsed (units, paths)
 * until normalise().
 */
import { posix } from 'node:path';
import { type Dict, isPlainObject } from '../util/dict.js';
import { markForm } from './written-form.js';

/**
 * Go's path.Clean for a container path: `/data/`, `/data//` and `/x/../data` are `/data`, so
 * that two files naming one mount point differently still meet when merged (compose-go cleans
 * volume targets: transform/volume.go cleanTarget, loader/normalize.go). Empty stays empty.
 */
export function cleanTarget(target: string): string {
  if (target === '' || !target.includes('/')) return target;
  const cleaned = posix.normalize(target);
  return cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
}

function scalarString(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** `[K=V, K]` or `{K: V}` → `{K: V|null}`; numbers and booleans become strings. */
export function listOrDict(v: unknown, nullAs: null | '' = null): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalarString(item);
      const eq = s.indexOf('=');
      if (eq < 0) out[s] = nullAs;
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isPlainObject(v)) {
    for (const [k, val] of Object.entries(v)) out[k] = val === null || val === undefined ? nullAs : scalarString(val);
  }
  return out;
}

/** Keys whose `[K=V]` list becomes a mapping in canonicalFile. */
const KEY_VALUE_LISTS = new Set(['environment', 'annotations', 'sysctls', 'labels', 'args', 'additional_contexts']);

/**
 * Where a `[K=V]` list names the key `__proto__`: as a mapping key it would replace the
 * object's prototype and vanish, so it is refused, as it is in the mapping syntax.
 */
export function protoListItems(
  v: unknown,
  path: (string | number)[] = [],
  found: (string | number)[][] = [],
  // With `shared` (values met through several aliases), each is looked into once per kind of place.
  seen?: [Set<object>, Set<object>],
): (string | number)[][] {
  // One list filled in place: a long list of them must not be spread into push() at each level.
  if (v === null || typeof v !== 'object') return found;
  const keyValue = Array.isArray(v) && KEY_VALUE_LISTS.has(String(path.at(-1)));
  if (seen) {
    const visited = seen[keyValue ? 1 : 0];
    if (visited.has(v)) return found;
    visited.add(v);
  }
  if (Array.isArray(v)) {
    if (keyValue) {
      v.forEach((item, i) => {
        if (typeof item === 'string' && (item === '__proto__' || item.startsWith('__proto__='))) found.push([...path, i]);
      });
    }
    v.forEach((item, i) => {
      if (item !== null && typeof item === 'object') protoListItems(item, [...path, i], found, seen);
    });
  } else if (isPlainObject(v)) {
    for (const [k, child] of Object.entries(v)) {
      if (child !== null && typeof child === 'object') protoListItems(child, [...path, k], found, seen);
    }
  }
  return found;
}

export function stringOrList(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  return Array.isArray(v) ? v.map(scalarString) : [scalarString(v)];
}

/** `host=ip`, legacy `host:ip`, or `{host: ip | [ip...]}` → `{host: [ip...]}`. */
export function extraHosts(v: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const add = (host: string, ip: string) => {
    // Own keys only: a host named "toString" must not find Object.prototype's member.
    const list = Object.hasOwn(out, host) ? out[host]! : (out[host] = []);
    if (!list.includes(ip)) list.push(ip);
  };
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = scalarString(item);
      const sep = s.includes('=') ? s.indexOf('=') : s.indexOf(':');
      if (sep < 0) add(s, '');
      else add(s.slice(0, sep), s.slice(sep + 1).replace(/^\[(.*)\]$/, '$1'));
    }
  } else if (isPlainObject(v)) {
    for (const [host, ips] of Object.entries(v)) for (const ip of stringOrList(ips)) add(host, ip);
  }
  return out;
}

export interface RawPort {
  target: number | string;
  published?: string;
  host_ip?: string;
  protocol?: string;
  mode?: string;
  name?: string;
  app_protocol?: string;
}

/**
 * Short port syntax `[host_ip:][published:]target[/protocol]`; a target range expands to one
 * entry per port, as Compose does, so that two files publishing the same port meet by key.
 * Returns undefined when the string cannot be a port spec (reported by normalise).
 */
export function parsePortShort(spec: string | number): RawPort[] | undefined {
  if (typeof spec === 'number') return [{ target: spec, protocol: 'tcp', mode: 'ingress' }];
  let rest = spec.trim();
  let protocol = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    protocol = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2]!;
  }
  const parts = rest.split(':');
  if (!hostIp && parts.length === 3) hostIp = parts.shift();
  if (parts.length > 2 || parts.some((p) => p === '' && parts.length === 1)) return undefined;
  const targetSpec = parts.length === 2 ? parts[1]! : parts[0]!;
  const publishedSpec = parts.length === 2 ? parts[0]! : undefined;
  const target = parseRange(targetSpec);
  if (!target) return undefined;
  const published = publishedSpec === undefined || publishedSpec === '' ? undefined : parseRange(publishedSpec, MIN_PUBLISHED);
  if (publishedSpec && !published) return undefined;
  const base = { protocol, mode: 'ingress', ...(hostIp ? { host_ip: hostIp } : {}) };
  const count = target[1] - target[0] + 1;
  if (count === 1) {
    return [{ ...base, target: target[0], ...(published ? { published: rangeString(published) } : {}) }];
  }
  if (published && published[1] - published[0] + 1 !== count) return undefined;
  const out: RawPort[] = [];
  for (let i = 0; i < count; i++) {
    out.push({ ...base, target: target[0] + i, ...(published ? { published: String(published[0] + i) } : {}) });
  }
  return out;
}

function parseRange(s: string, min = MIN_PORT): [number, number] | undefined {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) return undefined;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  // Out of range is reported by portRangeProblems; never expand a range past the last port.
  return hi >= lo && lo >= min && hi <= MAX_PORT && (lo >= MIN_PORT || hi === lo) ? [lo, hi] : undefined;
}

const MIN_PORT = 1;
const MAX_PORT = 65535;
/**
 * A published (host) port of 0 asks the engine for any free one, as `docker run -p 0:80` does;
 * Compose passes it on (go-connections' ParsePortSpec takes 0 to 65535). Only as a single port.
 */
const MIN_PUBLISHED = 0;

/**
 * The port numbers of a short port spec, IP and protocol left out: `127.0.0.1:8000-8001:80/udp`
 * → 8000, 8001, 80; a published port of 0 alone (the engine's pick) is left out too.
 */
function shortSpecPorts(spec: string): string[] {
  let rest = spec.trim();
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) rest = rest.slice(0, slash);
  const v6 = /^\[[^\]]*\]:(.*)$/.exec(rest);
  if (v6) rest = v6[1]!;
  const parts = rest.split(':');
  if (!v6 && parts.length === 3) parts.shift();
  if (parts.length === 2 && /^0+$/.test(parts[0]!)) parts.shift();
  return parts.flatMap((p) => p.split('-')).filter((p) => /^\d+$/.test(p));
}

/**
 * Ports outside 1-65535, in every syntax: the short one (either side, either end of a range)
 * and the long one (target, published), at the item that says so. Run on each file as written,
 * so the index is the item's own.
 */
export function portRangeProblems(doc: Dict): { path: (string | number)[]; message: string }[] {
  const out: { path: (string | number)[]; message: string }[] = [];
  if (!isPlainObject(doc.services)) return out;
  for (const [name, svc] of Object.entries(doc.services)) {
    if (!isPlainObject(svc) || !Array.isArray(svc.ports)) continue;
    svc.ports.forEach((p, i) => {
      const at = ['services', name, 'ports', i];
      const check = (what: string, value: unknown, path: (string | number)[]) => {
        if (value === undefined || value === null || value === '') return;
        for (const n of (typeof value === 'number' ? [String(value)] : scalarString(value).split('-')).filter((x) => /^\d+$/.test(x.trim()))) {
          const port = Number(n.trim());
          if (port < MIN_PORT || port > MAX_PORT) {
            out.push({ path, message: `services.${name}.ports: ${what} port ${n.trim()} is out of range: ports are ${MIN_PORT} to ${MAX_PORT}` });
            return;
          }
        }
      };
      if (isPlainObject(p)) {
        check('container', p.target, [...at, 'target']);
        // Published 0 alone is the engine's pick of a free port.
        if (!/^0+$/.test(scalarString(p.published ?? '').trim())) check('published', p.published, [...at, 'published']);
      } else {
        for (const n of shortSpecPorts(scalarString(p))) {
          const port = Number(n);
          if (port < MIN_PORT || port > MAX_PORT) {
            out.push({ path: at, message: `services.${name}.ports: port ${n} in ${JSON.stringify(scalarString(p))} is out of range: ports are ${MIN_PORT} to ${MAX_PORT}` });
            break;
          }
        }
      }
    });
  }
  return out;
}

function rangeString([lo, hi]: [number, number]): string {
  return lo === hi ? String(lo) : `${lo}-${hi}`;
}

export interface RawVolume {
  type: string;
  source?: string;
  target: string;
  read_only?: boolean;
  bind?: Dict;
  volume?: Dict;
  tmpfs?: Dict;
  consistency?: string;
  [k: string]: unknown;
}

const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);
const CONSISTENCY = new Set(['consistent', 'cached', 'delegated']);

/** Short volume syntax `[source:]target[:mode,...]`; source starting with `.`, `/` or `~` is a bind. */
export function parseVolumeShort(spec: string): RawVolume {
  const parts = splitVolumeSpec(spec);
  if (parts.length === 1) return { type: 'volume', target: parts[0]! };
  const [source, target, modes] = parts as [string, string, string | undefined];
  const isBind = /^[./~]/.test(source) || /^[A-Za-z]:[\\/]/.test(source);
  const vol: RawVolume = { type: isBind ? 'bind' : 'volume', source, target };
  for (const mode of (modes ?? '').split(',').filter(Boolean)) {
    if (mode === 'ro') vol.read_only = true;
    else if (mode === 'rw') vol.read_only = false;
    else if (mode === 'nocopy') vol.volume = { ...vol.volume, nocopy: true };
    else if (mode === 'z' || mode === 'Z') vol.bind = { ...vol.bind, selinux: mode };
    else if (PROPAGATION.has(mode)) vol.bind = { ...vol.bind, propagation: mode };
    else if (CONSISTENCY.has(mode)) vol.consistency = mode;
    else vol.mode = mode; // kept so normalise can name the unknown mode
  }
  if (isBind) vol.bind = { create_host_path: true, ...vol.bind };
  return vol;
}

function splitVolumeSpec(spec: string): string[] {
  // A Windows drive letter (`C:\data:/data`) is part of the source, not a separator.
  const drive = /^[A-Za-z]:[\\/]/.test(spec) ? spec.slice(0, 2) : '';
  const parts = splitOutsideVariables(spec.slice(drive.length));
  parts[0] = drive + parts[0];
  return parts.length > 3 ? [parts.slice(0, parts.length - 2).join(':'), ...parts.slice(-2)] : parts;
}

/**
 * Splits on `:` except inside `${...}` (nested too), as compose-go's ParseVolume does: without
 * interpolation (`config --no-interpolate`) `${DATA:-./data}:/data` is a source and a target.
 */
function splitOutsideVariables(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === '$' && spec[i + 1] === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    if (c === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

export function fileReference(v: unknown, kind: 'secrets' | 'configs'): Dict {
  const ref: Dict = isPlainObject(v) ? { ...v } : { source: scalarString(v) };
  if (ref.target === undefined) ref.target = kind === 'secrets' ? `/run/secrets/${String(ref.source)}` : `/${String(ref.source)}`;
  else if (kind === 'secrets' && typeof ref.target === 'string' && !ref.target.startsWith('/')) ref.target = `/run/secrets/${ref.target}`;
  if (typeof ref.target === 'string') ref.target = cleanTarget(ref.target);
  return ref;
}

function mapOf(v: unknown): Dict {
  if (Array.isArray(v)) return Object.fromEntries(v.map((k) => [scalarString(k), null]));
  return isPlainObject(v) ? { ...v } : {};
}

function healthTest(v: unknown): unknown {
  return typeof v === 'string' ? ['CMD-SHELL', v] : v;
}

const SERVICE_UNIONS = [
  'cap_add', 'cap_drop', 'dns', 'dns_opt', 'dns_search', 'tmpfs', 'profiles', 'security_opt', 'expose',
  'links', 'external_links', 'volumes_from', 'group_add', 'device_cgroup_rules', 'label_file',
];

/**
 * Without interpolation a key may hold a whole `${VAR}` where a list or mapping belongs
 * (`environment: ${ENV}`): reading it as one would empty it, so it is kept as written.
 */
function keepUnreadable(raw: Dict, canonical: Dict): Dict {
  const out: Dict = { ...canonical };
  for (const [key, v] of Object.entries(raw)) {
    const c = canonical[key];
    const emptied = (Array.isArray(c) && c.length === 0) || (isPlainObject(c) && Object.keys(c).length === 0);
    if (typeof v === 'string' && v.includes('$') && emptied) out[key] = v;
  }
  return out;
}

/**
 * A service dict, schema-valid, in canonical shape. `uninterpolated`: a ports list with an entry
 * that cannot be parsed (`"${PORT}:80"`) stays as written, whole, as compose-go's transformPorts
 * leaves it when told to ignore parse errors.
 */
export function canonicalService(raw: Dict, uninterpolated = false): Dict {
  const s: Dict = { ...raw };
  // Without interpolation the model is printed: each key-value mapping remembers its written form.
  const form = uninterpolated ? markForm : <T>(c: T) => c;
  if ('environment' in s) s.environment = form(listOrDict(s.environment), raw.environment);
  // compose-go types annotations and sysctls as Mapping: a key without a value is "" there, not unset.
  // Unread by interpolation, a key without a value stays one, as compose-go's model keeps `- KEY`.
  const mappingNull = uninterpolated ? null : '';
  for (const key of ['annotations', 'sysctls']) if (key in s) s[key] = form(listOrDict(s[key], mappingNull), raw[key]);
  if ('labels' in s) s.labels = form(listOrDict(s.labels, mappingNull), raw.labels);
  // compose-go's model keeps extra_hosts as written (`"${HOST:-db}:10.0.0.1"` could not be split
  // at its `:` before interpolation anyway).
  if ('extra_hosts' in s && !uninterpolated) s.extra_hosts = extraHosts(s.extra_hosts);
  for (const key of SERVICE_UNIONS) if (key in s) s[key] = stringOrList(s[key]);
  if ('env_file' in s) {
    const files = s.env_file === null ? [] : Array.isArray(s.env_file) ? s.env_file : [s.env_file];
    s.env_file = files.map((e) => (isPlainObject(e) ? { required: true, ...e } : { path: scalarString(e), required: true }));
  }
  const unparsedPort = uninterpolated && Array.isArray(s.ports)
    && s.ports.some((p) => !isPlainObject(p) && parsePortShort(p as string | number) === undefined);
  if ('ports' in s && Array.isArray(s.ports) && !unparsedPort) {
    s.ports = s.ports.flatMap((p): unknown[] => {
      if (isPlainObject(p)) return [{ protocol: 'tcp', mode: 'ingress', ...p, ...(p.published !== undefined ? { published: scalarString(p.published) } : {}) }];
      return parsePortShort(p as string | number) ?? [{ invalid: scalarString(p) }];
    });
  }
  if ('volumes' in s && Array.isArray(s.volumes)) {
    s.volumes = s.volumes.map((v) => {
      const vol: Dict = isPlainObject(v) ? { ...v } : parseVolumeShort(scalarString(v));
      if (typeof vol.target === 'string') vol.target = cleanTarget(vol.target);
      return vol;
    });
  }
  for (const kind of ['secrets', 'configs'] as const) {
    if (kind in s && Array.isArray(s[kind])) s[kind] = (s[kind] as unknown[]).map((r) => fileReference(r, kind));
  }
  if ('depends_on' in s) {
    const deps: Dict = {};
    if (Array.isArray(s.depends_on)) {
      for (const name of s.depends_on) deps[scalarString(name)] = { condition: 'service_started', required: true };
    } else if (isPlainObject(s.depends_on)) {
      for (const [name, d] of Object.entries(s.depends_on)) deps[name] = { condition: 'service_started', required: true, ...(isPlainObject(d) ? d : {}) };
    }
    s.depends_on = deps;
  }
  if ('networks' in s) s.networks = mapOf(s.networks);
  if ('models' in s) s.models = mapOf(s.models);
  if (isPlainObject(s.healthcheck) && 'test' in s.healthcheck) s.healthcheck = { ...s.healthcheck, test: healthTest(s.healthcheck.test) };
  if (isPlainObject(s.ulimits)) s.ulimits = ulimits(s.ulimits);
  if ('devices' in s) s.devices = (Array.isArray(s.devices) ? s.devices : stringOrList(s.devices)).map(deviceMapping);
  if (Array.isArray(s.tmpfs)) s.tmpfs = (s.tmpfs as string[]).map(cleanTmpfs);
  if ('build' in s) s.build = canonicalBuild(s.build, uninterpolated);
  for (const key of ['post_start', 'pre_stop', 'pre_start']) {
    if (Array.isArray(s[key])) s[key] = (s[key] as unknown[]).map((h) => (isPlainObject(h) && 'environment' in h ? { ...h, environment: form(listOrDict(h.environment), h.environment) } : h));
  }
  if (isPlainObject(s.deploy) && 'labels' in s.deploy) s.deploy = { ...s.deploy, labels: form(listOrDict(s.deploy.labels, mappingNull), s.deploy.labels) };
  return s;
}

/**
 * compose-go's transformDeviceMapping: `src[:dst[:perm]]` becomes {source, target, permissions}
 * so that files merge devices by target. A string of more parts is kept as written for
 * normalise to refuse ("confusing device mapping").
 */
function deviceMapping(d: unknown): unknown {
  if (isPlainObject(d)) return typeof d.target === 'string' ? { ...d, target: cleanTarget(d.target) } : { ...d };
  const parts = scalarString(d).split(':');
  if (parts.length > 3) return scalarString(d);
  const [source = '', target, permissions] = parts;
  return { source, target: cleanTarget(target || source), permissions: permissions || 'rwm' };
}

/** A tmpfs entry `PATH[:OPTIONS]` with its path cleaned. */
function cleanTmpfs(entry: string): string {
  const colon = entry.indexOf(':');
  return colon < 0 ? cleanTarget(entry) : cleanTarget(entry.slice(0, colon)) + entry.slice(colon);
}

/** `nofile: 65535` is shorthand for the same soft and hard limit. */
function ulimits(v: Dict): Dict {
  return Object.fromEntries(Object.entries(v).map(([k, u]) => [k, isPlainObject(u) ? { ...u } : { soft: u, hard: u }]));
}

function canonicalBuild(v: unknown, uninterpolated: boolean): Dict {
  if (!isPlainObject(v)) return { context: scalarString(v) };
  const b: Dict = { ...v };
  const form = uninterpolated ? markForm : <T>(c: T) => c;
  const mappingNull = uninterpolated ? null : '';
  if ('args' in b) b.args = form(listOrDict(b.args), v.args);
  if ('labels' in b) b.labels = form(listOrDict(b.labels, mappingNull), v.labels);
  // compose-go's Canonical makes additional_contexts a mapping whatever its written form.
  if ('additional_contexts' in b) b.additional_contexts = form(listOrDict(b.additional_contexts, ''), {});
  if ('extra_hosts' in b && !uninterpolated) b.extra_hosts = extraHosts(b.extra_hosts);
  for (const key of ['tags', 'platforms', 'cache_from', 'cache_to', 'no_cache_filter']) if (key in b) b[key] = stringOrList(b[key]);
  // `ssh: {default: null, key: path}` is the mapping form of `[default, key=path]`.
  if ('ssh' in b) b.ssh = isPlainObject(b.ssh) ? Object.entries(b.ssh).map(([k, v]) => (v === null || v === undefined || v === '' ? k : `${k}=${scalarString(v)}`)) : stringOrList(b.ssh);
  if (isPlainObject(b.ulimits)) b.ulimits = ulimits(b.ulimits);
  if (Array.isArray(b.secrets)) b.secrets = b.secrets.map((r) => fileReference(r, 'secrets'));
  return b;
}

/** Top-level networks/volumes/configs/secrets entries: labels as maps, `null` as `{}`. */
export function canonicalResource(v: unknown, uninterpolated = false): Dict {
  const r: Dict = isPlainObject(v) ? { ...v } : {};
  if ('labels' in r) r.labels = uninterpolated ? markForm(listOrDict(r.labels, null), r.labels) : listOrDict(r.labels, '');
  return r;
}

/**
 * A whole file (after interpolation and schema validation) in canonical shape. `uninterpolated`
 * (`config --no-interpolate`): the file still holds `${VAR}`, so, as compose-go's Canonical with
 * ignoreParseError, what cannot be read without the values is kept as written.
 */
export function canonicalFile(doc: Dict, uninterpolated = false): Dict {
  const out: Dict = { ...doc };
  if (isPlainObject(doc.services)) {
    out.services = Object.fromEntries(
      Object.entries(doc.services).map(([name, svc]) => {
        const raw = isPlainObject(svc) ? svc : {};
        return [name, uninterpolated ? keepUnreadable(raw, canonicalService(raw, true)) : canonicalService(raw)];
      }),
    );
  }
  for (const key of ['networks', 'volumes', 'configs', 'secrets']) {
    if (isPlainObject(doc[key])) {
      out[key] = Object.fromEntries(Object.entries(doc[key] as Dict).map(([n, r]) => [n, canonicalResource(r, uninterpolated)]));
    }
  }
  return out;
}
