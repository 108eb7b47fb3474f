/**
 * Shell completion, the part every shell shares: the words typed after `tug` in, the
 * candidates for the last one out. The scripts `tug completion SHELL` prints call it back as
 * `tug __complete WORD...` (as cobra-based CLIs such as docker compose do), so what is offered
 * is decided here, once, with tug's own view of the command line, and tested here.
 */
import type { CliModel, FlagSpec, PositionalSpec, VerbSpec } from './model.js';

export interface Candidate {
  value: string;
  description?: string;
}

/**
 * What the shell adds to the candidates: nothing, or its own file (or directory) names, as
 * for `-f` or a command run in a container.
 */
export type Directive = 'none' | 'file' | 'dir';

export interface Completion {
  candidates: Candidate[];
  directive: Directive;
}

/** The options typed so far that say which stack the names come from. */
export interface StackSelection {
  files: string[];
  projectDirectory?: string;
  projectName?: string;
  envFiles: string[];
}

/** Names read from the stack; empty when it cannot be loaded (as Compose offers nothing then). */
export interface StackNames {
  services(sel: StackSelection): Promise<string[]>;
  profiles(sel: StackSelection): Promise<string[]>;
}

export const SHELLS = ['bash', 'zsh', 'fish'] as const;

/** Flags whose value is a stack file or directory, or a service: what the shell cannot know. */
const FILE_VALUED = new Set(['file', 'env-file', 'output']);
const DIR_VALUED = new Set(['project-directory']);
const SERVICE_VALUED = new Set(['exit-code-from', 'attach', 'no-attach']);

interface Typed {
  verb?: VerbSpec;
  /** The flags typed, each as its spec, with its value when it has one. */
  flags: { spec: FlagSpec; value?: string }[];
  positionals: string[];
  /** A flag waiting for its value: the word being completed is it. */
  pending?: FlagSpec;
  /** Past `--`, or into the command of `exec`/`run`: the rest is not tug's. */
  rest: boolean;
}

/**
 * `words`: what follows `tug` on the command line up to the cursor, the last being the word
 * being completed ('' after a space). `shortF`: verbs after which `-f` is another flag.
 */
export async function complete(words: readonly string[], model: CliModel, stack: StackNames, shortF: Readonly<Record<string, string>> = {}): Promise<Completion> {
  const cur = words[words.length - 1] ?? '';
  const typed = readTyped(words.slice(0, -1), model, shortF);
  const sel = selection(typed);
  const flags = typed.verb?.flags ?? model.globals();
  const none = (candidates: Candidate[] = []): Completion => ({ candidates, directive: 'none' });

  if (typed.rest) return { candidates: [], directive: 'file' };
  if (typed.pending) return valueOf(typed.pending, cur, '', stack, sel);
  if (cur.startsWith('--') && cur.includes('=')) {
    const [name, ...v] = cur.slice(2).split('=');
    const spec = findFlag(flags, name!, typed.verb, shortF);
    return spec?.takesValue ? valueOf(spec, v.join('='), `--${name}=`, stack, sel) : none();
  }
  if (cur.startsWith('-')) return none(flagCandidates(flags, typed, cur, shortF));

  if (!typed.verb) {
    if (typed.positionals.length > 0) return none();
    return none(model.verbs.filter((v) => v.name.startsWith(cur)).map((v) => ({ value: v.name, description: v.describe })));
  }
  const positional = positionalAt(typed.verb.positionals, typed.positionals.length);
  if (!positional) return none();
  if (positional.choices) return none(prefixed(positional.choices, cur));
  switch (positional.name) {
    case 'services':
    case 'service': {
      const given = new Set(typed.positionals);
      return none(prefixed((await stack.services(sel)).filter((s) => !given.has(s)), cur));
    }
    case 'replicas': {
      // scale SERVICE=N: the name and its `=`, the number is the user's.
      const given = new Set(typed.positionals.map((p) => p.split('=')[0]));
      return none(prefixed((await stack.services(sel)).filter((s) => !given.has(s)).map((s) => `${s}=`), cur));
    }
    case 'source':
    case 'destination':
      // cp: SERVICE:PATH or a local path.
      return { candidates: prefixed((await stack.services(sel)).map((s) => `${s}:`), cur), directive: 'file' };
    case 'cmd':
      return { candidates: [], directive: 'file' };
    default:
      return none();
  }
}

function prefixed(values: readonly string[], cur: string, prefix = ''): Candidate[] {
  return values.filter((v) => (prefix + v).startsWith(cur)).map((v) => ({ value: prefix + v }));
}

function positionalAt(list: readonly PositionalSpec[], i: number): PositionalSpec | undefined {
  if (i < list.length) return list[i];
  const last = list[list.length - 1];
  return last?.variadic ? last : undefined;
}

