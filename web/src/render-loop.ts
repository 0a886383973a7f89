/**
 * What every page's main loop shares: section renderers that fail alone, and one render for a
 * burst of updates.
 */

/** Draws one section of a page from the page's state at `now`. */
export type Renderer<S> = (s: S, now: number) => void;

/** `render`, with a failure logged under `name` instead of thrown: one broken section leaves the others drawing. */
export function safe<S>(name: string, render: Renderer<S>): Renderer<S> {
  return (s, now) => {
    try {
      render(s, now);
    } catch (err) {
      console.error(`streamrec: the ${name} failed to render`, err);
    }
  };
}

/**
 * A `schedule()` that runs `render` once, `delayMs` after the first call of a burst: a burst of
 * updates (several windows in the same second, a list and its health) is drawn once.
 */
export function renderScheduler(render: () => void, delayMs: number): () => void {
  let scheduled = false;
  const run = (): void => {
    scheduled = false;
    render();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    window.setTimeout(run, delayMs);
  };
}
