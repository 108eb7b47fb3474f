// The generated validator is git-ignored; tests must not depend on someone having built first.
// @ts-expect-error: a plain .mjs build script, without type declarations.
import { generateValidator, validatorIsStale } from '../../scripts/build.mjs';

export default async function setup(): Promise<void> {
  if (validatorIsStale()) await generateValidator();
}
