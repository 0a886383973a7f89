import type { BackgroundService, ServiceContext } from '../../pipeline-declaration.js';

/** The outbox relay as a background service (`streamrec up`, `streamrec relay commerce`). */
export function commerceRelayService(ctx: ServiceContext): BackgroundService {
  void ctx;
  return {
    name: 'commerce relay',
    run: async () => {},
  };
}
