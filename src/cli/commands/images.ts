import type { Argv, CommandModule } from 'yargs';
import type { ImageSummary } from '../../engine/engine.js';
import type { ContainerSummary } from '../../plan/observed.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { humanSize, printJson, table } from '../table.js';
import { listContainers } from '../../run/observe.js';

interface ImagesArgs extends GlobalArgs {
  services?: string[];
  quiet?: boolean;
  format?: 'table' | 'json';
}

export interface ImageRow {
  container: string;
  service: string;
  repository: string;
  tag: string;
  /** Hex digest without the `sha256:` prefix; empty when the engine no longer has the image. */
  id: string;
  /** Bytes; undefined when the image is gone. */
  size?: number;
}

/** `busybox` → busybox:latest; a digest reference stays as it is. */
function withTag(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return ref.includes('@') || ref.slice(slash + 1).includes(':') ? ref : `${ref}:latest`;
}

function split(ref: string): { repository: string; tag: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repository: ref.slice(0, at), tag: '<none>' };
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? { repository: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { repository: ref, tag: 'latest' };
}

/**
 * One row per container. The repository and tag are the reference the container was created
 * with when the image still carries it, else the image's first tag: an image has many names.
 */
export function imageRows(containers: ContainerSummary[], images: ImageSummary[]): ImageRow[] {
  const byId = new Map(images.map((i) => [i.id, i]));
  return containers.map((c) => {
    const image = c.imageId ? byId.get(c.imageId) : undefined;
    const wanted = withTag(c.image);
    const name = image?.tags.includes(wanted) ? wanted : image?.tags[0] ?? (c.image.startsWith('sha256:') ? undefined : wanted);
    const id = (image?.id ?? c.imageId ?? '').replace(/^sha256:/, '');
    return {
      container: c.name, service: c.service, ...(name ? split(name) : { repository: '<none>', tag: '<none>' }), id,
      ...(image ? { size: image.size } : {}),
    };
  });
}

export const imagesCommand: CommandModule<GlobalArgs, ImagesArgs> = {
  command: 'images [services..]',
  describe: 'List the images the stack\'s containers were created from',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
      .options({
        quiet: { alias: 'q', type: 'boolean', describe: 'Only print image ids' },
        format: { choices: ['table', 'json'] as const, default: 'table' as const },
      }) as unknown as Argv<ImagesArgs>,
  handler: async (args) => {
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    let list = await listContainers(engine, { project: project.name, all: true, oneoff: false });
    if (args.services?.length) list = list.filter((c) => args.services!.includes(c.service));
    list.sort((a, b) => a.service.localeCompare(b.service) || a.number - b.number || a.name.localeCompare(b.name));
    const rows = imageRows(list, list.length ? await engine.images.list() : []);
    if (args.quiet) return void process.stdout.write([...new Set(rows.map((r) => r.id).filter(Boolean))].map((id) => `${id}\n`).join(''));
    if (args.format === 'json') return printJson(rows);
    const lines = [['CONTAINER', 'REPOSITORY', 'TAG', 'IMAGE ID', 'SIZE']];
    for (const r of rows) lines.push([r.container, r.repository, r.tag, r.id.slice(0, 12), r.size === undefined ? '' : humanSize(r.size)]);
    process.stdout.write(table(lines));
  },
};
