/**
 * Fuzz cases: a corpus stack with one to three mutations. A case is a pure function of (seed,
 * index), the corpus and the arena, so `npm run fuzz -- --seed S --case I` rebuilds any of them.
 *
 * Mutation kinds, as issue 10 lists them: byte flips, deleted / duplicated / swapped lines and
 * truncation, indentation, random keys and values, deep nesting, huge scalars, anchors and
 * aliases (bombs included), binary and invalid UTF-8 (and other encodings), unknown tags,
 * interpolation nesting, and hostile paths (devices, a FIFO, a directory, a symlink loop, a file
 * over the size limit, extends and include cycles across files).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MAX_DEPTH, MAX_FILE_BYTES, MAX_INTERPOLATION_DEPTH } from '../../src/stack/limits.js';
import type { CorpusStack } from './corpus.js';
import { caseSeed, rng, type Rng } from './rng.js';

/** Files the hostile-path mutations point at, made once per run. */
export interface Arena {
  dir: string;
  fifo: string;
  directory: string;
  symlinkLoop: string;
  missing: string;
  /** A sparse file just over the size limit: stat and the read both see it too large. */
  oversize: string;
  /** Two files whose services extend each other's (`extends.file` cycle). */
  extendsCycle: string;
  /** Two files that include each other. */
  includeCycle: string;
  /** A file whose service reads /dev/zero as its env file: hostile input one `extends` away. */
  extendsZero: string;
}

/** Where the arena's files are under `dir` (made by makeArena). */
export function arenaAt(dir: string): Arena {
  const p = (name: string) => path.join(dir, name);
  return {
    dir,
    fifo: p('fifo'),
    directory: p('a-directory'),
    symlinkLoop: p('loop'),
    missing: p('missing/nothing.env'),
    oversize: p('oversize.env'),
    extendsCycle: p('cycle-a.yaml'),
    includeCycle: p('include-a.yaml'),
    extendsZero: p('extends-zero.yaml'),
  };
}

/** Makes the arena's files in a new temporary directory (remove it with removeArena). */
export function makeArena(dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tug-fuzz-'))): Arena {
  const a = arenaAt(dir);
  const p = (name: string) => path.join(dir, name);
  fs.mkdirSync(p('cases'), { recursive: true });
  const made = spawnSync('mkfifo', [a.fifo]);
  if (made.status !== 0) throw new Error(`mkfifo ${a.fifo}: ${made.stderr?.toString() ?? made.error?.message}`);
  fs.mkdirSync(a.directory);
  fs.symlinkSync(a.symlinkLoop, a.symlinkLoop);
  // Sparse: over the limit without writing 8 MB.
  const fd = fs.openSync(a.oversize, 'w');
  fs.ftruncateSync(fd, MAX_FILE_BYTES + 4096);
  fs.closeSync(fd);
  fs.writeFileSync(p('cycle-a.yaml'), 'services:\n  a:\n    image: busybox\n    extends: {file: cycle-b.yaml, service: b}\n');
  fs.writeFileSync(p('cycle-b.yaml'), 'services:\n  b:\n    image: busybox\n    extends:\n      file: ./cycle-a.yaml\n      service: a\n');
  fs.writeFileSync(p('include-a.yaml'), 'include: [include-b.yaml]\nservices:\n  ia:\n    image: busybox\n');
  fs.writeFileSync(p('include-b.yaml'), 'include:\n  - path: ./include-a.yaml\nservices:\n  ib:\n    image: busybox\n');
  fs.writeFileSync(p('extends-zero.yaml'), 'services:\n  z:\n    image: busybox\n    env_file: /dev/zero\n');
  return a;
}

export function removeArena(a: Arena): void {
  fs.rmSync(a.dir, { recursive: true, force: true });
}

export interface FuzzCase {
  /** `seed:index`, what reproduces it. */
  id: string;
  seed: number;
  index: number;
  /** The corpus stack it mutates. */
  stack: string;
  projectDir: string;
  /** The `-f` files in order: corpus files, and the mutated one in the arena. */
  files: string[];
  /** The mutated file: written before the case runs, removed after. */
  written: { path: string; content: Buffer };
  /** What was done, for reports. */
  mutations: string[];
}

