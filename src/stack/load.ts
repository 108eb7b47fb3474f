/**
 * The loading pipeline, front to back:
 *   discover → .env → per file: read, interpolate, validate, canonical shapes, include,
 *   extends → merge files → normalise → semantic checks → Project.
 * Each stage reports every problem it finds, and all of them are reported together: after
 * schema problems the invalid values are pruned (prune.ts) and the later stages, normalise
 * and the semantic checks included, still run on the rest; their problems at or under what was
 * pruned are consequences and left out. The pipeline stops early only where what remains could
 * not be read in the shape later stages expect (an unset required variable, a broken include...).
 */
import path from 'node:path';
import { StackFileError, StackInvalidError, type Diagnostic, type SourceLocation } from '../errors.js';
import { type Dict, isPlainObject } from '../util/dict.js';
import { UserFileError } from '../util/read-user-file.js';
import { activeProfiles, defaultEnvFiles, discoverFiles, isFile, resolveProjectName, workingDirectory, type Discovered } from './discover.js';
import { formatPath, pathKey, type Path } from './doc-path.js';
import { envFileProblems, envFileRefusal, readEnvFile } from './dotenv.js';
import { resolveDocPaths, resolveHostPath, resolveServicePaths } from './host-paths.js';
import { interpolateTree, interpolationMessage, type Lookup } from './interpolate.js';
import { fileLocator, projectLocator, type Locator } from './locate.js';
import { rememberObjectEnvironment } from './object-env.js';
import { rememberSources } from './source-map.js';
import { mergeDocs, type MergeTags } from './merge.js';
import type { Project } from './model.js';
import { normalise } from './normalise.js';
import { OBJECT_VALUE } from './object-env.js';
import { validity } from './parse-cache.js';
import { pruneInvalid, underCut } from './prune.js';
import type { SchemaCheck } from './validate.js';
import type { ParsedFile } from './parsed-file.js';
import { MAX_FILE_BYTES } from './limits.js';
import { decodeText, readStackFile } from './read.js';
import { checkProject } from './semantic.js';
import { checkTugSettings, tugSettings } from './x-tug.js';
import { canonicalFile, portRangeProblems, protoListItems } from './shapes.js';

export interface LoadOptions {
  /** Directory to start discovery from; defaults to process.cwd(). */
  cwd?: string;
  /** `-f` files in order; `-` reads stdin. Empty: COMPOSE_FILE, else discovery. */
  files?: string[];
  /** `--project-directory`: where relative paths and `.env` resolve; default: the first file's directory. */
  projectDirectory?: string;
  /** `-p`; beats COMPOSE_PROJECT_NAME and the top-level `name:`. */
  projectName?: string;
  /** `--env-file`, repeatable; replaces the default `.env`. */
  envFiles?: string[];
  /** `--profile`, repeatable; added to COMPOSE_PROFILES. */
  profiles?: string[];
  /** The process environment; defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Content for `-f -`; defaults to reading process.stdin. */
  readStdin?: () => Promise<string>;
  /** Warnings (unset variables, orphan keys...), one call each. */
  onWarning?: (d: Diagnostic) => void;
  /** Host CPU count for the `cpus` warning; skipped when absent. */
  hostCpus?: number;
  /** The stack will run on a swarm (`--swarm`); `x-tug.mode: swarm` in the file says the same. */
  swarm?: boolean;
  /**
   * `false`: the files' `${VAR}` references are kept as written (`config --no-interpolate`,
   * `--variables`). Only `loadModel` takes it: a Project needs the values.
   */
  interpolate?: boolean;
  /**
   * Leave services' env_file and label_file unread (their variables absent): for callers that
   * only want names, such as shell completion, which a missing env file must not stop
   * (compose-go's WithoutEnvironmentResolution, as docker compose completes).
   */
  skipEnvironmentFiles?: boolean;
}

/** One loaded file: its canonical document and where it came from. */
interface LoadedDoc {
  parsed: ParsedFile;
  doc: Dict;
}

/** Variables a file is interpolated with: the project's, or an include's. */
type Env = Readonly<Record<string, string>>;

