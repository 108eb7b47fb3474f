// The generated validator and the CLI bundle are git-ignored; tests must not depend on someone
// having built first. Building here, once, before any test file runs, also means no test file
// rebuilds the bundle while another runs it (the bundler empties dist/chunks first).
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { bundleCli, generateValidator, validatorIsStale } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  if (validatorIsStale()) await generateValidator();
  await bundleCli();
}
