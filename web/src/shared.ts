/**
 * What goes into shared.js: every dashboard page (main.ts, analytics-main.ts, clicks-main.ts,
 * commerce-main.ts, recommend-main.ts) imports this file first. esbuild puts a module two pages use into a chunk
 * named after the set of pages that reach it; the chunk's name is fixed (build.mjs), so there
 * must be one such set: all the pages. Listing here every module that two of them share makes every page reach it.
 * A module shared by some pages and missing here makes a second chunk, and the build says so.
 */
import './cells.js';
import './charts.js';
import './colors.js';
import './dom.js';
import './format.js';
import './render-connection.js';
import './render-loop.js';
import './sse.js';
import './top-bars.js';
