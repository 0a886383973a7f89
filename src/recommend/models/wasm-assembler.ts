// A minimal WebAssembly assembler for the few SIMD kernels of the models (serving's scorer, the
// factorisations' training kernels). The kernels are small, so they are written below their
// callers as readable opcode lists and assembled at load rather than shipped as opaque binaries.
// Only what those kernels use is here: i32/f32 scalars, f32x4 SIMD, structured control flow, and
// one imported memory (shared or not).

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}
export type WasmModule = { readonly wasmModule: unique symbol };
export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
}

export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes in a WebAssembly page. */
export const WASM_PAGE = 65536;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));

export const I32 = 0x7f;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;

/** SIMD instructions: the 0xfd prefix, then the opcode as LEB128. */
const simd = (code: number): number[] => [0xfd, ...uleb(code)];
/** A memory operand: log2 alignment, then the static byte offset. */
const mem = (align: number, offset: number): number[] => [align, ...uleb(offset)];

export const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  i32Const: (n: number) => [0x41, ...sleb(n)],
  f64Const: (x: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(x);
    return [0x44, ...b];
  },
  f32Const: (x: number) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x);
    return [0x43, ...b];
  },
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32ShrU: [0x76],
  i32GeU: [0x4f],
  i32Eqz: [0x45],
  i32GtU: [0x4b],
  select: [0x1b],
  i32LtU: [0x49],
  i32Load: (offset = 0) => [0x28, ...mem(2, offset)],
  f32Load: (offset = 0) => [0x2a, ...mem(2, offset)],
  f32Store: (offset = 0) => [0x38, ...mem(2, offset)],
  f64Load: (offset = 0) => [0x2b, ...mem(3, offset)],
  f64Store: (offset = 0) => [0x39, ...mem(3, offset)],
  f32Add: [0x92],
  f32Sub: [0x93],
  f32Mul: [0x94],
  f64Add: [0xa0],
  f64Sub: [0xa1],
  f64Mul: [0xa2],
  f64Div: [0xa3],
  f64Sqrt: [0x9f],
  f64Gt: [0x64],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  return: [0x0f],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  v128Load: (offset = 0) => [...simd(0x00), ...mem(4, offset)],
  v128Load32Splat: (offset = 0) => [...simd(0x09), ...mem(2, offset)],
  v128Store: (offset = 0) => [...simd(0x0b), ...mem(4, offset)],
  f32x4Splat: simd(0x13),
  f32x4ExtractLane: (lane: number) => [...simd(0x1f), lane],
  f32x4Add: simd(0xe4),
  f32x4Neg: simd(0xe1),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Max: simd(0xe9),
  f64x2Add: simd(0xf0),
  f64x2PromoteLowF32x4: simd(0x5f),
  /** i8x16.shuffle of the two vectors on the stack: byte i of the result is byte lanes[i] of a‖b. */
  i8x16Shuffle: (lanes: number[]) => [...simd(0x0d), ...lanes],
};

/** A zero v128 (f32x4.splat of 0). */
export const v128Zero = (): number[] => [...op.f32Const(0), ...op.f32x4Splat];

/**
 * `for (i = from; i < to; i += step) body`, unsigned, with `i` a local: the test is at the top, so
 * an empty range runs nothing. `from`, `to` and `step` are instruction lists pushing one i32.
 * Inside `body`, `br(1)` continues and `br(2)` breaks (relative to the body's own nesting).
 */
export function forLoop(i: number, from: number[], to: number[], step: number[], body: number[]): number[] {
  return [
    ...from, ...op.localSet(i),
    ...op.block, ...op.loop,
    ...op.localGet(i), ...to, ...op.i32GeU, ...op.brIf(1),
    ...body,
    ...op.localGet(i), ...step, ...op.i32Add, ...op.localSet(i),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

export interface WasmFunction {
  name: string;
  params: number[];
  results?: number[];
  /** Types of the locals after the parameters, in order. */
  locals?: number[];
  body: number[];
}

/**
 * A module importing `env.memory` (shared when asked: then the memory must be created shared, with
 * a maximum) and exporting the functions by name.
 */
export function assembleModule(functions: WasmFunction[], options: { sharedMemory?: boolean } = {}): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec((f.results ?? []).map((t) => [t]))]);
  const memoryType = options.sharedMemory === true ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, ...uleb(1)];
  const codes = functions.map((f) => {
    const locals = f.locals ?? [];
    // Locals in runs of one type.
    const runs: number[][] = [];
    for (let i = 0; i < locals.length; ) {
      let j = i;
      while (j < locals.length && locals[j] === locals[i]) j++;
      runs.push([...uleb(j - i), locals[i]]);
      i = j;
    }
    const code = [...vec(runs), ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryType]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
}

/** The compiled module, or null where WebAssembly (with SIMD and, if asked, threads) is unavailable. */
export function compileModule(bytes: Uint8Array): WasmModule | null {
  if (wasmApi === undefined || !wasmApi.validate(bytes)) return null;
  return new wasmApi.Module(bytes);
}
