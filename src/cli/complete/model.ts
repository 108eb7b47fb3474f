/**
 * What shell completion knows of the command line, read off the same yargs modules that parse
 * it: the verbs, each verb's positionals and flags (their names, whether they take a value,
 * their choices). Nothing is listed by hand, so a flag added to a verb is completed at once.
 */
import yargs, { type Argv, type CommandModule, type Options } from 'yargs';
import { globalOptions, type GlobalArgs } from '../options.js';

export interface FlagSpec {
  /** The option's name, then its aliases (one letter: a short flag). */
  names: string[];
  takesValue: boolean;
  /** May be given more than once (so it is offered again after it was typed). */
  repeatable: boolean;
  choices?: string[];
  describe?: string;
}

export interface PositionalSpec {
  name: string;
  /** `[services..]`: takes every word from here on. */
  variadic: boolean;
  choices?: string[];
}

export interface VerbSpec {
  name: string;
  aliases: string[];
  describe: string;
  positionals: PositionalSpec[];
  flags: FlagSpec[];
}

/** The verbs, with each one's flags worked out only when asked (a completion needs one verb). */
export interface CliModel {
  verbs: { name: string; aliases: string[]; describe: string }[];
  /** The options valid before a verb: the global ones, help and version. */
  globals(): FlagSpec[];
  verb(name: string): VerbSpec | undefined;
}

/** yargs' option registry (yargs-factory.js getOptions), the parts read here. */
interface OptionTable {
  key: Record<string, unknown>;
  alias: Record<string, string[]>;
  boolean: string[];
  count: string[];
  array: string[];
  choices: Record<string, unknown[]>;
  hiddenOptions: string[];
}

declare module 'yargs' {
  interface Argv<T> {
    /** The instance's internals; only the usage instance's descriptions are read here. */
    getInternalMethods(): { getUsageInstance(): { getDescriptions(): Record<string, unknown> } };
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = CommandModule<GlobalArgs, any>;

export function cliModel(modules: readonly AnyModule[]): CliModel {
  const byName = new Map<string, AnyModule>();
  const verbs = modules.flatMap((m) => {
    const name = commandWords(m)[0];
    if (!name || m.describe === false) return [];
    const aliases = [m.aliases ?? []].flat();
    for (const n of [name, ...aliases]) byName.set(n, m);
    return [{ name, aliases, describe: typeof m.describe === 'string' ? m.describe : '' }];
  });
  const cache = new Map<string, VerbSpec>();
  let globals: FlagSpec[] | undefined;
  return {
    verbs,
    globals: () => (globals ??= flagsOf(baseParser(), new Set())),
    verb(name) {
      const m = byName.get(name);
      if (!m) return undefined;
      const canonical = commandWords(m)[0]!;
      let spec = cache.get(canonical);
      if (!spec) {
        spec = verbSpec(m);
        cache.set(canonical, spec);
      }
      return spec;
    },
  };
}

/** A parser with what main.ts gives every verb: the global options, help (also -h) and version. */
function baseParser(): Argv<GlobalArgs> {
  return yargs([]).options(globalOptions).alias('help', 'h') as unknown as Argv<GlobalArgs>;
}

function commandWords(m: AnyModule): string[] {
  const c = [m.command ?? ''].flat()[0] ?? '';
  return c.split(/\s+/).filter(Boolean);
}

function verbSpec(m: AnyModule): VerbSpec {
  const words = commandWords(m);
  const positionals: PositionalSpec[] = words.slice(1).flatMap((w) => {
    const p = /^[<[]([^.\]>]+)(\.\.)?[\]>]$/.exec(w);
    return p ? [{ name: p[1]!, variadic: p[2] !== undefined }] : [];
  });
  const y = baseParser();
  // The builder only declares (positional, options, epilogue...): nothing is parsed here.
  if (typeof m.builder === 'function') (m.builder as (y: Argv<GlobalArgs>) => unknown)(y);
  else if (m.builder) y.options(m.builder as Record<string, Options>);
  const names = new Set(positionals.map((p) => p.name));
  const choices = (y.getOptions() as unknown as OptionTable).choices;
  for (const p of positionals) if (choices[p.name]) p.choices = choices[p.name]!.map(String);
  return {
    name: words[0]!,
    aliases: [m.aliases ?? []].flat(),
    describe: typeof m.describe === 'string' ? m.describe : '',
    positionals,
    flags: flagsOf(y, names),
  };
}

function flagsOf(y: Argv<GlobalArgs>, positionals: Set<string>): FlagSpec[] {
  const o = y.getOptions() as unknown as OptionTable;
  const descriptions = y.getInternalMethods().getUsageInstance().getDescriptions();
  const aliasOf = new Set(Object.values(o.alias).flat());
  const out: FlagSpec[] = [];
  for (const key of Object.keys(o.key)) {
    // Aliases are listed under their option; positionals are registered as options too.
    if (aliasOf.has(key) || positionals.has(key) || o.hiddenOptions.includes(key)) continue;
    const raw = descriptions[key];
    // yargs marks its own (translatable) descriptions, help's and version's, with a prefix.
    const describe = typeof raw === 'string' ? raw.replace(/^__yargsString__:/, '') : undefined;
    const spec: FlagSpec = {
      names: [key, ...(o.alias[key] ?? [])],
      takesValue: !o.boolean.includes(key) && !o.count.includes(key),
      // Options that take one value each time say "repeatable" (options.ts explains why they are not arrays).
      repeatable: o.array.includes(key) || o.count.includes(key) || /\brepeatable\b/i.test(describe ?? ''),
    };
    if (o.choices[key]) spec.choices = o.choices[key].map(String);
    if (describe) spec.describe = describe;
    out.push(spec);
  }
  return out;
}
