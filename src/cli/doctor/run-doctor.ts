/**
 * Runs every check family in order — data dir, log, each pipeline and its lake tables, models,
 * analytics outputs, services, port — and collects their findings. A check that throws becomes a
 * problem line of its own instead of stopping the others.
 */
import { existsSync } from 'node:fs';
import type { EventLog } from '../../log/types.js';
import { pipelineDeclarations } from '../../pipelines/registry.js';
import type { StreamrecConfig } from '../../util/config.js';
import { checkAnalytics } from './analytics-checks.js';
import { checkDataDir } from './data-dir-checks.js';
import type { DoctorContext } from './doctor-context.js';
import { problem, type Finding } from './finding.js';
import { checkPipelineLake } from './lake-checks.js';
import { checkLogContents, checkLogFile } from './log-checks.js';
import { checkModels } from './model-checks.js';
import { checkPipeline } from './pipeline-checks.js';
import { checkPort } from './port-checks.js';
import { checkServices } from './service-checks.js';

export interface DoctorOptions {
  dataDir: string;
  config: StreamrecConfig;
  port: number;
  now?: number;
}

export async function runDoctor(options: DoctorOptions): Promise<Finding[]> {
  const ctx: DoctorContext = { dataDir: options.dataDir, config: options.config, port: options.port, now: options.now ?? Date.now() };
  // Network checks wait on sockets: started first, reported last.
  const network = Promise.all([guard('service', () => checkServices(ctx)), guard('port', async () => [await checkPort(ctx)])]);
  const findings: Finding[] = [];
  findings.push(...(await guard('data-dir', () => checkDataDir(ctx))));
  if (existsSync(ctx.dataDir)) {
    let log: EventLog | null = null;
    findings.push(
      ...(await guard('log', () => {
        const opened = checkLogFile(ctx);
        log = opened.log;
        return opened.findings;
      })),
    );
    if (log !== null) {
      const logCtx = { ...ctx, log: log as EventLog };
      try {
        findings.push(...(await guard('log', () => checkLogContents(logCtx.log))));
        for (const declaration of pipelineDeclarations()) {
          findings.push(...(await guard(`pipeline.${declaration.name}`, () => checkPipeline(declaration, logCtx))));
          findings.push(...(await guard(`lake.${declaration.name}`, () => checkPipelineLake(declaration, logCtx))));
        }
      } finally {
        await logCtx.log.close();
      }
    }
    findings.push(...(await guard('models', () => checkModels(ctx))));
    findings.push(...(await guard('analytics', () => checkAnalytics(ctx))));
  }
  for (const part of await network) findings.push(...part);
  return findings;
}

/** The findings of one check family, or one problem naming what broke it. */
async function guard(name: string, check: () => Finding[] | Promise<Finding[]>): Promise<Finding[]> {
  try {
    return await check();
  } catch (err) {
    return [problem(name, `the check could not finish: ${err instanceof Error ? err.message : String(err)}`, 'fix what the message names, then run `streamrec doctor` again')];
  }
}