/** A file read, interpolated, validated and with its includes, before `extends` is resolved. */
interface RawDoc extends LoadedDoc {
  file: string;
  /** What its relative paths (and `extends.file`) resolve against. */
  dir: string;
  locate: Locator;
  env: Env;
}

/** A service whose `extends` is being resolved: one link of a possible cycle. */
interface ExtendsLink {
  id: string;
  label: string;
  at: SourceLocation | undefined;
}

/**
 * The stack as its files say it once read, included, extended and merged, before it is
 * normalised into a Project (compose-go's LoadModel): what `config --no-normalize` and
 * `--no-interpolate` print. `environment` is the project environment interpolation reads.
 */
export async function loadModel(options: LoadOptions = {}): Promise<{ model: Dict; environment: Record<string, string>; workingDir: string }> {
  const { merged, vars, found, opts, loader } = await mergedModel(options);
  // What the files' problems let through is good enough to go on checking, not to print.
  loader.stopIfProblems();
  const name = resolveProjectName({
    flag: opts.projectName, env: vars, fromFile: typeof merged.name === 'string' ? merged.name : undefined, projectDir: found.projectDir,
  });
  return { model: { ...merged, name }, environment: { ...vars }, workingDir: found.projectDir };
}

async function mergedModel(options: LoadOptions) {
  const opts: LoadOptions = { ...options, onWarning: onceEach(options.onWarning) };
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  const { vars, found } = projectEnvironment(opts, cwd);
  for (const w of found.warnings) opts.onWarning?.({ code: 'several_stack_files', message: w, location: { file: found.projectDir, line: 0, col: 0 } });
  const loader = new Loader(found.projectDir, opts.onWarning, opts.interpolate !== false);

  const loaded: LoadedDoc[] = [];
  for (const file of found.files) {
    const text = file === '-' ? await (opts.readStdin ?? readAllStdin)() : undefined;
    const name = file === '-' ? '<stdin>' : file;
    // Relative `include` paths of every top-level file resolve against the project directory,
    // as compose-go's resource loader does (its WorkingDir is the project's).
    for (const one of await loader.loadFile(name, text, found.projectDir, true, [], vars)) loaded.push(one);
  }
  loader.stopIfUnrecoverable();
  if (loaded.length === 0) {
    // compose-go skips a file without a YAML document; only a project left with nothing is an error ("empty compose file").
    const names = found.files.map((f) => (f === '-' ? '<stdin>' : f));
    throw new StackFileError('file_empty', names.length === 1 ? `${names[0]} is empty` : `the stack files are all empty: ${names.join(', ')}`,
      { file: names[0]!, line: 0, col: 0 }, 'a stack file needs at least a `services:` mapping');
  }

  let merged: Dict = {};
  for (const { doc, parsed } of loaded) merged = mergeDocs(merged, doc, parsed);
  const locate = projectLocator(loader.parsedFiles);
  merged = resolveDocPaths(merged, found.projectDir);
  // Secrets and configs read their `environment:` variable now, from the project environment
  // (compose-go's ResolveEnvironment, run once the files are merged).
  merged = resolveObjectValues(merged, vars);
  return { merged, vars, found, opts, loader, locate };
}

export async function loadProject(options: LoadOptions = {}): Promise<Project> {
  if (options.interpolate === false) throw new Error('bug: a Project is always interpolated; use loadModel');
  const { merged, vars, found, opts, loader, locate } = await mergedModel(options);
  const projectName = resolveProjectName({
    flag: opts.projectName,
    env: vars,
    fromFile: typeof merged.name === 'string' ? merged.name : undefined,
    projectDir: found.projectDir,
  });
  const { project, problems, objectEnvironment } = normalise({
    doc: merged,
    name: projectName,
    workingDir: found.projectDir,
    configFiles: found.files.map((f) => (f === '-' ? '<stdin>' : f)),
    profiles: activeProfiles(opts.profiles, vars),
    lookup: (n) => vars[n],
    locate,
    skipEnvironmentFiles: opts.skipEnvironmentFiles,
  });
  // Normalise's problems do not stop the semantic checks: its project is whole, whatever it
  // could not parse left at a default, so every problem of the stack is reported in one run.
  loader.reportLater(problems);
  const swarm = opts.swarm === true || tugSettings(project).mode === 'swarm';
  loader.reportLater(checkTugSettings(project, locate));
  const checked = checkProject(project, locate, { hostCpus: opts.hostCpus, swarm });
  for (const w of checked.warnings) opts.onWarning?.(w);
  loader.reportLater(checked.problems);
  loader.stopIfProblems();
  rememberSources(project, locate);
  rememberObjectEnvironment(project, objectEnvironment);
  return project;
}

