/** The batch analytics outputs (`streamrec analytics`): the manifest is readable, its parts exist, and its stream check passed. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyticsDir, readManifest } from '../../analytics/outputs.js';
import type { AnalyticsManifest } from '../../analytics/types.js';
import { formatCount } from '../context.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, skipped, warn, type Finding } from './finding.js';
import { formatAge } from './units.js';

export function checkAnalytics(ctx: DoctorContext): Finding[] {
  const fix = '`streamrec analytics` writes the outputs again from the lake';
  let manifest: AnalyticsManifest | null;
  try {
    manifest = readManifest(ctx.dataDir);
  } catch (err) {
    return [problem('analytics', `the analytics manifest is unreadable: ${(err as Error).message}`, fix)];
  }
  if (manifest === null) return [skipped('analytics', 'no analytics outputs yet (`streamrec analytics` writes them from the lake)')];
  const root = analyticsDir(ctx.dataDir);
  const missing = Object.entries(manifest.parts).filter(([, part]) => !existsSync(join(root, part.path))).map(([name]) => name);
  if (missing.length > 0) return [problem('analytics', `the analytics outputs lack ${missing.join(', ')} (listed in ${join(root, 'manifest.json')})`, fix)];
  const what = `outputs of ${manifest.finished_at} (${formatAge(Date.parse(manifest.finished_at), ctx.now)}) over ${formatCount(manifest.input.ratings)} ratings`;
  if (manifest.verify !== null && !manifest.verify.ok) {
    return [warn('analytics', `${what}: the stream results did not match the raw lake when they were verified`, '`streamrec analytics --verify` names the windows that differ')];
  }
  return [ok('analytics', `${what}${manifest.verify !== null ? ', stream results verified' : ''}`)];
}
