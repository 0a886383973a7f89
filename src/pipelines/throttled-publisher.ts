import type { EventStream } from './pipeline-declaration.js';

/**
 * Publishes `event` with `current()` on a stream when asked (`changed()`), at most every
 * `everyMs` and only when its JSON differs from the last one sent: results can change many times
 * a second, a page needs a few updates a second. `current()` null: nothing to send yet.
 */
export function throttledPublisher(stream: EventStream, event: string, current: () => unknown, everyMs: number) {
  let last = '';
  let lastAt = -Infinity;
  let timer: NodeJS.Timeout | null = null;
  const publish = () => {
    timer = null;
    const data = current();
    if (data === null) return;
    const text = JSON.stringify(data);
    if (text === last) return;
    last = text;
    lastAt = performance.now();
    stream.publish(event, data);
  };
  return {
    changed: () => {
      if (timer) return;
      const wait = lastAt + everyMs - performance.now();
      if (wait <= 0) publish();
      else timer = setTimeout(publish, wait);
    },
    stop: () => {
      if (timer) clearTimeout(timer);
    },
  };
}