/**
 * Each warning once: a file read twice (named by -f and by an `extends: file:`, or included
 * twice) would otherwise repeat its YAML warnings.
 */
function onceEach(onWarning: ((d: Diagnostic) => void) | undefined): ((d: Diagnostic) => void) | undefined {
  if (!onWarning) return undefined;
  const seen = new Set<string>();
  return (d) => {
    const key = JSON.stringify([d.code, d.message, d.path, d.location?.file, d.location?.line, d.location?.col]);
    if (seen.has(key)) return;
    seen.add(key);
    onWarning(d);
  };
}

/** Go's strconv.ParseBool, for COMPOSE_DISABLE_ENV_FILE. */
function goBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/**
 * The project environment and the files, as docker compose (cmd/compose toProjectOptions, with
 * compose-go's cli options) works them out:
 *  1. the process environment, which always wins;
 *  2. the env files: `--env-file` (or, without one, COMPOSE_ENV_FILES, comma-separated, from
 *     the process environment only), else the `.env` of the working directory known before
 *     discovery (--project-directory, the first -f file's directory, or the current one);
 *  3. the files: -f, else COMPOSE_FILE (split on COMPOSE_PATH_SEPARATOR), both of which may
 *     come from that `.env`, else discovery upwards;
 *  4. without --env-file, the `.env` of the project directory now known is read too, when it
 *     exists; what step 2 set wins over it (the nearer file, in the current directory, wins).
 * COMPOSE_PROJECT_NAME and COMPOSE_PROFILES are then read from the whole environment.
 */
function projectEnvironment(opts: LoadOptions, cwd: string): { vars: Record<string, string>; found: Discovered } {
  const shell = opts.env ?? process.env;
  // No prototype: `${constructor}` must be an unset variable, not Object's member.
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(shell)) if (v !== undefined) vars[k] = v;
  const flagFiles = opts.files?.filter((f) => f !== '') ?? [];
  const explicit = opts.envFiles?.length
    ? { files: opts.envFiles, from: '--env-file' }
    : { files: (shell.COMPOSE_ENV_FILES ?? '').split(',').filter((f) => f !== ''), from: 'COMPOSE_ENV_FILES' };
  const explicitFiles = explicit.files.length > 0 ? explicit.files.map((f) => resolveHostPath(f, cwd)) : undefined;
  const disabled = shell.COMPOSE_DISABLE_ENV_FILE !== undefined && goBool(shell.COMPOSE_DISABLE_ENV_FILE) === true;
  const defaults = (dir: string): string[] => (disabled ? [] : defaultEnvFiles(dir));

  const first = explicitFiles ?? defaults(workingDirectory(cwd, flagFiles, opts.projectDirectory));
  addMissing(vars, readEnvFiles(first, vars, explicitFiles ? explicit.from : undefined));
  const found = discoverFiles({ cwd, files: opts.files, projectDirectory: opts.projectDirectory, env: vars });
  if (!explicitFiles) {
    const second = defaults(found.projectDir);
    if (second.length > 0 && second.join('\0') !== first.join('\0')) addMissing(vars, readEnvFiles(second, vars, undefined));
  }
  return { vars, found };
}

/** compose-go's Mapping.Merge: a variable already set keeps its value. */
function addMissing(vars: Record<string, string>, more: Record<string, string>): void {
  for (const [k, v] of Object.entries(more)) if (!Object.hasOwn(vars, k)) vars[k] = v;
}

