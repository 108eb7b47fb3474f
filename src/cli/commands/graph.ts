import type { Argv, CommandModule } from 'yargs';
import type { GraphFormat } from '../../graph/render.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';

const FORMATS = ['text', 'dot', 'mermaid', 'json'] as const satisfies readonly GraphFormat[];

const builder = (y: Argv<GlobalArgs>) => y.option('format', { choices: FORMATS, default: 'text' as const, describe: 'Output format' });

export const graphCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'graph',
  describe: 'Print the service dependency graph',
  builder,
  handler: async (args) => {
    const project = await loadStack(args);
    const [{ DependencyGraph }, { renderGraph }] = await Promise.all([import('../../graph/graph.js'), import('../../graph/render.js')]);
    const out = renderGraph(DependencyGraph.fromServices(project.services), args.format);
    process.stdout.write(out.endsWith('\n') ? out : `${out}\n`);
  },
};
