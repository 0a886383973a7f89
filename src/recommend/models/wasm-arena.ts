// One shared WebAssembly memory holding every array a training's kernels touch, laid out once by
// the main thread. The layout (names → offsets) and the memory itself are posted to the workers,
// which view the same bytes as typed arrays and hand the offsets to the kernels: no copies, and
// what one thread writes the others read at the next step (the worker pool's message round trip
// orders it).
import { wasmApi, WASM_PAGE, type WasmMemory } from './wasm-assembler.js';

export interface ArenaArray {
  kind: 'i32' | 'f32' | 'f64';
  /** Byte offset in the memory, 64-byte aligned (a cache line). */
  offset: number;
  length: number;
}

export interface ArenaLayout<K extends string = string> {
  bytes: number;
  arrays: Record<K, ArenaArray>;
}

/** The most a 32-bit WebAssembly memory can address. */
const MAX_BYTES = 65536 * WASM_PAGE;
const ALIGN = 64;

/** Offsets for the arrays, in the order given. Throws when they do not fit in 4 GiB. */
export function planArena<K extends string>(arrays: Record<K, { kind: ArenaArray['kind']; length: number }>): ArenaLayout<K> {
  // Offset 0 stays unused, so a zero pointer is never a valid array.
  let at = ALIGN;
  const out = {} as Record<K, ArenaArray>;
  for (const name of Object.keys(arrays) as K[]) {
    const { kind, length } = arrays[name];
    if (!Number.isInteger(length) || length < 0) throw new Error(`planArena: ${name} has length ${length}`);
    out[name] = { kind, offset: at, length };
    at += Math.ceil((length * (kind === 'f64' ? 8 : 4)) / ALIGN) * ALIGN;
  }
  if (at > MAX_BYTES) throw new Error(`the training arrays need ${(at / 2 ** 30).toFixed(1)} GiB, more than the 4 GiB a WebAssembly memory can hold: train on fewer ratings or a lower rank`);
  return { bytes: at, arrays: out };
}

/** A shared memory big enough for the layout, zero-filled. */
export function createArena(layout: ArenaLayout): WasmMemory {
  if (wasmApi === undefined) throw new Error('this Node.js has no WebAssembly');
  const pages = Math.max(1, Math.ceil(layout.bytes / WASM_PAGE));
  return new wasmApi.Memory({ initial: pages, maximum: pages, shared: true });
}

export function i32View<K extends string>(memory: WasmMemory, layout: ArenaLayout<K>, name: K): Int32Array {
  const a = layout.arrays[name];
  if (a.kind !== 'i32') throw new Error(`arena: ${name} is ${a.kind}, not i32`);
  return new Int32Array(memory.buffer, a.offset, a.length);
}

export function f32View<K extends string>(memory: WasmMemory, layout: ArenaLayout<K>, name: K): Float32Array {
  const a = layout.arrays[name];
  if (a.kind !== 'f32') throw new Error(`arena: ${name} is ${a.kind}, not f32`);
  return new Float32Array(memory.buffer, a.offset, a.length);
}

export function f64View<K extends string>(memory: WasmMemory, layout: ArenaLayout<K>, name: K): Float64Array {
  const a = layout.arrays[name];
  if (a.kind !== 'f64') throw new Error(`arena: ${name} is ${a.kind}, not f64`);
  return new Float64Array(memory.buffer, a.offset, a.length);
}
