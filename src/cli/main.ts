#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { generateCommand } from './commands/generate.js';
import { tailCommand } from './commands/tail.js';
import { topicsCommand } from './commands/topics.js';
import { upCommand } from './commands/up.js';
import { relayCommand } from './commands/relay.js';
import { processCommand } from './commands/process.js';
import { resetCommand } from './commands/reset.js';
import { sqlCommand } from './commands/sql.js';
import { serveCommand } from './commands/serve.js';
import { analyticsCommand } from './commands/analytics.js';
import { datasetCommand } from './commands/dataset.js';
import { trainCommand } from './commands/train.js';
import { evaluateCommand } from './commands/evaluate.js';
import { simulateCommand } from './commands/simulate.js';
import { modelsCommand } from './commands/models.js';
import { doctorCommand } from './commands/doctor.js';
import { loadConfig } from '../util/config.js';
import { isUserFacing } from '../util/errors.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('streamrec')
    .description('Real-time event analytics and recommendations in one program: an embedded event log, stream processing, a live API and recommenders.')
    .version(pkg.version)
    .showSuggestionAfterError()
    .showHelpAfterError('(add --help for usage)');
  program.addCommand(upCommand());
  program.addCommand(generateCommand());
  program.addCommand(relayCommand());
  program.addCommand(serveCommand());
  program.addCommand(processCommand());
  program.addCommand(resetCommand());
  program.addCommand(sqlCommand());
  program.addCommand(analyticsCommand());
  program.addCommand(datasetCommand());
  program.addCommand(trainCommand());
  program.addCommand(evaluateCommand());
  program.addCommand(simulateCommand());
  program.addCommand(modelsCommand());
  program.addCommand(topicsCommand());
  program.addCommand(tailCommand());
  program.addCommand(doctorCommand());
  // Every STREAMREC_* variable is checked before any verb runs: a bad one stops it with one line.
  program.hook('preAction', () => void loadConfig());
  program.addHelpText('after', '\nEvery command has --help with examples. Data lives in ./data unless --data-dir or STREAMREC_DATA_DIR says otherwise.');
  return program;
}

// A reader that closes early (`streamrec tail … | head -1`) ends the program quietly, as Unix
// tools do: EPIPE on standard output or error is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (err) {
  // One rule for every verb: an error meant for the user is one line (exit 1); anything else is a
  // bug and shows its stack (exit 70, EX_SOFTWARE).
  if (isUserFacing(err)) {
    process.stderr.write(`streamrec: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`streamrec: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(70);
}
