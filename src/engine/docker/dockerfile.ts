/**
 * Where a BuildKit step is in its Dockerfile. BuildKit names a step `[stage-1 2/3] RUN ...`
 * (the stage, the step's number among the stage's steps), not by line: to print a failing
 * step with its line, tug reads the Dockerfile's instructions as the frontend counts them.
 * Pure: no I/O.
 */

export interface Instruction {
  /** Upper case: RUN, COPY, FROM... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
  /** 1-based lines where it starts and ends. */
  line: number;
  endLine: number;
}

export interface Stage {
  /** `AS name`, lower case. */
  name?: string;
  /** The image or stage it starts from. */
  base: string;
  from: Instruction;
  instructions: Instruction[];
}

/** The `n`th instruction of the Dockerfile (1-based, meta ARGs included), as the classic builder numbers its steps. */
export function instructionAt(text: string, n: number): Instruction | undefined {
  return parseInstructions(text)[n - 1];
}

/** The instructions of a Dockerfile by stage (meta ARGs before the first FROM are left out). */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toLowerCase() === 'as');
      stages.push({ base: words[0] ?? '', ...(as > 0 && words[as + 1] ? { name: words[as + 1]!.toLowerCase() } : {}), from: ins, instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push(ins);
    }
  }
  return stages;
}

/** Every instruction, in order, continuation lines and here-documents joined to theirs. */
function parseInstructions(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  let escape = '\\';
  let i = 0;
  // Parser directives: `# key=value` comments before anything else.
  for (; i < lines.length; i++) {
    const m = /^\s*#\s*([a-zA-Z]+)\s*=\s*(\S+)\s*$/.exec(lines[i]!);
    if (!m) break;
    if (m[1]!.toLowerCase() === 'escape' && (m[2] === '`' || m[2] === '\\')) escape = m[2];
  }
  const out: Instruction[] = [];
  while (i < lines.length) {
    const first = lines[i]!;
    if (/^\s*(#|$)/.test(first)) {
      i++;
      continue;
    }
    const start = i;
    let joined = '';
    let line = first;
    for (;;) {
      const trimmed = line.replace(/\s+$/, '');
      if (trimmed.endsWith(escape)) {
        joined += `${trimmed.slice(0, -1)} `;
        i++;
        // Comment and empty lines inside a continuation are skipped.
        while (i < lines.length && /^\s*(#|$)/.test(lines[i]!)) i++;
        if (i >= lines.length) break;
        line = lines[i]!;
        continue;
      }
      joined += trimmed;
      break;
    }
    const m = /^\s*(\S+)\s*(.*)$/s.exec(joined);
    const keyword = (m?.[1] ?? '').toUpperCase();
    let args = (m?.[2] ?? '').trim();
    // Here-documents (`RUN <<EOF`): their lines belong to the instruction.
    const heredocs = ['RUN', 'COPY', 'ADD'].includes(keyword) ? [...args.matchAll(/<<(-?)(["']?)([A-Za-z_][\w-]*)\2/g)] : [];
    for (const h of heredocs) {
      const dash = h[1] === '-';
      for (i++; i < lines.length; i++) {
        const l = dash ? lines[i]!.replace(/^\t+/, '') : lines[i]!;
        args += `\n${lines[i]!}`;
        if (l === h[3]) break;
      }
    }
    out.push({ keyword, args, line: start + 1, endLine: Math.min(i, lines.length - 1) + 1 });
    i++;
  }
  return out;
}

/** `[linux/amd64 build 2/3] RUN make`: the stage token, the step number and its keyword. */
export function readStepName(name: string): { stage?: string; index: number; total: number; keyword: string } | undefined {
  const m = /^\[([^\]]*?)\s*(\d+)\/(\d+)\]\s+(\S+)/.exec(name);
  if (!m) return undefined;
  const words = m[1]!.split(/\s+/).filter((w) => w && !w.includes('/'));
  return { ...(words.length ? { stage: words.at(-1)! } : {}), index: Number(m[2]), total: Number(m[3]), keyword: m[4]!.toUpperCase() };
}

/** The instruction a BuildKit step name refers to; undefined when it names no Dockerfile step. */
export function locateStep(stages: Stage[], vertexName: string): Instruction | undefined {
  const step = readStepName(vertexName);
  if (!step || stages.length === 0) return undefined;
  let stage: Stage | undefined;
  const token = step.stage?.toLowerCase();
  if (token === undefined) stage = stages.length === 1 ? stages[0] : undefined;
  else {
    const n = /^stage-(\d+)$/.exec(token);
    stage = stages.find((s) => s.name === token) ?? (n ? stages[Number(n[1])] : undefined);
  }
  const candidates = stage ? [stage] : stages;
  for (const s of candidates) {
    // The frontend numbers FROM (unless it starts from scratch or another stage), RUN, COPY,
    // ADD and, with file operations (the default), WORKDIR.
    const fromCounts = s.base.toLowerCase() !== 'scratch' && !stages.some((o) => o !== s && o.name === s.base.toLowerCase());
    for (const workdir of [true, false]) {
      const counted = [...(fromCounts ? [s.from] : []), ...s.instructions.filter((x) => ['RUN', 'COPY', 'ADD'].includes(x.keyword) || (workdir && x.keyword === 'WORKDIR'))];
      if (counted.length !== step.total) continue;
      const hit = counted[step.index - 1];
      if (hit && hit.keyword === step.keyword) return hit;
    }
  }
  return undefined;
}
