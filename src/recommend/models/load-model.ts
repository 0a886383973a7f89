// Loads a registry version of any model kind. A hybrid loads the component versions its metadata
// names, so serving a hybrid always blends exactly the models its weights were fitted against.
import type { ModelRegistry } from '../registry/registry.js';
import { AlsModel } from './als.js';
import { ContentModel } from './content.js';
import { HybridModel } from './hybrid.js';
import { ItemCfModel } from './item-cf.js';
import { PopularityModel } from './popularity.js';
import type { ModelName, Recommender } from './recommender.js';

export async function loadRegisteredModel(registry: ModelRegistry, model: ModelName, version: string): Promise<Recommender> {
  const dir = registry.dir(model, version);
  switch (model) {
    case 'als':
      return AlsModel.load(dir);
    case 'itemcf':
      return ItemCfModel.load(dir);
    case 'content':
      return ContentModel.load(dir);
    case 'popularity':
      return PopularityModel.load(dir);
    case 'hybrid': {
      const components = registry.metadata(model, version).components;
      if (components === undefined) throw new Error(`hybrid ${version}: its metadata names no components`);
      const loaded = new Map<ModelName, Recommender>();
      for (const [name, componentVersion] of Object.entries(components) as [ModelName, string][]) {
        loaded.set(name, await loadRegisteredModel(registry, name, componentVersion));
      }
      return new HybridModel(loaded, HybridModel.loadWeights(dir));
    }
  }
}
