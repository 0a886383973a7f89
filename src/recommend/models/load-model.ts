// Loads a registry version of any model kind. A hybrid loads the component versions its metadata
// names, so serving a hybrid always blends exactly the models its weights were fitted against.
// Artefacts are read and verified off the event loop (readArrayFileAsync), then handed to the
// model's own synchronous `load`, so a server loading a new version keeps answering meanwhile.
import { join, sep } from 'node:path';
import type { ModelRegistry } from '../registry/registry.js';
import { AlsModel } from './als/als.js';
import { readArrayFileAsync, withArrayFiles, type ArrayFile } from './array-file.js';
import { ContentModel } from './content/content.js';
import { HybridModel } from './hybrid/hybrid.js';
import { ItemCfModel } from './item-cf/item-cf.js';
import { PopularityModel } from './popularity/popularity.js';
import type { ModelName, Recommender } from './recommender.js';

export interface LoadModelOptions {
  /**
   * An instance already loaded of `model` at `version`, for a hybrid to use as that component
   * instead of loading a second copy (the serving set passes the models it holds).
   */
  reuse?: (model: ModelName, version: string) => Recommender | undefined;
}

export async function loadRegisteredModel(registry: ModelRegistry, model: ModelName, version: string, options: LoadModelOptions = {}): Promise<Recommender> {
  const dir = registry.dir(model, version);
  if (model === 'hybrid') {
    const components = registry.metadata(model, version).components;
    if (components === undefined) throw new Error(`hybrid ${version}: its metadata names no components`);
    const loaded = new Map<ModelName, Recommender>();
    for (const [name, componentVersion] of Object.entries(components) as [ModelName, string][]) {
      try {
        loaded.set(name, options.reuse?.(name, componentVersion) ?? (await loadRegisteredModel(registry, name, componentVersion, options)));
      } catch (err) {
        throw new Error(`hybrid ${version}: its component ${name} ${componentVersion} cannot be loaded: ${(err as Error).message}`, { cause: err });
      }
    }
    return new HybridModel(loaded, HybridModel.loadWeights(dir));
  }
  const files = await readArtefacts(registry, model, version);
  return withArrayFiles(files, () => loadFromDir(model, dir));
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

function loadFromDir(model: Exclude<ModelName, 'hybrid'>, dir: string): Recommender {
  switch (model) {
    case 'als':
      return AlsModel.load(dir);
    case 'itemcf':
      return ItemCfModel.load(dir);
    case 'content':
      return ContentModel.load(dir);
    case 'popularity':
      return PopularityModel.load(dir);
  }
}
