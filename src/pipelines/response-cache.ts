/**
 * Response bodies serialised once per change of a view, not once per request: results change
 * about once a second while reads can come thousands of times a second. `build` returning null
 * (no data) is not cached.
 */
export function responseCache(view: { readonly version: number }): (key: string, build: () => unknown) => string | null {
  const cache = new Map<string, string>();
  let version = -1;
  return (key, build) => {
    if (view.version !== version) {
      cache.clear();
      version = view.version;
    }
    let body = cache.get(key);
    if (body === undefined) {
      const value = build();
      if (value === null) return null;
      body = JSON.stringify(value);
      cache.set(key, body);
    }
    return body;
  };
}
