import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { loadStack, type ArgsOf, type GlobalArgs } from '../options.js';

const options = {
  protocol: { choices: ['tcp', 'udp'], default: 'tcp' },
  index: { type: 'number', default: 1, requiresArg: true, describe: 'Which replica, when the service has several' },
  format: { choices: ['text', 'json'], default: 'text', describe: 'Output format' },
} as const satisfies Record<string, Options>;

const builder = (y: Argv<GlobalArgs>) =>
  y
    .positional('service', { type: 'string', demandOption: true })
    .positional('private_port', { type: 'string', demandOption: true, describe: 'The port inside the container' })
    .options(options);

export const portCommand: CommandModule<GlobalArgs, ArgsOf<typeof builder>> = {
  command: 'port <service> <private_port>',
  describe: 'Print the host address a container port is published on (exit code 1, nothing on stdout, when it is not published)',
  builder,
  handler: async (args) => {
    const port = Number(args.private_port);
    if (!/^\d+$/.test(String(args.private_port)) || port < 1 || port > 65535) {
      throw new UsageError(`invalid port "${args.private_port}"`, 'give the container port as a number from 1 to 65535, e.g. 80');
    }
    if (!Number.isInteger(args.index) || args.index < 1) throw new UsageError(`invalid --index ${args.index}`, 'replicas are numbered from 1');
    const project = await loadStack(args, { localOnly: 'port' });
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [args.service]);
    const engine = await connectEngine();
    const { publishedPort } = await import('../../run/reports.js');
    const { container, address } = await publishedPort(engine, project.name, { service: args.service, index: args.index, port, protocol: args.protocol });
    if (args.format === 'json') {
      const sep = address.lastIndexOf(':');
      const json = { container, private_port: port, protocol: args.protocol, host_ip: address.slice(0, sep), host_port: Number(address.slice(sep + 1)) };
      process.stdout.write(`${JSON.stringify(json)}\n`);
    } else process.stdout.write(`${address}\n`);
  },
};
