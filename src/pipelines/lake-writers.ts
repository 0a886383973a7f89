import type { LakeWriter } from './pipeline-declaration.js';

/** Background writers of a pipeline's lake tables, run beside the pipeline. */
export interface LakeWriters {
  /** Stop following, then write everything the topics hold (the pipeline's last results too). */
  finish(): Promise<void>;
}

/** Runs the sinks until `outer` aborts or `finish()` is called. */
export function startLakeWriters(sinks: LakeWriter[], outer: AbortSignal): LakeWriters {
  const controller = new AbortController();
  const stop = () => controller.abort();
  outer.addEventListener('abort', stop, { once: true });
  const running = sinks.map((s) => s.run(controller.signal));
  return {
    finish: async () => {
      controller.abort();
      outer.removeEventListener('abort', stop);
      await Promise.all(running);
      for (const s of sinks) await s.runOnce();
    },
  };
}
