/** The doctor's report as text (one line a finding) or JSON, and its exit code. Pure. */
import type { CheckStatus, Finding } from './finding.js';

export interface DoctorReport {
  /** No problems (warnings allowed). */
  ok: boolean;
  checks: Finding[];
}

/** The report of these findings, each message and fix on one line whatever an error text held. */
export function doctorReport(checks: Finding[]): DoctorReport {
  const lined = checks.map((c) => (c.fix === undefined ? { ...c, message: oneLine(c.message) } : { ...c, message: oneLine(c.message), fix: oneLine(c.fix) }));
  return { ok: !checks.some((c) => c.status === 'problem'), checks: lined };
}

/** 0 when nothing is a problem, 1 otherwise. */
export function exitCode(report: DoctorReport): number {
  return report.ok ? 0 : 1;
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok', warn: 'warn', problem: 'PROBLEM', skipped: 'skipped' };
const LABEL_WIDTH = Math.max(...Object.values(LABEL).map((l) => l.length));

/** One line a finding (`PROBLEM  lake.ratings/raw: … — fix: …`), then a summary line. */
export function formatReport(report: DoctorReport, header: string): string {
  const lines = [header];
  for (const c of report.checks) {
    const fix = c.fix !== undefined && c.status !== 'ok' && c.status !== 'skipped' ? ` — fix: ${c.fix}` : '';
    lines.push(`${LABEL[c.status].padEnd(LABEL_WIDTH)}  ${c.name}: ${c.message}${fix}`);
  }
  lines.push(summaryLine(report));
  return `${lines.join('\n')}\n`;
}

export function summaryLine(report: DoctorReport): string {
  const count = (s: CheckStatus) => report.checks.filter((c) => c.status === s).length;
  const problems = count('problem');
  const warnings = count('warn');
  const parts = [`${problems} ${problems === 1 ? 'problem' : 'problems'}`, `${warnings} ${warnings === 1 ? 'warning' : 'warnings'}`];
  return `doctor: ${parts.join(', ')} in ${report.checks.length} checks${report.ok ? '' : ' (exit 1)'}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}
