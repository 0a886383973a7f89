import { z } from 'zod';

/**
 * The latest event time a codec takes: 9998-12-31T23:59:59.999Z. Everything computed from an
 * event time — window ends, analytics' hours and days, lake TIMESTAMPs and dates — must stay
 * within four-digit years (9999-12-31 at most), and a year of room keeps it there; a later time
 * passed `int()` and then broke a window's ISO string in the middle of a run, so it is refused at
 * decode and the record dead-lettered instead. The one bound: the lake decoders skip a raw event
 * or a final window starting past it (`pipelines/final-results.ts`, each pipeline's `*-lake.ts`).
 */
export const MAX_EVENT_TIME_MS = 253_370_764_799_999;

/** An event time: whole epoch milliseconds from 1970 up to the start of year 9999. */
export const eventTimeMs = z
  .number()
  .int()
  .nonnegative()
  .max(MAX_EVENT_TIME_MS, { message: `must be epoch milliseconds before 9999-01-01T00:00:00Z (at most ${MAX_EVENT_TIME_MS})` });
