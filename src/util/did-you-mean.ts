// "Did you mean" for misspelled names: the closest candidates by edit distance, where swapping
// two neighbouring letters (`tokne`, `otpLenght`, `prot`) counts as one edit.

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const rows = s.length + 1;
  const cols = t.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number) => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let v = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) v = Math.min(v, at(i - 2, j - 2) + 1);
      d[i * cols + j] = v;
    }
  }
  return at(rows - 1, cols - 1);
}

/** How far a guess may be from what was typed: short names allow one edit, longer ones more. */
const tolerance = (typed: string) => (typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3);

/** The candidates closest to `typed`, best first (ties in candidate order), at most `max`. */
export function didYouMean(typed: string, candidates: Iterable<string>, max = 1): string[] {
  const scored: Array<{ c: string; d: number; i: number }> = [];
  let i = 0;
  for (const c of candidates) {
    const d = editDistance(typed, c);
    if (d <= tolerance(typed)) scored.push({ c, d, i });
    i++;
  }
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return scored.slice(0, max).map((x) => x.c);
}
