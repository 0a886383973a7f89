// The doctor's report, pure: one line a check with the fix on the same line, a summary, the exit
// code (1 only for a problem), and the JSON shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { doctorReport, exitCode, formatReport } from '../../src/cli/doctor/format-report.js';
import { ok, problem, skipped, warn } from '../../src/cli/doctor/finding.js';

describe('doctor report', () => {
  const checks = [
    ok('data-dir', '/srv/data exists and takes writes'),
    warn('models.staging', '1 staging directory left', 'delete it'),
    problem('lake.ratings/raw.commit', 'a file past the commit\n(written by a crash)', '`streamrec process ratings`'),
    skipped('service.redis', 'not configured'),
  ];

  it('prints one line a check, the fix of a warning or problem on its line, then a summary', () => {
    const text = formatReport(doctorReport(checks), 'streamrec doctor: /srv/data');
    assert.equal(
      text,
      [
        'streamrec doctor: /srv/data',
        'ok       data-dir: /srv/data exists and takes writes',
        'warn     models.staging: 1 staging directory left — fix: delete it',
        'PROBLEM  lake.ratings/raw.commit: a file past the commit (written by a crash) — fix: `streamrec process ratings`',
        'skipped  service.redis: not configured',
        'doctor: 1 problem, 1 warning in 4 checks (exit 1)',
        '',
      ].join('\n'),
    );
  });

  it('exits 1 for a problem, 0 for warnings and skipped checks', () => {
    assert.equal(exitCode(doctorReport(checks)), 1);
    assert.equal(exitCode(doctorReport(checks.filter((c) => c.status !== 'problem'))), 0);
    assert.equal(exitCode(doctorReport([])), 0);
    assert.match(formatReport(doctorReport([ok('port', 'free')]), 'h'), /doctor: 0 problems, 0 warnings in 1 checks\n$/);
  });

  it('is {ok, checks: [{name, status, message, fix?}]} as JSON, each message on one line', () => {
    const json = JSON.parse(JSON.stringify(doctorReport(checks))) as unknown;
    assert.deepEqual(json, {
      ok: false,
      checks: [
        { name: 'data-dir', status: 'ok', message: '/srv/data exists and takes writes' },
        { name: 'models.staging', status: 'warn', message: '1 staging directory left', fix: 'delete it' },
        { name: 'lake.ratings/raw.commit', status: 'problem', message: 'a file past the commit (written by a crash)', fix: '`streamrec process ratings`' },
        { name: 'service.redis', status: 'skipped', message: 'not configured' },
      ],
    });
  });
});
