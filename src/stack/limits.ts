/**
 * Size limits for reading a stack file, shared by the reader (bytes on disk) and the YAML walk
 * (text, nesting, alias expansion).
 */

/** Bigger than any real stack file; protects memory before parsing starts. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Nodes an expansion may produce; an alias bomb hits this long before memory runs out. */
export const MAX_EXPANDED_NODES = 500_000;
/**
 * Nodes written in the text (before aliases expand). The YAML library spends about 10 µs of CPU
 * on each node it lexes and parses, so 500,000 of them in a file under the size limit took
 * 6 s and 600 MB: far over what any stack file needs (a thousand services are tens of thousands).
 */
export const MAX_TEXT_NODES = 100_000;
/**
 * Lines in one file. The YAML library spends 1.5 to 3 µs on each line, blank or comment: 8
 * million newlines (a file under the size limit) took over a minute; 200,000 lines, a fraction
 * of a second, is twenty times the longest real stack file.
 */
export const MAX_LINES = 200_000;
/**
 * Characters of double-quoted strings in one file. The YAML library builds a double-quoted
 * value one character at a time, at about 40 bytes of memory for each: one 8 MB string cost
 * 300 MB and over a second. Long text belongs in a block scalar (`|`), which it reads in bulk.
 */
export const MAX_DOUBLE_QUOTED_CHARS = 1024 * 1024;
/** Nesting deeper than this is not a stack file, and recursion stays far from the stack limit. */
export const MAX_DEPTH = 200;
/** `${A:-${B:-...}}` nested deeper than this is refused: no real default needs it, and evaluation recurses. */
export const MAX_INTERPOLATION_DEPTH = 100;
