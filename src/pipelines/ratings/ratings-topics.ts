/** The ratings pipeline's output topic (its source is the movies domain's `ratings`). */
export const METRICS_TOPIC = 'metrics';
