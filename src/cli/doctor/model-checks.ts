/**
 * The model registry: every version's artefacts verify their recorded sizes and checksums, each
 * model's `latest` points at a version that exists, and no staging directory of a training that
 * never finished is left behind.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MODEL_NAMES, type ModelName } from '../../recommend/models/model-kinds.js';
import { ModelRegistry, type RegistryEntry } from '../../recommend/registry/registry.js';
import type { DoctorContext } from './doctor-context.js';
import { ok, problem, skipped, warn, type Finding } from './finding.js';
import { formatAge, plural } from './units.js';

export function checkModels(ctx: DoctorContext): Finding[] {
  const registry = new ModelRegistry(ctx.dataDir);
  if (!existsSync(registry.root)) return [skipped('models', `no models yet in ${registry.root} (\`streamrec train\` trains them)`)];
  const findings: Finding[] = [];
  for (const model of MODEL_NAMES) findings.push(...checkModel(registry, model));
  findings.push(...stagingFindings(registry, ctx.now));
  return findings.length > 0 ? findings : [skipped('models', `no models yet in ${registry.root} (\`streamrec train\` trains them)`)];
}

function checkModel(registry: ModelRegistry, model: ModelName): Finding[] {
  const entries = registry.list(model);
  const latest = registry.latestVersion(model);
  if (entries.length === 0 && latest === undefined) return [];
  const findings: Finding[] = [];
  let verified = 0;
  for (const entry of entries) {
    const error = entry.error ?? verifyError(registry, entry);
    if (error === null) verified++;
    else findings.push(problem(`model.${model}.${entry.version}`, `${model} ${entry.version}${entry.latest ? ' (latest)' : ''} is damaged: ${error}`, removeFix(model, entry)));
  }
  if (latest !== undefined && !entries.some((e) => e.version === latest)) {
    findings.push(problem(`model.${model}.latest`, `${model}'s latest pointer names ${latest}, which does not exist`, `\`streamrec train --models ${model} --force\` trains a new version and points latest at it`));
  } else if (latest === undefined && entries.length > 0) {
    findings.push(warn(`model.${model}.latest`, `${model} has ${plural(entries.length, 'version')} but no latest pointer: the server serves none of them`, `\`streamrec train --models ${model} --force\` trains a new version and points latest at it`));
  }
  if (verified > 0) findings.unshift(ok(`model.${model}`, `${plural(verified, 'version')} verified (artefact sizes and checksums)${latest !== undefined ? `, latest ${latest}` : ''}`));
  return findings;
}

/** Why a version fails its re-hash, or null when it verifies. */
function verifyError(registry: ModelRegistry, entry: RegistryEntry): string | null {
  try {
    registry.verify(entry.model, entry.version);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

function removeFix(model: ModelName, entry: RegistryEntry): string {
  if (entry.latest) {
    return `\`streamrec models rm ${model} ${entry.version} --force\` (latest moves to the newest other version), then \`streamrec train --models ${model}\` to train it again`;
  }
  return `\`streamrec models rm ${model} ${entry.version}\` (add --force if the latest hybrid blends it)`;
}

/**
 * A training writes its version in `.staging-<version>.<host>.<pid>` and renames it into place when
 * done; a removal renames a version to `.trash-…` before deleting it. The registry's `leftovers`
 * are those whose writer is gone: reported (the next `streamrec train` removes them); the others
 * are trainings in progress.
 */
function stagingFindings(registry: ModelRegistry, now: number): Finding[] {
  const leftovers = registry.leftovers(now);
  const inProgress: string[] = [];
  for (const model of MODEL_NAMES) {
    const dir = join(registry.root, model);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) if (name.startsWith('.staging-') && !leftovers.includes(join(dir, name))) inProgress.push(join(dir, name));
  }
  const findings: Finding[] = [];
  if (leftovers.length > 0) {
    const oldest = Math.min(...leftovers.map((p) => statSync(p).mtimeMs));
    findings.push(
      warn(
        'models.staging',
        `${plural(leftovers.length, 'directory', 'directories')} left by a training or removal that did not finish (${leftovers.slice(0, 3).join(', ')}${leftovers.length > 3 ? ' …' : ''}; oldest ${formatAge(oldest, now)}): disk space only, never served`,
        `the next \`streamrec train\` removes ${leftovers.length === 1 ? 'it' : 'them'} (or \`rm -rf\` ${leftovers.length === 1 ? 'it' : 'them'})`,
      ),
    );
  }
  if (inProgress.length > 0) findings.push(ok('models.staging', `${plural(inProgress.length, 'training')} in progress (${inProgress.join(', ')})`));
  return findings;
}