export interface Generator {
  stacks: CorpusStack[];
  templates: string[];
  arena: Arena;
  texts: Map<string, string>;
}

export function generator(stacks: CorpusStack[], templates: string[], arena: Arena): Generator {
  if (stacks.length === 0) throw new Error('no corpus stacks to mutate');
  return { stacks, templates, arena, texts: new Map() };
}

const KIND_WEIGHTS = {
  lines: 14,
  indent: 8,
  key: 10,
  value: 10,
  nesting: 6,
  huge: 5,
  aliases: 9,
  bytes: 12,
  tags: 6,
  interpolation: 9,
  paths: 11,
} as const;
export type MutationKind = keyof typeof KIND_WEIGHTS;
export const MUTATION_KINDS = Object.keys(KIND_WEIGHTS) as MutationKind[];

export function generateCase(g: Generator, seed: number, index: number): FuzzCase {
  const r = rng(caseSeed(seed, index));
  // In turn, so that every corpus stack is mutated in any run of as many cases as there are stacks.
  const stack = g.stacks[index % g.stacks.length]!;
  const target = r.int(stack.files.length);
  const source = stack.files[target]!;
  let text = g.texts.get(source);
  if (text === undefined) g.texts.set(source, (text = fs.readFileSync(source, 'utf8')));
  const self = path.join(g.arena.dir, 'cases', `${index}-${path.basename(source)}`);

  const m = new Mutator(r, text, { ...g, self });
  const count = r.chance(0.6) ? 1 : r.between(2, 3);
  for (let i = 0; i < count; i++) m.apply(r.weighted(KIND_WEIGHTS));
  const files = [...stack.files];
  files[target] = self;
  return { id: `${seed}:${index}`, seed, index, stack: stack.name, projectDir: stack.dir, files, written: { path: self, content: m.bytes() }, mutations: m.done };
}

// ---------------------------------------------------------------------------------------------
// Material

const SERVICE_KEYS = [
  'image', 'build', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'volumes', 'depends_on', 'healthcheck',
  'deploy', 'restart', 'networks', 'labels', 'label_file', 'cpus', 'mem_limit', 'scale', 'container_name', 'profiles',
  'secrets', 'configs', 'ulimits', 'logging', 'extra_hosts', 'dns', 'cap_add', 'links', 'volumes_from', 'network_mode',
  'stop_grace_period', 'tmpfs', 'devices', 'sysctls', 'user', 'working_dir', 'init', 'read_only', 'shm_size', 'expose',
  'develop', 'extends', 'post_start', 'pre_stop', 'security_opt', 'platform', 'pull_policy', 'gpus', 'models', 'provider',
];
const TOP_KEYS = ['services', 'networks', 'volumes', 'secrets', 'configs', 'include', 'name', 'version', 'models', 'x-tug'];
const ODD_KEYS = [
  '<<', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x-', 'x-fuzz', '"quoted key"', "'single'", '? complex',
  '[flow, key]', '{a: 1}', '""', '~', 'null', '1', '0x10', 'true', '.inf', 'ключ', '😀', 'a b', 'a:b', '-', '#', 'a#b',
  '${X}', '$$', 'K'.repeat(1000),
];

