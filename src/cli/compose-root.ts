/**
 * Compose's root flags (read off docker/compose cmd/compose/compose.go), each with whether it
 * takes a value. One table for the two places that need it: finding the verb on a raw command
 * line (a valued flag's value is not the verb) and refusing the ones tug lacks by name. A leaf:
 * argv.ts and compose-flags.ts both import it, and it imports neither.
 */
export const COMPOSE_ROOT_FLAGS = {
  'all-resources': 'boolean',
  compatibility: 'boolean',
  'dry-run': 'boolean',
  'insecure-registry': 'string',
  'no-ansi': 'boolean',
  parallel: 'number',
  verbose: 'boolean',
  workdir: 'string',
} as const satisfies Record<string, 'boolean' | 'string' | 'number'>;

export type ComposeRootFlag = keyof typeof COMPOSE_ROOT_FLAGS;

/** `--name` of each root flag that takes a value. */
export const COMPOSE_VALUED_ROOT: readonly string[] = Object.entries(COMPOSE_ROOT_FLAGS)
  .filter(([, type]) => type !== 'boolean')
  .map(([name]) => `--${name}`);
