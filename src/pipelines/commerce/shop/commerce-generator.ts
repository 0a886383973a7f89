import type { PipelineGenerator } from '../../pipeline-declaration.js';
import { UserError } from '../../../util/errors.js';

/** `streamrec generate commerce`: the shop's business writes (and their outbox rows) into its database. */
export const commerceGenerator: PipelineGenerator = {
  description: 'a shop writing orders, behaviours, searches and cart events (with their outbox rows) to PostgreSQL or an embedded SQLite file',
  noun: 'shop events',
  options: (command) =>
    command
      .option('--postgres <url>', 'the shop on PostgreSQL (default: STREAMREC_POSTGRES_URL, else embedded SQLite in the data dir)')
      .option('--shop-schema <name>', 'the PostgreSQL schema of the shop', 'streamrec_shop'),
  run() {
    return Promise.reject(new UserError('the commerce generator is not ready yet'));
  },
};