const SCALARS = [
  'null', '~', '', 'true', 'false', 'no', 'yes', 'on', 'off', 'y', '0', '-1', '0440', '0o17', '0x1F', '1e400', '-.inf',
  '.nan', '99999999999999999999999', '9007199254740993', '1_000', '65536', '8080:80', '127.0.0.1:80:80/udp', '1-2:3-4',
  '[::1]:80:80', './x:/y:zz', '/abs:/abs:ro', 'service:ghost', 'container:x', 'host', 'none', 'CMD-SHELL', 'NONE',
  '1h30m', '-5s', '1.5', '512m', '1e3g', '10Q', 'unless-stopped', 'on-failure:-1', 'service_healthy', 'bogus',
  '"unterminated', "'also", '"', "'", '[', ']', '{', '}', '[1, 2', '{a: 1', '[]', '{}', '- x', 'a: b', ': x', '? x',
  '*undefined', '&lonely', '!', '|', '>', '|-', '>+', '|9', '%', '@x', '`x`', '#x', 'x #y', '\\', '\t', 'é', '😀',
  '\u202e', '\u0000', '\u2028', 'services', 'image', '__proto__', '${X}', '${X:?boom}', '$', '$$', '${', '${}',
];

const TAGS = [
  '!foo', '!!python/object/apply:os.system', '!!binary', '!!str', '!!int', '!!float', '!!bool', '!!null', '!!map',
  '!!seq', '!!set', '!!omap', '!!pairs', '!!timestamp', '!!merge', '!<tag:yaml.org,2002:str>', '!<!>', '!', '!reset',
  '!override', '!e!thing', '!!js/function', '!<tag:example.com,2000:x>', '!!value', '!!yaml', '!%F0%9F%98%80',
];
const DIRECTIVES = ['%YAML 1.1', '%YAML 1.2', '%YAML 2.0', '%YAML 1.1\n%YAML 1.1', '%TAG !e! tag:example.com,2000:', '%TAG ! !local-', '%FOO bar baz', '%'];

const INVALID_UTF8 = [
  [0xff], [0xfe], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xf4, 0x90, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0x80], [0xbf, 0xbf], [0xc3, 0x28],
];
const ODD_CHARS = ['\u0000', '\u0001', '\u0007', '\u001b[31m', '\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\ufeff', '\ufffe', '\uffff', '\r', '\t', '\v', '\f'];

/** The hostile paths: what a path key may name instead of a stack or env file. */
function hostilePaths(a: Arena, self: string): string[] {
  return [
    '/dev/zero', '/dev/urandom', '/dev/full', '/dev/random', '/dev/stdin', '/dev/tty', '/dev/null', '/proc/self/mem',
    '/proc/self/status', '/proc/self/fd/0', '/', '/etc', a.fifo, a.directory, a.symlinkLoop, a.missing, a.oversize,
    `${a.directory}/`, self, path.relative(a.dir, a.fifo),
  ];
}

// ---------------------------------------------------------------------------------------------
// The mutator

interface Context extends Generator {
  /** The path the mutated file is written at (what a self-reference names). */
  self: string;
}

