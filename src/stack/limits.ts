/**
 * Size limits for reading a stack file, shared by the reader (bytes on disk) and the YAML walk
 * (text, nesting, alias expansion).
 */

/** Bigger than any real stack file; protects memory before parsing starts. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Nodes an expansion may produce; an alias bomb hits this long before memory runs out. */
export const MAX_EXPANDED_NODES = 500_000;
/** Nesting deeper than this is not a stack file, and recursion stays far from the stack limit. */
export const MAX_DEPTH = 200;
/** `${A:-${B:-...}}` nested deeper than this is refused: no real default needs it, and evaluation recurses. */
export const MAX_INTERPOLATION_DEPTH = 100;
