/**
 * A live status line: on a terminal it is redrawn in place a few times a second; otherwise
 * (CI, a pipe, a log file) it becomes a plain line every few seconds.
 */
export interface Progress {
  update(line: string): void;
  /** Print the last line for good (and a newline on a terminal). */
  done(line?: string): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr, plainEveryMs = 5000): Progress {
  const tty = stream.isTTY === true;
  const every = tty ? 200 : plainEveryMs;
  let last = 0;
  let pending = '';
  let shown = '';
  const show = (line: string) => {
    if (tty) stream.write(`\r\x1b[2K${line}`);
    else stream.write(`${line}\n`);
    shown = line;
  };
  return {
    update(line) {
      pending = line;
      const now = Date.now();
      if (now - last >= every) {
        last = now;
        show(line);
      }
    },
    done(line) {
      const final = line ?? pending;
      if (final && final !== shown) show(final);
      if (tty && shown) stream.write('\n');
    },
  };
}