/**
 * compose-go's dotenv.GetEnvFromFile: the files in order, each line interpolated from `env`
 * first, then from what earlier lines and files set; a later file's value wins over an earlier
 * one's. `required` names the option the files came from: each must then exist.
 */
function readEnvFiles(files: string[], env: Record<string, string>, required: string | undefined): Record<string, string> {
  const vars: Record<string, string> = Object.create(null) as Record<string, string>;
  const problems: Diagnostic[] = [];
  for (const file of files) {
    let result: ReturnType<typeof readEnvFile>;
    try {
      result = readEnvFile(file, (n) => (Object.hasOwn(env, n) ? env[n] : undefined), { prior: (n) => vars[n] });
    } catch (err) {
      if (!(err instanceof UserFileError)) throw err;
      const { code, message } = envFileRefusal(err, `${required ?? 'env file'} ${file}`);
      throw new StackFileError(code, message, { file, line: 0, col: 0 });
    }
    if (!result) {
      if (!required) continue;
      throw new StackFileError('env_file_not_found', `env file not found: ${file}`, { file, line: 0, col: 0 },
        required === 'COMPOSE_ENV_FILES' ? 'COMPOSE_ENV_FILES names env files to read instead of .env: each must exist' : undefined);
    }
    // One at a time: spreading an env file's 200,000 bad lines into push() overflows the stack.
    for (const p of envFileProblems(file, result)) problems.push(p);
    Object.assign(vars, result.values);
  }
  if (problems.length) throw new StackInvalidError(problems);
  return vars;
}

/**
 * compose-go's ResolveEnvironment for secrets and configs: one whose `environment:` names a
 * variable set in `vars` gets its value, kept beside the entry (normalise takes it out, and
 * `tug config` never prints it). Run for each include with the include's environment, then
 * for the project, whose environment, where it sets the variable, has the last word.
 */
function resolveObjectValues(doc: Dict, vars: Record<string, string>): Dict {
  let out = doc;
  for (const kind of ['secrets', 'configs']) {
    const all = doc[kind];
    if (!isPlainObject(all)) continue;
    let changed: Dict | undefined;
    for (const [name, obj] of Object.entries(all)) {
      if (!isPlainObject(obj) || typeof obj.environment !== 'string' || !Object.hasOwn(vars, obj.environment)) continue;
      changed ??= { ...all };
      changed[name] = { ...obj, [OBJECT_VALUE]: vars[obj.environment] };
    }
    if (changed) out = { ...out, [kind]: changed };
  }
  return out;
}

/** The documents of a stack file, in order: none when it holds no YAML document. */
async function readDocuments(file: string, text: string | undefined): Promise<ParsedFile[]> {
  const parsed = await readStackFile(file, text);
  return parsed.noDocument ? [] : [parsed, ...(parsed.more ?? [])];
}

/**
 * The validator's code is only loaded for a document this build has not accepted before.
 * `check` validates another document the same way (a pruned one).
 */
async function schemaProblemsOf(doc: Dict, locate: Locator): Promise<SchemaCheck & { check(doc: Dict): SchemaCheck }> {
  const cached = validity(doc);
  if (cached.known) return { problems: [], invalidAt: [], check: () => ({ problems: [], invalidAt: [] }) };
  const { schemaCheck } = await import('./validate.js');
  const check = (d: Dict) => schemaCheck(d, locate);
  const result = check(doc);
  if (result.problems.length === 0) cached.remember();
  return { ...result, check };
}

/** `-f -`: standard input, under the same byte budget as a file (it may never end). */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
    if (total > MAX_FILE_BYTES) {
      // Leaving the loop destroys the stream: nothing more is read.
      throw new StackFileError('file_too_large', `<stdin> is larger than ${MAX_FILE_BYTES} bytes; stack files are limited to ${MAX_FILE_BYTES}`,
        { file: '<stdin>', line: 0, col: 0 });
    }
  }
  return decodeText('<stdin>', Buffer.concat(chunks));
}

