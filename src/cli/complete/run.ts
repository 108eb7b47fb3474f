/**
 * `tug __complete WORD...`: what the completion scripts call on each Tab. Handled before yargs
 * parses anything (the words are a command line being typed, not tug's arguments), it prints
 * the candidates and never fails: a completion that cannot help offers nothing.
 */
import { SHORT_F_AFTER } from '../argv.js';
import { verbModules } from '../verbs.js';
import { complete, formatCompletion } from './complete.js';
import { cliModel } from './model.js';
import { stackNames } from './stack-names.js';

export const COMPLETE_VERB = '__complete';
/** The callback of the scripts yargs' own completion printed (earlier versions of tug), still answered. */
export const YARGS_COMPLETE_FLAG = '--get-yargs-completions';

export async function runCompletion(argv: readonly string[]): Promise<void> {
  let out: string;
  try {
    if (argv[0] === YARGS_COMPLETE_FLAG) {
      // yargs' scripts pass every word, the program's name first, and read bare values.
      const c = await complete(argv.slice(2), cliModel(verbModules), stackNames(), SHORT_F_AFTER);
      out = c.candidates.map((x) => `${x.value}\n`).join('');
    } else {
      out = formatCompletion(await complete(argv.slice(1), cliModel(verbModules), stackNames(), SHORT_F_AFTER));
    }
  } catch {
    out = ':none\n';
  }
  process.stdout.write(out);
}