/** `key: value` (optionally as a list item), with where the value starts. */
const KEY_VALUE = /^(\s*(?:- )?(?:"[^"]*"|'[^']*'|[^\s:#'"][^:#]*?)\s*:)(?:(\s+)(.*))?$/;
const ITEM = /^(\s*- )(.*)$/;

class Mutator {
  private lines: string[];
  private byteOps: ((b: Buffer) => Buffer)[] = [];
  readonly done: string[] = [];
  private anchors = 0;

  constructor(private readonly r: Rng, text: string, private readonly ctx: Context) {
    this.lines = text.split('\n');
  }

  /** The mutated file: the text as UTF-8, then the byte-level mutations in order. */
  bytes(): Buffer {
    let b: Buffer = Buffer.from(this.lines.join('\n'), 'utf8');
    for (const op of this.byteOps) b = op(b);
    return b;
  }

  apply(kind: MutationKind): void {
    const how: Record<MutationKind, () => string> = {
      lines: () => this.lineEdit(),
      indent: () => this.indent(),
      key: () => this.randomKey(),
      value: () => this.setValue(this.value()),
      nesting: () => this.nesting(),
      huge: () => this.huge(),
      aliases: () => this.aliases(),
      bytes: () => this.byteEdit(),
      tags: () => this.tags(),
      interpolation: () => this.interpolation(),
      paths: () => this.paths(),
    };
    this.done.push(`${kind}: ${how[kind]()}`);
  }

  // ---- helpers

  private line(): number {
    return this.r.int(Math.max(this.lines.length, 1));
  }

  private indentOf(i: number): string {
    return /^\s*/.exec(this.lines[i] ?? '')![0];
  }

  /** Replaces the value at a random `key: value` or list item line (else the whole line). */
  private setValue(value: string, at = this.line()): string {
    const line = this.lines[at] ?? '';
    const kv = KEY_VALUE.exec(line);
    const item = ITEM.exec(line);
    if (kv) this.lines[at] = `${kv[1]} ${value}`;
    else if (item) this.lines[at] = item[1] + value;
    else this.lines[at] = this.indentOf(at) + value;
    return `line ${at + 1}`;
  }

  private value(): string {
    const r = this.r;
    switch (r.int(7)) {
      case 0:
      case 1:
        return r.pick(SCALARS);
      case 2:
        return this.ctx.templates.length ? (r.chance(0.5) ? JSON.stringify(r.pick(this.ctx.templates)) : r.pick(this.ctx.templates)) : r.pick(SCALARS);
      case 3:
        return r.pick([String(r.int(70000)), String(-r.int(100)), String(r.next() * 1e6), String(2 ** r.int(80)), `0x${r.int(1e6).toString(16)}`]);
      case 4:
        return Array.from({ length: r.int(24) }, () => String.fromCharCode(r.between(32, 126))).join('');
      case 5:
        return r.pick(['[a, b]', '{a: 1}', '[{x: [1, {y: z}]}]', '{image: busybox}', '["CMD", "true"]', '[null]', '{?: x}', '[*a]']);
      default:
        return `${r.pick(SCALARS)}${r.pick(ODD_CHARS)}${r.pick(SCALARS)}`;
    }
  }

  /** The services mapping: the `services:` line and its children's indentation. */
  private servicesBlock(): { at: number; indent: string } | undefined {
    const at = this.lines.findIndex((l) => /^services:\s*(#.*)?$/.test(l));
    if (at < 0) return undefined;
    const child = this.lines.slice(at + 1).find((l) => l.trim() && !l.trim().startsWith('#'));
    const indent = child ? /^\s*/.exec(child)![0] : '  ';
    return { at, indent: indent || '  ' };
  }

  /** Adds `body` (lines relative to a service's body) to a new service, or to an existing one. */
  private addToService(body: string[], name = `fz${this.r.int(1000)}`): string {
    const block = this.servicesBlock();
    if (!block) {
      this.lines.push('services:', `  ${name}:`, '    image: busybox', ...body.map((l) => `    ${l}`));
      return `new services: ${name}`;
    }
    const step = block.indent;
    const existing = this.lines
      .map((l, i) => [l, i] as const)
      .filter(([l, i]) => i > block.at && l.startsWith(step) && !l.startsWith(`${step} `) && /^\s*[^\s#-][^:]*:\s*$/.test(l));
    if (existing.length && this.r.chance(0.3)) {
      const [l, i] = this.r.pick(existing);
      this.lines.splice(i + 1, 0, ...body.map((b) => step + step + b));
      return `into service ${l.trim()}`;
    }
    this.lines.splice(block.at + 1, 0, `${step}${name}:`, `${step}${step}image: busybox`, ...body.map((b) => step + step + b));
    return `service ${name}`;
  }

  private addTopLevel(lines: string[]): void {
    if (this.r.chance(0.5) || !this.lines.length) this.lines.push(...lines);
    else this.lines.unshift(...lines);
  }

  // ---- the kinds

  lineEdit(): string {
    const r = this.r;
    const i = this.line();
    switch (r.int(5)) {
      case 0:
        this.lines.splice(i, 1 + (r.chance(0.2) ? r.int(5) : 0));
        return `deleted line ${i + 1}`;
      case 1:
        this.lines.splice(i, 0, ...this.lines.slice(i, i + 1 + (r.chance(0.3) ? r.int(6) : 0)));
        return `duplicated line ${i + 1}`;
      case 2: {
        const j = this.line();
        [this.lines[i], this.lines[j]] = [this.lines[j] ?? '', this.lines[i] ?? ''];
        return `swapped lines ${i + 1} and ${j + 1}`;
      }
      case 3: {
        const text = this.lines.join('\n');
        const at = r.int(text.length + 1);
        this.lines = text.slice(0, at).split('\n');
        return `truncated at ${at}`;
      }
      default: {
        const text = this.lines.join('\n');
        const a = r.int(text.length + 1);
        const len = r.int(40);
        this.lines = (text.slice(0, a) + text.slice(a + len)).split('\n');
        return `deleted ${len} characters at ${a}`;
      }
    }
  }

  indent(): string {
    const r = this.r;
    const i = this.line();
    const n = r.chance(0.3) ? 1 + r.int(6) : 1;
    const delta = r.pick([-4, -2, -1, 1, 2, 3, 4, 8]);
    const tab = r.chance(0.1);
    for (let k = i; k < Math.min(i + n, this.lines.length); k++) {
      const l = this.lines[k]!;
      this.lines[k] = tab ? `\t${l}` : delta > 0 ? ' '.repeat(delta) + l : l.replace(new RegExp(`^ {0,${-delta}}`), '');
    }
    return `${tab ? 'tab' : delta} on ${n} line(s) from ${i + 1}`;
  }

  randomKey(): string {
    const r = this.r;
    const i = this.line();
    const invented = Array.from({ length: 1 + r.int(12) }, () => String.fromCharCode(r.between(97, 122))).join('');
    const key = r.pick(r.pick([SERVICE_KEYS, SERVICE_KEYS, TOP_KEYS, ODD_KEYS, [invented]]));
    const indent = r.chance(0.8) ? this.indentOf(i) : ' '.repeat(r.int(9));
    const nested = r.chance(0.3);
    const lines = nested ? [`${indent}${key}:`, `${indent}  ${r.pick(SERVICE_KEYS)}: ${this.value()}`] : [`${indent}${key}: ${this.value()}`];
    this.lines.splice(i, 0, ...lines);
    return `${JSON.stringify(key.slice(0, 40))} at line ${i + 1}`;
  }

  nesting(): string {
    const r = this.r;
    const depth = r.pick([10, MAX_DEPTH - 10, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 500, 1000, 10_000, 100_000]);
    const balanced = r.chance(0.8);
    const close = (s: string) => (balanced ? s.repeat(depth) : s.repeat(r.int(depth)));
    switch (r.int(5)) {
      case 0:
        return `flow list ${depth}: ${this.setValue('['.repeat(depth) + 'x' + close(']'))}`;
      case 1:
        return `flow map ${depth}: ${this.setValue('{a: '.repeat(depth) + '1' + close('}'))}`;
      case 2:
        return `compact list ${depth}: ${this.setValue(`\n${this.indentOf(0)}  ${'- '.repeat(depth)}x`)}`;
      case 3: {
        const d = Math.min(depth, 1500);
        this.addTopLevel(['x-deep:', ...Array.from({ length: d }, (_, k) => `${' '.repeat(k + 1)}k:`), `${' '.repeat(d + 1)}1`]);
        return `block map ${d}`;
      }
      default: {
        const d = Math.min(depth, 1500);
        this.addTopLevel(['x-deep:', ...Array.from({ length: d }, (_, k) => `${' '.repeat(k)}-`), `${' '.repeat(d)}x`]);
        return `block list ${d}`;
      }
    }
  }

  huge(): string {
    const r = this.r;
    const size = r.pick([1_000, 1_000, 100_000, 100_000, 1_000_000, MAX_FILE_BYTES - 64 * 1024, MAX_FILE_BYTES + 1]);
    const c = r.pick(['a', 'a', ' ', '9', 'é', '😀', '\\', '$', '${', '"', '#', ':', "'", '\n']);
    const body = c.repeat(Math.max(1, Math.ceil(size / Buffer.byteLength(c))));
    switch (r.int(6)) {
      case 0:
        return `plain ${size} of ${JSON.stringify(c)}: ${this.setValue(body)}`;
      case 1:
        return `double-quoted ${size}: ${this.setValue(`"${body}"`)}`;
      case 2:
        return `single-quoted ${size}: ${this.setValue(`'${body}'`)}`;
      case 3: {
        const at = this.line();
        const indent = `${this.indentOf(at)}  `;
        const width = r.pick([1, 80, 4096, size]);
        const chunks: string[] = [];
        for (let k = 0; k < body.length; k += width) chunks.push(indent + body.slice(k, k + width));
        return `block scalar ${size}: ${this.setValue(`${r.pick(['|', '>', '|-', '>+'])}\n${chunks.join('\n')}`, at)}`;
      }
      case 4:
        this.addTopLevel([`x-${body}: 1`]);
        return `key of ${size}`;
      default: {
        const n = Math.min(Math.floor(size / 4), 500_000);
        return `${n} items: ${this.setValue(`[${'1, '.repeat(n)}1]`)}`;
      }
    }
  }

  aliases(): string {
    const r = this.r;
    switch (r.int(6)) {
      case 0: {
        const name = `fz${this.anchors++}`;
        const at = this.line();
        const kv = KEY_VALUE.exec(this.lines[at] ?? '');
        if (kv) this.lines[at] = `${kv[1]} &${name}${kv[3] ? ` ${kv[3]}` : ''}`;
        const use = this.line();
        this.setValue(`*${name}`, use);
        return `&${name} at line ${at + 1}, *${name} at line ${use + 1}`;
      }
      case 1:
        return `unknown alias: ${this.setValue(r.pick(['*nope', '*', '* x', '*a*b', '[*nope]', '{*nope : 1}']))}`;
      case 2: {
        const levels = r.between(3, 30);
        const width = r.between(2, 12);
        const shape = r.pick(['list', 'map', 'merge'] as const);
        const lines = [`x-b0: &b0 [${Array(width).fill('"lol"').join(', ')}]`];
        for (let k = 1; k < levels; k++) {
          const refs = Array.from({ length: width }, (_, j) => (shape === 'list' ? `*b${k - 1}` : `k${j}: *b${k - 1}`));
          lines.push(shape === 'merge'
            ? `x-b${k}: &b${k} {<<: [${Array(Math.min(width, 4)).fill(`*b${k - 1}`).join(', ')}], ${refs.join(', ')}}`
            : `x-b${k}: &b${k} ${shape === 'list' ? `[${refs.join(', ')}]` : `{${refs.join(', ')}}`}`);
        }
        this.addTopLevel(lines);
        if (r.chance(0.5)) this.setValue(`*b${levels - 1}`);
        return `bomb ${levels}x${width} ${shape}`;
      }
      case 3:
        return `self-reference: ${this.setValue(r.pick(['&r [*r]', '&r {a: *r}', '&r [1, [2, *r]]', '&r {<<: *r}', '&r {*r : 1}', '&r *r']))}`;
      case 4: {
        const block = this.servicesBlock();
        const name = `fz${this.anchors++}`;
        this.addTopLevel([`x-${name}: &${name}`, '  image: busybox', '  environment: {A: "1"}', '  labels: [a=b]']);
        const merges = r.chance(0.5) ? `*${name}` : `[${Array(r.between(1, 200)).fill(`*${name}`).join(', ')}]`;
        return `merge key ${merges.slice(0, 30)} ${block ? this.addToService([`<<: ${merges}`]) : ''}`;
      }
      default: {
        const name = `fz${this.anchors++}`;
        const at = this.line();
        this.lines.splice(at, 0, `${this.indentOf(at)}*${name} : x`, `${this.indentOf(at)}&${name} k: v`);
        return `aliases as keys at line ${at + 1}`;
      }
    }
  }

  /** Byte flips, random and invalid UTF-8 bytes, odd characters, other encodings, line ends. */
  byteEdit(): string {
    const r = this.r;
    const seed = r.int(2 ** 31);
    const at = (b: Buffer) => rng(seed).int(b.length + 1);
    switch (r.int(8)) {
      case 0:
      case 1: {
        const n = r.between(1, 8);
        this.byteOps.push((b) => {
          const c = Buffer.from(b);
          const rr = rng(seed);
          for (let k = 0; k < n && c.length; k++) {
            const i = rr.int(c.length);
            c[i] = c[i]! ^ (1 << rr.int(8));
          }
          return c;
        });
        return `${n} bit flip(s)`;
      }
      case 2: {
        const n = r.between(1, 64);
        this.byteOps.push((b) => {
          const i = at(b);
          const rr = rng(seed + 1);
          return Buffer.concat([b.subarray(0, i), Buffer.from(Array.from({ length: n }, () => rr.int(256))), b.subarray(i)]);
        });
        return `${n} random bytes`;
      }
      case 3: {
        const seq = r.pick(INVALID_UTF8);
        this.byteOps.push((b) => {
          const i = at(b);
          return Buffer.concat([b.subarray(0, i), Buffer.from(seq), b.subarray(i)]);
        });
        return `invalid UTF-8 ${Buffer.from(seq).toString('hex')}`;
      }
      case 4: {
        const ch = r.pick(ODD_CHARS);
        this.byteOps.push((b) => {
          const i = at(b);
          return Buffer.concat([b.subarray(0, i), Buffer.from(ch, 'utf8'), b.subarray(i)]);
        });
        return `character U+${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`;
      }
      case 5: {
        const enc = r.pick(['utf16le', 'utf16be', 'utf16le-nobom', 'latin1', 'utf8-bom'] as const);
        this.byteOps.push((b) => {
          const text = b.toString('utf8');
          if (enc === 'latin1') return Buffer.from(text, 'latin1');
          if (enc === 'utf8-bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
          const le = Buffer.from(enc === 'utf16le-nobom' ? text : `\ufeff${text}`, 'utf16le');
          return enc === 'utf16be' ? le.swap16() : le;
        });
        return `encoded ${enc}`;
      }
      case 6: {
        const eol = r.pick(['\r\n', '\r', '\u0085', '\u2028']);
        this.byteOps.push((b) => Buffer.from(b.toString('utf8').replace(/\n/g, (m) => (rng(seed).chance(0.5) ? eol : m)), 'utf8'));
        return `line ends ${JSON.stringify(eol)}`;
      }
      default: {
        const n = r.between(1, 4000);
        this.byteOps.push((b) => {
          const rr = rng(seed);
          return Buffer.concat([b, Buffer.from(Array.from({ length: n }, () => rr.int(256)))]);
        });
        return `${n} random bytes appended`;
      }
    }
  }

  tags(): string {
    const r = this.r;
    if (r.chance(0.2)) {
      const d = r.pick(DIRECTIVES);
      this.lines.unshift(d, '---');
      return `directive ${JSON.stringify(d)}`;
    }
    const at = this.line();
    const tag = r.pick(TAGS);
    const kv = KEY_VALUE.exec(this.lines[at] ?? '');
    const item = ITEM.exec(this.lines[at] ?? '');
    if (kv) this.lines[at] = `${kv[1]} ${tag}${kv[3] ? ` ${kv[3]}` : ''}`;
    else if (item) this.lines[at] = `${item[1]}${tag} ${item[2]}`;
    else this.lines[at] = `${this.indentOf(at)}${tag} ${this.lines[at]?.trim() ?? ''}`;
    return `${tag} at line ${at + 1}`;
  }

  interpolation(): string {
    const r = this.r;
    if (r.chance(0.35)) {
      const t = r.pick([
        '${', '$${X}', '${X:-${Y}}', '${X:?msg with ${Y}}', '$', '${ }', '${1X}', '${X-}', '${X:}', '${X:-a}b}', '${X:-${Y:-${Z}}',
        '$X$Y$$Z', '${' + 'A'.repeat(10_000) + '}', '${X:-' + '$'.repeat(5000) + '}', '${X/a/b}', '${X[0]}', '${#X}', '${!X}',
        '${X:-\n}', '"${X:?}"', '${X?${Y?${Z?}}}', '${${X}}', '$$$$${', '${X:+${Y:+${Z:+x}}}', ...this.ctx.templates.slice(0, 20),
      ]);
      return `${JSON.stringify(t.slice(0, 40))}: ${this.setValue(r.chance(0.5) ? JSON.stringify(t) : t)}`;
    }
    const depth = r.pick([2, 50, MAX_INTERPOLATION_DEPTH - 1, MAX_INTERPOLATION_DEPTH, MAX_INTERPOLATION_DEPTH + 1, 150, 1000, 5000, 20_000]);
    const op = r.pick([':-', '-', ':+', '+', ':?', '?', '']);
    const balanced = r.chance(0.8);
    const v = `${`\${V${op}`.repeat(depth)}x${'}'.repeat(balanced ? depth : r.int(depth))}`;
    const where = r.chance(0.8) ? this.setValue(r.chance(0.5) ? `"${v}"` : v) : this.addToService(['environment:', `  ${v}: x`]);
    return `\${V${op}...} ${depth} deep${balanced ? '' : ' unbalanced'}: ${where}`;
  }

  paths(): string {
    const r = this.r;
    const a = this.ctx.arena;
    const p = r.pick(hostilePaths(a, this.ctx.self));
    const q = JSON.stringify(p);
    switch (r.int(12)) {
      case 0:
      case 1:
        return `env_file ${p}: ${this.addToService([`env_file: ${q}`])}`;
      case 2:
        return `env_file list ${p}: ${this.addToService(['env_file:', `  - path: ${q}`, `    required: ${r.pick(['true', 'false'])}`, ...(r.chance(0.3) ? ['    format: raw'] : [])])}`;
      case 3:
        return `label_file ${p}: ${this.addToService([`label_file: ${q}`])}`;
      case 4:
        return `extends.file ${p}: ${this.addToService(['extends:', `  file: ${q}`, '  service: fz'])}`;
      case 5: {
        const cycle = r.pick([
          { file: a.extendsCycle, service: 'a' },
          { file: a.extendsZero, service: 'z' },
          { file: this.ctx.self, service: 'fzself' },
          { file: undefined, service: 'fzself' },
        ]);
        const body = cycle.file ? ['extends:', `  file: ${JSON.stringify(cycle.file)}`, `  service: ${cycle.service}`] : [`extends: ${cycle.service}`];
        return `extends cycle ${cycle.file ? path.basename(cycle.file) : 'by name'}: ${this.addToService(body, 'fzself')}`;
      }
      case 6:
      case 7: {
        const what = r.pick([p, this.ctx.self, a.includeCycle, a.extendsZero]);
        const form = r.int(3);
        this.addTopLevel(form === 0
          ? ['include:', `  - ${JSON.stringify(what)}`]
          : form === 1
            ? ['include:', `  - path: [${JSON.stringify(what)}]`, ...(r.chance(0.5) ? [`    env_file: ${q}`] : [])]
            : ['include:', `  - path: ${JSON.stringify(a.includeCycle)}`, `    project_directory: ${q}`]);
        return `include ${what}`;
      }
      case 8:
        this.addTopLevel(['secrets:', `  fzs: {file: ${q}}`]);
        return `secret file ${p}: ${this.addToService(['secrets: [fzs]'])}`;
      case 9:
        this.addTopLevel(['configs:', `  fzc:`, `    file: ${q}`]);
        return `config file ${p}: ${this.addToService(['configs: [fzc]'])}`;
      case 10:
        return `seccomp ${p}: ${this.addToService([`security_opt: [${JSON.stringify(`seccomp=${p}`)}]`])}`;
      default:
        return `build/bind ${p}: ${this.addToService(['build:', `  context: ${q}`, `  dockerfile: ${q}`, 'volumes:', `  - ${JSON.stringify(`${p}:/data`)}`])}`;
    }
  }
}
