/** The palette, shared by charts (canvas) and tables (CSS); keep in step with styles.css. */

export const C = {
  text: '#e6e9f2',
  muted: '#8b95a9',
  faint: '#5d6679',
  grid: 'rgba(148, 163, 184, 0.10)',
  axis: 'rgba(148, 163, 184, 0.22)',
  tooltipBg: 'rgba(15, 20, 34, 0.96)',
  tooltipBorder: 'rgba(148, 163, 184, 0.22)',
  card: '#121829',
  accent: '#7c8cff',
  cyan: '#38bdf8',
  violet: '#a78bfa',
  amber: '#fbbf24',
  green: '#34d399',
  rose: '#fb7185',
  other: '#4b5568',
} as const;

/** Stops of the avg-rating scale: low is rose, middling amber, high green. */
const RATING_STOPS: [number, [number, number, number]][] = [
  [2.5, [251, 113, 133]],
  [3.25, [251, 191, 36]],
  [4.0, [163, 230, 53]],
  [4.6, [52, 211, 153]],
];
export const RATING_SCALE_MIN = RATING_STOPS[0]![0];
export const RATING_SCALE_MAX = RATING_STOPS[RATING_STOPS.length - 1]![0];

/** The colour of an average rating (clamped to the scale). */
export function ratingColor(avg: number | null | undefined): string {
  if (typeof avg !== 'number' || !Number.isFinite(avg)) return C.other;
  const first = RATING_STOPS[0]!;
  const last = RATING_STOPS[RATING_STOPS.length - 1]!;
  if (avg <= first[0]) return rgb(first[1]);
  if (avg >= last[0]) return rgb(last[1]);
  for (let i = 1; i < RATING_STOPS.length; i++) {
    const [x1, c1] = RATING_STOPS[i]!;
    const [x0, c0] = RATING_STOPS[i - 1]!;
    if (avg <= x1) {
      const t = (avg - x0) / (x1 - x0);
      return rgb([0, 1, 2].map((k) => c0[k]! + (c1[k]! - c0[k]!) * t) as [number, number, number]);
    }
  }
  return rgb(last[1]);
}

/** CSS gradient of the rating scale, for the legend swatch. */
export function ratingGradientCss(): string {
  const span = RATING_SCALE_MAX - RATING_SCALE_MIN;
  return `linear-gradient(90deg, ${RATING_STOPS.map(([x, c]) => `${rgb(c)} ${(((x - RATING_SCALE_MIN) / span) * 100).toFixed(0)}%`).join(', ')})`;
}

function rgb([r, g, b]: [number, number, number]): string {
  return `rgb(${Math.round(r)}, ${Math.round(g)}, ${Math.round(b)})`;
}

/** One colour a genre, fixed, so Drama looks the same in the donut, the bars and the table. */
const GENRE_COLORS: Record<string, string> = {
  Drama: '#7c8cff',
  Comedy: '#38bdf8',
  Thriller: '#f472b6',
  Action: '#fb923c',
  Romance: '#fb7185',
  Adventure: '#34d399',
  Crime: '#a78bfa',
  'Sci-Fi': '#22d3ee',
  Horror: '#ef4444',
  Fantasy: '#c084fc',
  Children: '#facc15',
  Animation: '#4ade80',
  Mystery: '#818cf8',
  Documentary: '#2dd4bf',
  War: '#d97757',
  Musical: '#e879f9',
  Western: '#eab308',
  IMAX: '#60a5fa',
  'Film-Noir': '#94a3b8',
  '(unknown)': '#64748b',
  '(no genres listed)': '#64748b',
};
const FALLBACK = ['#7dd3fc', '#fda4af', '#bef264', '#fcd34d', '#c4b5fd', '#5eead4'];

export function genreColor(genre: string): string {
  const c = GENRE_COLORS[genre];
  if (c) return c;
  let hash = 0;
  for (let i = 0; i < genre.length; i++) hash = (hash * 31 + genre.charCodeAt(i)) >>> 0;
  return FALLBACK[hash % FALLBACK.length]!;
}
