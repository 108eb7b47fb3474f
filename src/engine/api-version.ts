/** Engine API versions ("1.41") compared as numbers: "1.9" is older than "1.44". */
export function compareApi(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function apiAtLeast(apiVersion: string, min: string): boolean {
  return compareApi(apiVersion, min) >= 0;
}
