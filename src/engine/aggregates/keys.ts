/** The key order used wherever keys break ties: numbers numerically, strings by code unit, numbers first. */
export function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a - b;
    return -1;
  }
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