class Loader {
  readonly problems: Diagnostic[] = [];
  /** How many of the problems left the file checkable further (schema problems, once pruned). */
  private recoverable = 0;
  /** What was pruned from the files (prune.ts), as formatted paths. */
  private readonly cuts: string[] = [];
  readonly parsedFiles: ParsedFile[] = [];
  private readonly warned = new Set<string>();
  /** Files reached through `extends: {file}`, loaded once each (without resolving their extends). */
  private readonly targets = new Map<string, RawDoc | undefined>();
  /** Such files being loaded right now: reaching one again is a cycle (through its includes). */
  private readonly loadingTargets = new Set<string>();
  /** Each file's services with their `extends` resolved, by name. */
  private readonly resolved = new WeakMap<RawDoc, Map<string, Dict | undefined>>();
  /**
   * The services whose `extends` is being resolved, outermost first, across every file: one
   * chain, so that a cycle through `file:` is found as soon as one closes, like one within a file.
   */
  private readonly extendsChain: ExtendsLink[] = [];
  private readonly reportedCycles = new Set<string>();

  constructor(
    /** Files are named relative to it in cycle messages. */
    private readonly baseDir: string,
    private readonly onWarning?: (d: Diagnostic) => void,
    /** False: `${VAR}` stays as written, and the schema (which wants values) is not checked. */
    private readonly interpolate = true,
  ) {}

  /** Adds problems one by one: there may be more than push(...list) can take as arguments. */
  report(problems: Iterable<Diagnostic>): void {
    for (const p of problems) this.problems.push(p);
  }

  stopIfProblems(): void {
    if (this.problems.length > 0) throw new StackInvalidError(this.problems);
  }

  /** Stops when a problem left something the later stages cannot read; pruned schema problems do not. */
  stopIfUnrecoverable(): void {
    if (this.problems.length > this.recoverable) this.stopIfProblems();
  }

  /** Problems of the later stages, without those that only follow from a pruned value. */
  reportLater(problems: Iterable<Diagnostic>): void {
    for (const p of problems) if (!underCut(p.path, this.cuts)) this.problems.push(p);
  }

  /**
   * A file's documents, each loaded with its `extends` resolved, to be merged in order (none for
   * a file without a document; several for one with `---`, as compose-go decodes them).
   */
  async loadFile(file: string, text: string | undefined, dir: string, top: boolean, chain: string[], env: Env): Promise<LoadedDoc[]> {
    if (chain.includes(file)) {
      this.problems.push({ code: 'include_cycle', message: `include cycle: ${[...chain, file].join(' -> ')}`, location: { file, line: 0, col: 0 } });
      return [];
    }
    const out: LoadedDoc[] = [];
    for (const parsed of await readDocuments(file, text)) {
      const raw = await this.loadRaw(parsed, file, dir, top, chain, env);
      if (raw) out.push({ parsed: raw.parsed, doc: await this.applyExtends(raw) });
    }
    return out;
  }

