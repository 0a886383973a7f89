// Loads a registry version of any model kind through its entry in the model-kinds table. A kind
// that blends (the hybrid) loads the component versions its metadata names first, so serving a
// hybrid always blends exactly the models its weights were fitted against. Artefacts are read and
// verified off the event loop (readArrayFileAsync), then handed to the kind's own synchronous
// `load`, so a server loading a new version keeps answering meanwhile.
import { join, sep } from 'node:path';
import type { ModelRegistry } from '../registry/registry.js';
import { readArrayFileAsync, withArrayFiles, type ArrayFile } from './array-file.js';
import { modelKind, type ModelName } from './model-kinds.js';
import type { Recommender } from './recommender.js';

export interface LoadModelOptions {
  /**
   * An instance already loaded of `model` at `version`, for a hybrid to use as that component
   * instead of loading a second copy (the serving set passes the models it holds).
   */
  reuse?: (model: ModelName, version: string) => Recommender | undefined;
}

export async function loadRegisteredModel(registry: ModelRegistry, model: ModelName, version: string, options: LoadModelOptions = {}): Promise<Recommender> {
  const dir = registry.dir(model, version);
  const components = new Map<string, Recommender>();
  if (modelKind(model).blends) {
    const named = registry.metadata(model, version).components;
    if (named === undefined) throw new Error(`${model} ${version}: its metadata names no components`);
    for (const [name, componentVersion] of Object.entries(named) as [ModelName, string][]) {
      try {
        components.set(name, options.reuse?.(name, componentVersion) ?? (await loadRegisteredModel(registry, name, componentVersion, options)));
      } catch (err) {
        throw new Error(`${model} ${version}: its component ${name} ${componentVersion} cannot be loaded: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  const files = await readArtefacts(registry, model, version);
  return withArrayFiles(files, () => modelKind(model).load({ dir, components }));
}

/** Every array-file artefact of a version (`*.bin`), read and verified without blocking. */
async function readArtefacts(registry: ModelRegistry, model: ModelName, version: string): Promise<Map<string, ArrayFile>> {
  const dir = registry.dir(model, version);
  const files = new Map<string, ArrayFile>();
  for (const { file } of registry.metadata(model, version).artefacts) {
    const path = join(dir, file);
    // Only the version's own array files; the model's load reads them by these very paths.
    if (!file.endsWith('.bin') || !path.startsWith(dir + sep)) continue;
    files.set(path, await readArrayFileAsync(path));
  }
  return files;
}
