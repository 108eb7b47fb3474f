import type { Argv, CommandModule } from 'yargs';
import type { ContainerSummary } from '../../plan/observed.js';
import { ExitCode, TugError, UsageError } from '../../errors.js';
import { connectEngine } from '../engine.js';
import { loadStack, type GlobalArgs } from '../options.js';
import { listContainers } from '../../run/observe.js';

interface PortArgs extends GlobalArgs {
  service: string;
  private_port: string;
  protocol: 'tcp' | 'udp';
  index: number;
  format: 'text' | 'json';
}

/**
 * `host_ip:host_port` of the binding of a container port, IPv4 first; undefined when that
 * port is not published.
 */
export function publishedAddress(ports: ContainerSummary['ports'], privatePort: number, protocol: string): string | undefined {
  const bound = ports.filter((p) => p.privatePort === privatePort && p.type === protocol && p.publicPort);
  const best = bound.find((p) => !p.ip?.includes(':')) ?? bound[0];
  if (!best) return undefined;
  const ip = best.ip || '0.0.0.0';
  return `${ip.includes(':') ? `[${ip}]` : ip}:${best.publicPort}`;
}

/** Compose exits 1 when there is no such binding; scripts test for exactly that. */
function notFound(code: string, message: string, hint?: string): TugError {
  return new TugError(code, message, { exitCode: ExitCode.internal, hint });
}

export const portCommand: CommandModule<GlobalArgs, PortArgs> = {
  command: 'port <service> <private_port>',
  describe: 'Print the host address a container port is published on (exit code 1, nothing on stdout, when it is not published)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('service', { type: 'string', demandOption: true })
      .positional('private_port', { type: 'string', demandOption: true, describe: 'The port inside the container' })
      .options({
        protocol: { choices: ['tcp', 'udp'] as const, default: 'tcp' as const },
        index: { type: 'number', default: 1, requiresArg: true, describe: 'Which replica, when the service has several' },
        format: { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'Output format' },
      }) as unknown as Argv<PortArgs>,
  handler: async (args) => {
    const port = Number(args.private_port);
    if (!/^\d+$/.test(String(args.private_port)) || port < 1 || port > 65535) {
      throw new UsageError(`invalid port "${args.private_port}"`, 'give the container port as a number from 1 to 65535, e.g. 80');
    }
    if (!Number.isInteger(args.index) || args.index < 1) throw new UsageError(`invalid --index ${args.index}`, 'replicas are numbered from 1');
    const project = await loadStack(args);
    const { checkServiceNames } = await import('../../plan/lifecycle.js');
    checkServiceNames(project, [args.service]);
    const engine = await connectEngine();
    const list = await listContainers(engine, { project: project.name, service: args.service, all: true, oneoff: false });
    const container = list.find((c) => c.number === args.index);
    if (!container) {
      throw notFound('no_container', `service "${args.service}" has no container${args.index > 1 ? ` number ${args.index}` : ''}`, 'start it with tug up -d');
    }
    const address = publishedAddress(container.ports, port, args.protocol);
    if (!address) {
      const why = container.state === 'running' ? 'is not published' : `is not published: the container is ${container.state}`;
      throw notFound('no_such_port', `port ${port}/${args.protocol} of ${container.name} ${why}`);
    }
    if (args.format === 'json') {
      const sep = address.lastIndexOf(':');
      const json = { container: container.name, private_port: port, protocol: args.protocol, host_ip: address.slice(0, sep), host_port: Number(address.slice(sep + 1)) };
      process.stdout.write(`${JSON.stringify(json)}\n`);
    } else process.stdout.write(`${address}\n`);
  },
};