  /** Everything but `extends`, for one document: interpolate, validate, canonical shapes, includes. */
  private async loadRaw(parsed: ParsedFile, file: string, dir: string, top: boolean, chain: string[], env: Env): Promise<RawDoc | undefined> {
    this.parsedFiles.push(parsed);
    const locate = fileLocator(parsed);
    for (const w of parsed.warnings) this.warn({ code: 'yaml_warning', message: w.message, location: { file, ...w.position } });

    const before = this.problems.length;
    const lookup: Lookup = (name) => (Object.hasOwn(env, name) ? env[name] : undefined);
    let value = !this.interpolate ? (parsed.value as Dict) : interpolateTree(parsed.value, lookup, {
      shared: parsed.shared,
      onUnset: (name, p) => {
        if (this.warned.has(name)) return;
        this.warned.add(name);
        this.warn({ code: 'unset_variable', message: `the "${name}" variable is not set: using an empty string`, location: locate(p), path: formatPath(p) });
      },
      onError: (err, p) => {
        this.problems.push({
          code: err.kind === 'required' ? 'required_variable' : err.kind === 'too_deep' ? 'interpolation_too_deep' : 'invalid_interpolation',
          message: interpolationMessage(err, p),
          location: locate(p),
          path: formatPath(p),
          hint: err.kind === 'syntax' ? 'write $$ for a literal $'
            : err.kind === 'too_deep' ? 'nest fewer ${...} inside each other'
            : `set ${err.variable ?? 'the variable'} in the environment or in .env`,
        });
      },
    }) as Dict;
    if (this.problems.length > before) return undefined;
    // Without interpolation `${VAR}` stands where the schema wants values: it is not checked.
    const schema = this.interpolate ? await schemaProblemsOf(value, locate) : undefined;
    if (schema && schema.problems.length > 0) {
      this.report(schema.problems);
      const pruned = pruneInvalid(value, schema, schema.check);
      if (!pruned) return undefined;
      // The rest of the file goes on through the pipeline, so its other problems come out now too.
      this.recoverable += schema.problems.length;
      for (const c of pruned.cuts) this.cuts.push(c);
      value = pruned.doc;
    }
    const checked = this.problems.length;
    for (const { path: at, message } of portRangeProblems(value)) {
      this.problems.push({ code: 'invalid_port', message, location: locate(at), path: formatPath(at), hint: 'a port is a number from 1 to 65535' });
    }
    for (const at of protoListItems(value, [], [], parsed.shared ? [new Set(), new Set()] : undefined)) {
      this.problems.push({ code: 'unsupported_key', message: 'the key "__proto__" is not supported in a stack file', location: locate(at), path: formatPath(at), hint: 'rename it' });
    }
    if (this.problems.length > checked) return undefined;
    // Without interpolation short forms are expanded too (compose-go's model is canonical either
    // way); those whose `${VAR}` cannot be read without its value stay as written.
    let doc = canonicalFile(value, !this.interpolate);
    // Files other than the top-level ones resolve paths against their own directory.
    if (!top) doc = resolveDocPaths(doc, dir);
    doc = await this.applyIncludes(doc, dir, locate, [...chain, file], env, parsed);
    return { parsed, doc, file, dir, locate, env };
  }

  private warn(d: Diagnostic): void {
    this.onWarning?.(d);
  }

  /**
   * compose-go's ApplyInclude: each entry's files are loaded as a project of their own, whose
   * directory is `project_directory` (relative to the including file's) or the first file's;
   * interpolated with the including environment plus the include's `env_file`s (or, without
   * any, that directory's `.env`), which only add variables the including one does not set.
   */
  private async applyIncludes(doc: Dict, dir: string, locate: Locator, chain: string[], env: Env, tags: MergeTags): Promise<Dict> {
    if (!Array.isArray(doc.include)) return doc;
    let out: Dict = { ...doc };
    delete out.include;
    for (const [i, entry] of doc.include.entries()) {
      const spec: Dict = isPlainObject(entry) ? entry : { path: entry };
      const paths = (Array.isArray(spec.path) ? spec.path : [spec.path]).map((p) => resolveHostPath(String(p), dir));
      const at: Path = ['include', i];
      const projectDir = typeof spec.project_directory === 'string' ? resolveHostPath(spec.project_directory, dir) : path.dirname(paths[0]!);
      const includeEnv = this.includeEnvironment(spec, projectDir, dir, env, at, locate);
      if (!includeEnv) continue;
      let included: Dict = {};
      for (const p of paths) {
        let docs: LoadedDoc[];
        try {
          docs = await this.loadFile(p, undefined, projectDir, false, chain, includeEnv);
        } catch (err) {
          if (err instanceof StackFileError) {
            this.problems.push({ code: err.code, message: `included file: ${err.message}`, location: locate(at), hint: err.hint });
            continue;
          }
          throw err;
        }
        for (const one of docs) included = mergeDocs(included, one.doc, one.parsed);
      }
      out = this.mergeInclude(out, resolveObjectValues(included, includeEnv), tags);
    }
    return out;
  }

