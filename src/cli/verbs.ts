/**
 * Every verb's yargs module, in the order `tug --help` lists them. main.ts registers them and
 * shell completion reads their flags off them, so a flag added to a verb is completed at once.
 */
import type { CommandModule } from 'yargs';
import type { GlobalArgs } from './options.js';
import { attachCommand } from './commands/attach.js';
import { buildCommand } from './commands/build.js';
import { completionCommand } from './commands/completion.js';
import { configCommand } from './commands/config.js';
import { cpCommand } from './commands/cp.js';
import { createCommand } from './commands/create.js';
import { downCommand } from './commands/down.js';
import { eventsCommand } from './commands/events.js';
import { execCommand } from './commands/exec.js';
import { graphCommand } from './commands/graph.js';
import { imagesCommand } from './commands/images.js';
import { killCommand } from './commands/kill.js';
import { logsCommand } from './commands/logs.js';
import { lsCommand } from './commands/ls.js';
import { nodesCommand } from './commands/nodes.js';
import { pauseCommand } from './commands/pause.js';
import { portCommand } from './commands/port.js';
import { psCommand } from './commands/ps.js';
import { pullCommand } from './commands/pull.js';
import { restartCommand } from './commands/restart.js';
import { rmCommand } from './commands/rm.js';
import { runCommand } from './commands/run.js';
import { scaleCommand } from './commands/scale.js';
import { startCommand } from './commands/start.js';
import { statsCommand } from './commands/stats.js';
import { stopCommand } from './commands/stop.js';
import { topCommand } from './commands/top.js';
import { unpauseCommand } from './commands/unpause.js';
import { upCommand } from './commands/up.js';
import { validateCommand } from './commands/validate.js';
import { versionCommand } from './commands/version.js';
import { waitCommand } from './commands/wait.js';
import { watchCommand } from './commands/watch.js';

// Each module is typed with its own arguments; the list only needs what yargs registers.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const verbModules: CommandModule<GlobalArgs, any>[] = [
  upCommand,
  createCommand,
  downCommand,
  psCommand,
  configCommand,
  validateCommand,
  graphCommand,
  restartCommand,
  scaleCommand,
  startCommand,
  stopCommand,
  killCommand,
  pauseCommand,
  unpauseCommand,
  rmCommand,
  waitCommand,
  cpCommand,
  topCommand,
  statsCommand,
  imagesCommand,
  portCommand,
  pullCommand,
  buildCommand,
  lsCommand,
  nodesCommand,
  eventsCommand,
  logsCommand,
  execCommand,
  attachCommand,
  runCommand,
  watchCommand,
  versionCommand,
  completionCommand,
];
