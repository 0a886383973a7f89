/**
 * The ratings lake's two tables as data: where they live under `<data-dir>/lake` and their columns
 * and Hive keys (DuckDB types). The stream writes them (`pipelines/ratings/ratings-lake.ts` adds a
 * getter per column); batch analytics and the recommenders' lake import read them. They live here,
 * below all three, so readers need not import the pipeline that writes them.
 */

/** `ratings/raw`: every valid rating event, partitioned by event date and hour. */
export const RATINGS_RAW_LAYOUT = {
  path: 'ratings/raw',
  columns: [
    { name: 'userId', type: 'INTEGER' },
    { name: 'movieId', type: 'INTEGER' },
    { name: 'rating', type: 'DOUBLE' },
    { name: 'timestamp', type: 'BIGINT' },
    { name: 'event_time', type: 'TIMESTAMP' },
    { name: 'source_partition', type: 'INTEGER' },
    { name: 'source_offset', type: 'BIGINT' },
  ],
  partitionBy: [
    { name: 'date', type: 'DATE' },
    { name: 'hour', type: 'INTEGER' },
  ],
} as const;

/**
 * `ratings/agg`: final window results of the `metrics` topic. The columns predate p99_rating, and
 * readers glob old and new files together without union_by_name: a new column would break them.
 */
export const RATINGS_AGG_LAYOUT = {
  path: 'ratings/agg',
  columns: [
    { name: 'window_start', type: 'VARCHAR' },
    { name: 'window_end', type: 'VARCHAR' },
    { name: 'count', type: 'BIGINT' },
    { name: 'avg_rating', type: 'DOUBLE' },
    { name: 'p50_rating', type: 'DOUBLE' },
    { name: 'p95_rating', type: 'DOUBLE' },
    { name: 'late_events', type: 'BIGINT' },
    { name: 'processing_time', type: 'VARCHAR' },
    { name: 'top_movies', type: 'VARCHAR' },
    { name: 'genres', type: 'VARCHAR' },
  ],
  partitionBy: [
    { name: 'window_type', type: 'VARCHAR' },
    { name: 'date', type: 'DATE' },
  ],
} as const;