  /** The environment an include's files see; undefined when one of its env files is missing (reported). */
  private includeEnvironment(spec: Dict, projectDir: string, dir: string, env: Env, at: Path, locate: Locator): Env | undefined {
    const listed = spec.env_file === undefined || spec.env_file === null ? [] : (Array.isArray(spec.env_file) ? spec.env_file : [spec.env_file]).map(String);
    let files: string[];
    if (listed.length === 0) {
      const dotEnv = path.join(projectDir, '.env');
      files = isFile(dotEnv) ? [dotEnv] : [];
    } else {
      files = [];
      for (const f of listed) {
        if (f === '/dev/null') continue;
        const file = resolveHostPath(f, dir);
        if (!isFile(file)) {
          this.problems.push({
            code: 'env_file_not_found', message: `env file ${file} of the include is not found`, location: locate([...at, 'env_file']),
            path: formatPath([...at, 'env_file']),
          });
          return undefined;
        }
        files.push(file);
      }
    }
    if (files.length === 0) return env;
    let values: Record<string, string>;
    try {
      values = readEnvFiles(files, env as Record<string, string>, 'include env_file');
    } catch (err) {
      if (err instanceof StackInvalidError) {
        this.report(err.problems);
        return undefined;
      }
      if (err instanceof StackFileError) {
        this.problems.push({ code: err.code, message: err.message, location: locate([...at, 'env_file']), path: formatPath([...at, 'env_file']) });
        return undefined;
      }
      throw err;
    }
    const merged: Record<string, string> = Object.create(null) as Record<string, string>;
    Object.assign(merged, values, env);
    return merged;
  }

  /**
   * Included resources join the including file. One it defines too is merged, the including
   * file's definition over the included one, its `!reset` and `!override` honoured: compose-go's
   * importResources since v2.10 (docker compose 2.40), which used to refuse such a service.
   */
  private mergeInclude(doc: Dict, included: Dict, tags: MergeTags): Dict {
    const out: Dict = { ...doc };
    for (const kind of ['services', 'networks', 'volumes', 'configs', 'secrets', 'models']) {
      const inc = included[kind];
      if (!isPlainObject(inc)) continue;
      const mine = isPlainObject(out[kind]) ? { ...(out[kind] as Dict) } : {};
      for (const [name, value] of Object.entries(inc)) {
        if (!Object.hasOwn(mine, name)) {
          mine[name] = value;
          continue;
        }
        const merged = mergeDocs({ [kind]: { [name]: value } }, { [kind]: { [name]: mine[name] } }, tags);
        mine[name] = (merged[kind] as Dict)[name];
      }
      out[kind] = mine;
    }
    return out;
  }

  private async applyExtends(raw: RawDoc): Promise<Dict> {
    if (!isPlainObject(raw.doc.services)) return raw.doc;
    const services = { ...raw.doc.services } as Dict;
    for (const name of Object.keys(services)) {
      const r = await this.resolveService(raw, name);
      if (r) services[name] = r;
    }
    return { ...raw.doc, services };
  }

  /** A service of `raw` with its `extends` resolved; undefined when that failed (and was reported). */
  private async resolveService(raw: RawDoc, name: string): Promise<Dict | undefined> {
    const all = raw.doc.services as Dict;
    const svc = Object.hasOwn(all, name) ? all[name] : undefined;
    if (!isPlainObject(svc)) return undefined;
    if (svc.extends === undefined) return svc;
    let memo = this.resolved.get(raw);
    if (!memo) this.resolved.set(raw, (memo = new Map()));
    if (memo.has(name)) return memo.get(name);
    const link: ExtendsLink = { id: `${raw.file}\0${name}`, label: `${this.label(raw.file)}:${name}`, at: raw.locate(['services', name, 'extends']) };
    const i = this.extendsChain.findIndex((l) => l.id === link.id);
    if (i >= 0) {
      this.reportCycle([...this.extendsChain.slice(i), link]);
      return undefined;
    }
    this.extendsChain.push(link);
    let result: Dict | undefined;
    try {
      result = await this.extendService(raw, name, svc, link.at);
    } finally {
      this.extendsChain.pop();
    }
    memo.set(name, result);
    return result;
  }

