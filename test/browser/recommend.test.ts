/**
 * The Recommendations page in a real browser (Debian's Chromium via playwright-core), under the
 * server's Content Security Policy, against a real server with trained models and a real log:
 * look a user up, see every model's list with its reasons and the models' freshness, open a movie
 * for its similar movies, rate it from the page (POST /events/ratings) and watch the user's lists
 * change over their event stream — with no console error. Conditions are polled with `evaluate`
 * (the policy forbids the string evaluation `waitForFunction` does). Saves a screenshot to
 * test-artifacts/.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { openEmbeddedLog } from '../../src/log/open-log.js';
import { openChromium, textOf, until, watchPage } from '../helpers/browser.js';
import { chromiumSkip } from '../helpers/chromium.js';
import { startTestServer } from '../helpers/test-server.js';
import { tempDir } from '../helpers/tmp.js';
import { storeSynthDataset, trainAllIntoDataDir, userWithRatings } from '../recommend/serving/fixtures.js';

const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');

/** The movie ids of a model's list, in order, as a page-side expression. */
const listIds = (model: string): string => `[...document.querySelectorAll('[data-testid="list-${model}"] [data-testid="rec-row"]')].map((r) => Number(r.dataset.movieId))`;

describe('Recommendations page in Chromium', { skip: chromiumSkip }, () => {
  it('looks a user up, rates a movie from the page and shows their lists change live', async () => {
    const data = tempDir();
    const dataset = await storeSynthDataset(data.dir);
    await trainAllIntoDataDir(data.dir, dataset);
    const log = openEmbeddedLog({ dataDir: data.dir });
    const { server, base } = await startTestServer({ log, dataDir: data.dir, recommend: { pollEveryMs: 500 } });
    const chromium = await openChromium({ bypassCSP: false });
    const problems: string[] = [];
    try {
      const page = await watchPage(chromium.page, problems, { csp: true });

      await page.goto(base);
      await page.getByTestId('nav-recommend').click();
      await page.waitForURL(/\/recommend\.html$/);
      assert.equal(await page.getByTestId('nav-recommend').getAttribute('aria-current'), 'page');
      assert.equal(await page.evaluate(textOf('connection-status')), 'idle', 'no user, no stream');
      // The models' freshness comes from health before any user is looked up.
      await until(page, `document.querySelectorAll('[data-testid="model-row"]').length >= 4`, 'the models table');
      assert.match(await page.evaluate(textOf('retrain-status')), /No retrain schedule/);

      const user = userWithRatings(dataset);
      const defaultModel = server.recommend!.modelSet!.defaultModel;
      await page.getByTestId('user-input').fill(String(user));
      await page.getByTestId('user-lookup').click();
      await until(page, `${listIds(defaultModel)}.length === 10`, `the ${defaultModel} list`);
      await until(page, `${textOf('connection-status')} === 'live'`, 'the user stream live');
      assert.equal(await page.evaluate(textOf('user-heading')), `User ${user}`);
      assert.match(page.url(), new RegExp(`\\?user=${user}$`), 'the address names the user');
      for (const model of ['als', 'itemcf', 'content', 'hybrid']) {
        assert.equal((await page.evaluate(`${listIds(model)}`) as number[]).length, 10, `${model}: ten movies side by side`);
      }
      assert.ok(await page.evaluate(`document.querySelectorAll('[data-testid="because"]').length > 0`), 'reasons are shown');
      const ratedBefore = await page.evaluate(`document.querySelectorAll('[data-testid="user-rating"]').length`) as number;
      assert.ok(ratedBefore > 0, 'their ratings are listed');

      // Open their top movie: its similar movies by every model, and stars to rate it.
      const before = (await page.evaluate(listIds(defaultModel))) as number[];
      const top = before[0]!;
      await page.locator(`[data-testid="list-${defaultModel}"] [data-testid="movie-link"][data-movie-id="${top}"]`).click();
      await until(page, `document.querySelector('[data-testid="similar-itemcf"] li') !== null`, 'similar movies');
      assert.match(await page.evaluate(textOf('rate-note')), new RegExp(`Rate it as user ${user}`));

      await page.getByTestId('rate-5').click();
      // The rating goes through the log and comes back on the user's stream; the lists change.
      await until(page, `!${listIds(defaultModel)}.includes(${top}) && ${listIds(defaultModel)}.length === 10`, 'the list without the movie just rated');
      await until(page, `document.querySelector('[data-testid="user-rating"]')?.dataset.movieId === '${top}'`, 'the new rating first among their ratings');
      await until(page, `document.querySelector('[data-testid="sent-ratings"] li')?.dataset.state === 'applied'`, 'the sent rating shown as applied');
      const after = (await page.evaluate(listIds(defaultModel))) as number[];
      assert.notDeepEqual(after, before);
      assert.ok(await page.evaluate(`document.querySelectorAll('[data-testid="list-${defaultModel}"] tr.new').length > 0`), 'the movies new in the list are marked');
      assert.ok(Array.from(server.recommend!.historyOf(user)!.movies).includes(top), 'the server applied the rating');

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'recommend-e2e.png'), fullPage: true });

      // A phone's width: one column, no sideways scrolling.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.waitForTimeout(500);
      const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
      assert.ok(overflow <= 1, `no sideways scrolling at 390 px (${overflow} px too wide)`);
      await page.screenshot({ path: resolve(ARTIFACTS, 'recommend-e2e-phone.png'), fullPage: true });
      assert.deepEqual(problems, [], 'no errors and no policy violation in the page');
    } finally {
      await chromium.close();
      await server.close();
      await log.close();
      data.cleanup();
    }
  });
});
