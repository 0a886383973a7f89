/**
 * The shapes the clicks routes answer and its SSE stream carries: shared by the server and the
 * web pages (which import these types only). No imports here, so the browser build can check it.
 */

export const CLICK_TYPES = ['cheers', 'hate'] as const;
export type ClickType = (typeof CLICK_TYPES)[number];

/** What a client posts to `POST /clicks` (or a JSON array of them) and `POST /kafka/click`. */
export interface ClickRequest {
  type: ClickType;
}

/** `202` from `POST /clicks`: answered only once every click is durable in the log. */
export interface ClickAccepted {
  accepted: number;
  /** Where each click landed, in request order. */
  offsets: { partition: number; offset: number }[];
}

/** One 2-second event-time bin. */
export interface ClickBin {
  /** ISO times; the bin is [bin_start, bin_end). */
  bin_start: string;
  bin_end: string;
  cheers: number;
  hate: number;
  /** false while the bin may still change. */
  final: boolean;
}

/** `GET /clicks/data`, and every `data` event of `GET /clicks/stream`. */
export interface ClicksData {
  /** Every click in the topic since its beginning, counted exactly once. */
  totals: { cheers: number; hate: number };
  /** The bins of the last 2 minutes, oldest first. */
  bins: ClickBin[];
  /** Clicks per second over the last 10 seconds of bins. */
  rate_per_second: number;
  /** Processing time of the newest result (ISO), null before the first. */
  updated_at: string | null;
}

/** `GET /kafka/data`: the seed clicker's shape (totals and the last 2 minutes). */
export interface SeedClickerData {
  total_cheers: number;
  total_hate: number;
  recent_events: { type: ClickType; timestamp: number }[];
}
