/**
 * The metrics API's shapes where the dashboard (web/) and clients have always imported them from;
 * declared by the ratings pipeline (its record is a zod schema's type). Types only.
 */
export type * from '../pipelines/ratings/ratings-contract.js';
