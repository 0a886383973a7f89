/**
 * What the browser tests set up around the page under test: a real `streamrec up` (or `serve`)
 * on a free port with a fresh data dir, Chromium with a fresh profile (chromium.ts), the errors
 * the pages report, and the page-side waits the tests share. Page-side code is passed as
 * expressions: the tests are compiled without the DOM's types.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium } from './chromium.js';
import { waitFor } from './sse-client.js';
import { start } from './streamrec-cli.js';
import { tempDir } from './tmp.js';

/** What `up` and `serve` print once they listen: `… dashboard at http://localhost:N …`, `… dashboard and API at …`. */
const SERVING = /dashboard (?:and API )?at (http:\/\/localhost:\d+)/;
/** How long a server may take to print its URL (a loaded machine with Chromium starting beside it). */
const SERVE_TIMEOUT_MS = 60_000;

/** A `streamrec` command serving HTTP (see `serveStreamrec`). */
export interface ServedStreamrec {
  /** `http://localhost:<port>`, as the command printed it. */
  url: string;
  /** What it printed to stderr so far. */
  stderr(): string;
  /** Its exit code (null when a signal ended it), once it has exited. */
  exited: Promise<number | null>;
  /** Interrupts it (SIGINT) unless it has exited already; resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `streamrec <args>` (a command that serves: `up`, `serve`; the args name the port and the
 * data dir) and resolves once it printed its URL. It fails with the command's stderr when the
 * command exits first, and stops it when no URL comes within a minute.
 */
export async function serveStreamrec(args: string[], env: Record<string, string> = {}): Promise<ServedStreamrec> {
  const cli = start(args, env);
  const exited = cli.exited.then((r) => r.code);
  let ended = false;
  void exited.then(() => (ended = true));
  const stop = (): Promise<number | null> => {
    if (!ended && cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGINT');
    return exited;
  };
  try {
    await waitFor(() => ended || SERVING.test(cli.stderr()), SERVE_TIMEOUT_MS, 'the dashboard URL');
  } catch (err) {
    await stop();
    throw err;
  }
  const url = SERVING.exec(cli.stderr())?.[1];
  if (url === undefined) throw new Error(`streamrec ${args.join(' ')} exited (${await exited}) before it served:\n${cli.stderr()}`);
  return { url, stderr: cli.stderr, exited, stop };
}

/** Chromium with a fresh profile (see `launchChromium`). */
export interface OpenChromium {
  context: BrowserContext;
  /** The context's first tab. */
  page: Page;
  /** Closes Chromium and removes its profile. */
  close(): Promise<void>;
}

/** Launches Chromium with a fresh profile; `bypassCSP` as `launchChromium` (on unless false). */
export async function openChromium(options: { bypassCSP?: boolean } = {}): Promise<OpenChromium> {
  const profile = tempDir('chromium-profile-');
  let context: BrowserContext;
  try {
    context = await launchChromium(profile.dir, undefined, options);
  } catch (err) {
    profile.cleanup();
    throw err;
  }
  const close = async () => {
    try {
      await context.close();
    } finally {
      profile.cleanup();
    }
  };
  try {
    return { context, page: context.pages()[0] ?? (await context.newPage()), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** A served `streamrec` and Chromium to look at it (see `openBrowserSession`). */
export interface BrowserSession extends Omit<OpenChromium, 'close'> {
  server: ServedStreamrec;
  /** The server's URL. */
  url: string;
  /** The session's data dir (removed by `close`). */
  dataDir: string;
  /**
   * Closes Chromium, stops the server (unless it has exited), removes the data dir and the
   * profile; resolves with the server's exit code.
   */
  close(): Promise<number | null>;
}

export interface BrowserSessionOptions {
  /** Added to the server's environment (STREAMREC_LOG and STREAMREC_DATA_DIR are left out of it). */
  env?: Record<string, string>;
  /** As `launchChromium`'s (on unless false): false for the tests of the pages under the policy. */
  bypassCSP?: boolean;
  /** Fills the fresh data dir before the server starts (it is removed if this throws). */
  prepare?: (dataDir: string) => void | Promise<void>;
}

/**
 * A fresh data dir, `streamrec <args> --port 0 --data-dir <it>` serving on a free port, and
 * Chromium with a fresh profile, launched while the server starts. Always `close()` it, in a
 * finally: what it started is stopped and what it wrote is removed (and so when it fails).
 */
export async function openBrowserSession(args: string[], options: BrowserSessionOptions = {}): Promise<BrowserSession> {
  const data = tempDir();
  try {
    await options.prepare?.(data.dir);
  } catch (err) {
    data.cleanup();
    throw err;
  }
  const [server, chromium] = await Promise.allSettled([
    serveStreamrec([...args, '--port', '0', '--data-dir', data.dir], options.env),
    openChromium({ bypassCSP: options.bypassCSP ?? true }),
  ]);
  if (server.status === 'rejected' || chromium.status === 'rejected') {
    if (chromium.status === 'fulfilled') await chromium.value.close();
    if (server.status === 'fulfilled') await server.value.stop();
    data.cleanup();
    throw server.status === 'rejected' ? server.reason : (chromium as PromiseRejectedResult).reason;
  }
  const { context, page } = chromium.value;
  return {
    server: server.value,
    url: server.value.url,
    dataDir: data.dir,
    context,
    page,
    close: async () => {
      try {
        await chromium.value.close();
      } finally {
        await server.value.stop();
        data.cleanup();
      }
      return server.value.exited;
    },
  };
}

export interface WatchOptions {
  /** Starts each problem it records (`clicker: console error: …`). */
  name?: string;
  /** Records console errors (default true). */
  consoleErrors?: boolean;
  /** The API path whose 404s in the console are the page's expected state. */
  expected404?: string;
  /**
   * Records the Content Security Policy's violations (the page's own `securitypolicyviolation`
   * events): for pages under the policy (`bypassCSP: false`). Set it before the page navigates.
   */
  csp?: boolean;
}

/**
 * Records a page's errors in `problems` as they happen: page errors (uncaught exceptions), console
 * errors and, with `csp`, policy violations, each as one line naming what it was. Resolves with
 * the page.
 */
export async function watchPage(page: Page, problems: string[], options: WatchOptions = {}): Promise<Page> {
  const from = options.name === undefined ? '' : `${options.name}: `;
  page.on('pageerror', (err) => problems.push(`${from}page error: ${err.message}`));
  if (options.consoleErrors ?? true) {
    const expected404 = options.expected404;
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      if (expected404 && / 404 /.test(msg.text()) && new URL(msg.location().url).pathname.startsWith(expected404)) return;
      problems.push(`${from}console error: ${msg.text()} (${msg.location().url})`);
    });
  }
  if (options.csp) {
    await page.exposeFunction('reportViolation', (text: string) => problems.push(`${from}CSP violation: ${text}`));
    await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' blocked ' + e.blockedURI))`);
  }
  return page;
}

/** The trimmed text of a data-testid element, as a page-side expression. */
export const textOf = (testId: string): string => `(document.querySelector('[data-testid="${testId}"]')?.textContent ?? '').trim()`;

/**
 * Waits until a page-side expression is true (playwright's `waitForFunction`, which evaluates a
 * string in the page: not under the policy); fails with `what` and, when `shown` (a page-side
 * expression) is given, what it read on the page.
 */
export async function waitUntil(page: Page, expression: string, what: string, timeout = 15_000, shown?: string): Promise<void> {
  try {
    await page.waitForFunction(expression, undefined, { timeout });
  } catch {
    if (shown === undefined) assert.fail(`timed out waiting for ${what}`);
    assert.fail(`timed out waiting for ${what}; the page showed ${JSON.stringify(await page.evaluate(shown))}`);
  }
}

/**
 * Polls a page-side expression until it is truthy; evaluated by the debugger protocol, outside
 * the page's policy, so it works on pages under it, where `waitUntil` cannot.
 */
export async function until(page: Page, expression: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await page.waitForTimeout(100);
  }
}
