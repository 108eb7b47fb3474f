/** Paths into a stack document: mapping keys and sequence indexes. */
export type Path = readonly (string | number)[];

// Keys may contain dots (labels such as com.example.x), so a separator that YAML keys
// practically never contain keeps distinct paths distinct.
const SEP = '\u001f';

export function pathKey(path: Path): string {
  return path.join(SEP);
}

/**
 * The key of a child, from its parent's key (the root's is ''): for walks that key every node
 * and so build keys by appending rather than joining whole paths.
 */
export function childKey(parentKey: string, seg: string | number): string {
  return parentKey === '' ? String(seg) : parentKey + SEP + seg;
}

export function pathFromKey(key: string): string[] {
  return key === '' ? [] : key.split(SEP);
}

/** The path as a user reads it: `services.web.ports[0]`, `labels["com.example.x"]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
