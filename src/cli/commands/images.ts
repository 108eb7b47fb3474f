import type { Argv, CommandModule, Options } from 'yargs';
import { composeImageRow, IMAGES_HEADERS, IMAGES_SAMPLE } from '../../ui/compose-shapes.js';
import { listFormat } from '../../ui/list-format.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';
import { humanSize, table } from '../table.js';

const options = {
  quiet: { alias: 'q', type: 'boolean', describe: 'Only print image ids' },
  format: {
    type: 'string', default: 'table', requiresArg: true,
    describe: 'table, json (one array, as Compose prints it), or a Go template over ID, ContainerName, Repository, Tag, Platform, Size, Created',
  },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('services', { type: 'string', array: true, describe: 'Services to show (default: all)' })
    .options(options);

export const imagesCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'images [services..]',
  describe: 'List the images the stack\'s containers were created from',
  builder,
  handler: async (args) => {
    const format = listFormat(args.format, { verb: 'images', sample: IMAGES_SAMPLE, headers: IMAGES_HEADERS });
    const project = await loadStack(args, { localOnly: 'images' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, args.services);
    const engine = await connectEngine();
    const { containerImages } = await import('../../run/reports.js');
    const rows = await containerImages(engine, project.name, args.services);
    if (args.quiet) return void process.stdout.write([...new Set(rows.map((r) => r.id).filter(Boolean))].map((id) => `${id}\n`).join(''));
    // Compose prints the whole list as one compact JSON array.
    if (format.kind === 'json') return void process.stdout.write(`${JSON.stringify(rows.map(composeImageRow))}\n`);
    if (format.kind === 'template') return void process.stdout.write(format.render(rows.map(composeImageRow)));
    // Compose's columns, PLATFORM included (it also prints CREATED, which tug's table leaves out).
    const lines = [['CONTAINER', 'REPOSITORY', 'TAG', 'PLATFORM', 'IMAGE ID', 'SIZE']];
    for (const r of rows) lines.push([r.container, r.repository, r.tag, r.platform ?? 'unknown', r.id.slice(0, 12), r.size === undefined ? '' : humanSize(r.size)]);
    process.stdout.write(table(lines));
  },
};
