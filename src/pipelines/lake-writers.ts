import type { LakeWriter } from './pipeline-declaration.js';

/** Background writers of a pipeline's lake tables, run beside the pipeline. */
export interface LakeWriters {
  /**
   * Stop following, then write everything the topics hold (the pipeline's last results too).
   * Throws the error a sink stopped with, if one did.
   */
  finish(): Promise<void>;
  /** Stop without the last write (ownership lost, the pipeline failed): what was not committed is read again by the next owner. */
  abort(): Promise<void>;
  /** Settles with the first error a sink stopped with (a lost lease, a broken table); never while they run well. */
  readonly failure: Promise<Error>;
}

/** Runs the sinks until `outer` aborts or `finish()` is called. */
export function startLakeWriters(sinks: LakeWriter[], outer: AbortSignal): LakeWriters {
  const controller = new AbortController();
  const stop = () => controller.abort();
  outer.addEventListener('abort', stop, { once: true });
  let failed: Error | null = null;
  let reportFailure: (err: Error) => void = () => {};
  const failure = new Promise<Error>((resolve) => (reportFailure = resolve));
  // A sink that fails stops the others (their rows are read again), and is reported — never an
  // unhandled rejection that takes the process down with a stack.
  const running = sinks.map((s) =>
    s.run(controller.signal).catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!failed) {
        failed = error;
        reportFailure(error);
      }
      controller.abort();
    }),
  );
  const settle = async () => {
    controller.abort();
    outer.removeEventListener('abort', stop);
    await Promise.all(running);
  };
  return {
    failure,
    finish: async () => {
      await settle();
      if (failed) throw failed;
      for (const s of sinks) await s.runOnce();
    },
    abort: settle,
  };
}