  private async extendService(raw: RawDoc, name: string, svc: Dict, at: SourceLocation | undefined): Promise<Dict | undefined> {
    const all = raw.doc.services as Dict;
    const ext = isPlainObject(svc.extends) ? svc.extends : { service: svc.extends };
    const baseName = String(ext.service);
    let base: Dict | undefined;
    if (typeof ext.file === 'string') {
      // Relative to the file that says `extends` (already absolute in included/extended files).
      const extFile = resolveHostPath(ext.file, raw.dir);
      // Interpolated with the environment of the file that extends it, as compose-go loads it.
      const other = await this.loadTarget(extFile, at, raw.env);
      if (!other) return undefined;
      const otherServices = isPlainObject(other.doc.services) ? (other.doc.services as Dict) : {};
      if (!Object.hasOwn(otherServices, baseName)) {
        this.problems.push({
          code: 'extends_unknown', message: `service "${name}" extends "${baseName}", which is not defined in ${extFile}`,
          location: at, path: formatPath(['services', name, 'extends']),
        });
        return undefined;
      }
      base = await this.resolveService(other, baseName);
      if (base) base = resolveServicePaths(base, path.dirname(extFile));
    } else {
      if (!Object.hasOwn(all, baseName)) {
        this.problems.push({
          code: 'extends_unknown', message: `service "${name}" extends "${baseName}", which is not defined`,
          location: at, path: formatPath(['services', name, 'extends']),
        });
        return undefined;
      }
      base = await this.resolveService(raw, baseName);
    }
    if (!base) return undefined;
    const local = { ...svc };
    delete local.extends;
    const merged = mergeDocs({ services: { [name]: base } }, { services: { [name]: local } });
    return (merged.services as Dict)[name] as Dict;
  }

  /** A file named by `extends.file`, loaded once; its own `extends` are resolved service by service. */
  private async loadTarget(file: string, at: SourceLocation | undefined, env: Env): Promise<RawDoc | undefined> {
    if (this.targets.has(file)) return this.targets.get(file);
    if (this.loadingTargets.has(file)) {
      // Only its includes can lead back here: a service in one of them extends the file itself.
      this.reportCycle([...this.extendsChain, { id: `${file}\0`, label: `${this.label(file)} (which includes the file)`, at }]);
      return undefined;
    }
    this.loadingTargets.add(file);
    let one: RawDoc | undefined;
    try {
      // Its documents merged into one, as compose-go's loadYamlFile does for an extended file.
      const raws: RawDoc[] = [];
      for (const parsed of await readDocuments(file, undefined)) {
        const raw = await this.loadRaw(parsed, file, path.dirname(file), false, [], env);
        if (raw) raws.push(raw);
      }
      one = raws.length <= 1 ? raws[0] : {
        ...raws[0]!,
        doc: raws.slice(1).reduce((acc, r) => mergeDocs(acc, r.doc, r.parsed), raws[0]!.doc),
        locate: projectLocator(raws.map((r) => r.parsed)),
      };
    } catch (err) {
      if (!(err instanceof StackFileError)) throw err;
      this.problems.push({ code: err.code, message: `extended file: ${err.message}`, location: at, hint: err.hint });
    } finally {
      this.loadingTargets.delete(file);
    }
    this.targets.set(file, one);
    return one;
  }

  /** One problem per cycle, however many of its services reach it, at the first one's `extends`. */
  private reportCycle(links: ExtendsLink[]): void {
    const key = [...new Set(links.map((l) => l.id))].sort().join('\n');
    if (this.reportedCycles.has(key)) return;
    this.reportedCycles.add(key);
    const first = links[0]!;
    this.problems.push({
      code: 'extends_cycle',
      message: `extends cycle: ${links.map((l) => l.label).join(' → ')}`,
      location: first.at,
      hint: 'a service cannot extend itself, directly or through other services',
    });
  }

  /** A file as cycle messages name it: relative to the project directory when inside it. */
  private label(file: string): string {
    if (!path.isAbsolute(file)) return file;
    const rel = path.relative(this.baseDir, file);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
  }
}

export { pathKey };