/** A flag by a name typed after one or two dashes (`-f` after `logs` is its --follow). */
function findFlag(flags: readonly FlagSpec[], name: string, verb: VerbSpec | undefined, shortF: Readonly<Record<string, string>>): FlagSpec | undefined {
  const wanted = name === 'f' && verb && shortF[verb.name] ? shortF[verb.name]! : name;
  return flags.find((f) => f.names.includes(wanted));
}

function readTyped(words: readonly string[], model: CliModel, shortF: Readonly<Record<string, string>>): Typed {
  const t: Typed = { flags: [], positionals: [], rest: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (t.rest) continue;
    if (w === '--') {
      t.rest = true;
      continue;
    }
    const flags = t.verb?.flags ?? model.globals();
    // The word after a flag that takes a value is that value (or, as the last, the word being completed).
    const takeValue = (spec: FlagSpec, inline: string | undefined) => {
      if (inline !== undefined) return void t.flags.push({ spec, value: inline });
      if (i + 1 < words.length) t.flags.push({ spec, value: words[++i]! });
      else {
        t.flags.push({ spec });
        t.pending = spec;
      }
    };
    if (w.startsWith('--') && w.length > 2) {
      const [name, ...v] = w.slice(2).split('=');
      const spec = findFlag(flags, name!, t.verb, shortF);
      if (!spec) continue;
      if (spec.takesValue) takeValue(spec, v.length ? v.join('=') : undefined);
      else t.flags.push({ spec });
      continue;
    }
    if (w.startsWith('-') && w.length > 1) {
      // A group of short flags (`-dt 5`); the first that takes a value takes the rest of the word, or the next word.
      const letters = w.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const spec = findFlag(flags, letters[j]!, t.verb, shortF);
        if (!spec) continue;
        if (!spec.takesValue) {
          t.flags.push({ spec });
          continue;
        }
        const inline = letters.slice(j + 1).replace(/^=/, '');
        takeValue(spec, inline === '' ? undefined : inline);
        break;
      }
      continue;
    }
    if (!t.verb && t.positionals.length === 0) {
      const verb = model.verb(w);
      if (verb) {
        t.verb = verb;
        continue;
      }
    }
    t.positionals.push(w);
    // After the service of exec/run everything is the command's (argv.ts dashAfterService).
    if (t.verb && t.verb.positionals.some((p) => p.name === 'cmd') && t.positionals.length >= 1) t.rest = true;
  }
  // A pending value is the word being completed only if nothing came after the flag.
  return t;
}

function selection(t: Typed): StackSelection {
  const values = (name: string) => t.flags.filter((f) => f.spec.names[0] === name && f.value !== undefined).map((f) => f.value!);
  const sel: StackSelection = { files: values('file'), envFiles: values('env-file') };
  const dir = values('project-directory').pop();
  const name = values('project-name').pop();
  if (dir !== undefined) sel.projectDirectory = dir;
  if (name !== undefined) sel.projectName = name;
  return sel;
}

async function valueOf(spec: FlagSpec, cur: string, prefix: string, stack: StackNames, sel: StackSelection): Promise<Completion> {
  const name = spec.names[0]!;
  const none = (values: readonly string[]): Completion => ({ candidates: prefixed(values, prefix + cur, prefix), directive: 'none' });
  if (spec.choices) return none(spec.choices);
  if (name === 'profile') return none(await stack.profiles(sel));
  if (SERVICE_VALUED.has(name)) return none(await stack.services(sel));
  // The shell completes paths; a prefix (`--file=`) stays the user's.
  if (FILE_VALUED.has(name)) return { candidates: [], directive: 'file' };
  if (DIR_VALUED.has(name)) return { candidates: [], directive: 'dir' };
  return none([]);
}

function flagCandidates(flags: readonly FlagSpec[], t: Typed, cur: string, shortF: Readonly<Record<string, string>>): Candidate[] {
  // By name: a global flag typed before the verb is the same flag as the verb's copy of it.
  const given = new Set(t.flags.map((f) => f.spec.names[0]));
  const out: Candidate[] = [];
  const verbF = t.verb ? shortF[t.verb.name] : undefined;
  for (const spec of flags) {
    if (given.has(spec.names[0]) && !spec.repeatable) continue;
    for (const n of spec.names) {
      // After `logs`/`rm`, -f is --follow/--force, not --file.
      if (verbF && n === 'f') continue;
      const value = n.length === 1 ? `-${n}` : `--${n}`;
      if (value.startsWith(cur)) out.push(spec.describe ? { value, description: spec.describe } : { value });
    }
    if (verbF && spec.names[0] === verbF && '-f'.startsWith(cur)) out.push(spec.describe ? { value: '-f', description: spec.describe } : { value: '-f' });
  }
  return out;
}

/** The protocol the scripts read: one candidate a line (`value<TAB>description`), then `:directive`. */
export function formatCompletion(c: Completion): string {
  const lines = c.candidates.map((x) => (x.description ? `${x.value}\t${oneLine(x.description)}` : x.value));
  return `${[...lines, `:${c.directive}`].join('\n')}\n`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
