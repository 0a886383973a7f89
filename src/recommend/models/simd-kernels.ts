// The factorisations' training kernels in WebAssembly SIMD (f32x4): per rating, the work of one
// ALS row is a gather of the other side's factor row and a few multiply-adds per factor, which
// scalar JS does at about one multiply-add per nanosecond; four lanes, with the sums held in
// registers, do several times that. The kernels run over one shared WebAssembly memory that holds
// the ratings and both factor matrices (wasm-arena.ts), so every worker thread reads and writes
// the same arrays with no copies. Factor rows have a padded stride of `kp` floats (`kpBytes`
// bytes), a multiple of 4 — and of 16 for `symv` and `accumulate`. All pointers are byte offsets.
import { assembleModule, compileModule, F32, forLoop, I32, op, V128, v128Zero, wasmApi, type WasmMemory, type WasmModule } from './wasm-assembler.js';

export interface FactorKernels {
  /**
   * Explicit ALS, one tile of a row's ratings: copies the rows `fixed[items[s]]` for s in
   * start..start+count into `tile` (row-major, stride kp) and overwrites each copy's float at byte
   * `tOff` (the other side's bias) with the target r − μ − bias.
   */
  gather(items: number, ratings: number, start: number, count: number, fixed: number, kpBytes: number, mu: number, tOff: number, tile: number): void;
  /** Copies the rows fixed[items[s]] for s in start..start+count, in order, to `out` (stride kp). */
  gatherRows(items: number, start: number, count: number, fixed: number, kpBytes: number, out: number): void;
  /**
   * Adds the upper block triangle of ZᵀZ for the `count` rows of Z at `rows` (stride kp) to a
   * kp×kp matrix of f64 at `out`: for every pair of 4-column blocks A ≤ B,
   * out[4A+i][4B…4B+3] += Σ_p Z[p][4A+i]·Z[p][4B…4B+3], summed in single precision over the
   * rows given (so callers pass a tile of a few hundred) and added in double precision. The 4×4
   * diagonal blocks are added whole, the blocks below them not at all.
   */
  gramUpper(rows: number, count: number, kpBytes: number, out: number): void;
  /** out = G v for a kp×kp matrix G (symmetric, stored whole, row-major). kp a multiple of 16. */
  symv(g: number, v: number, out: number, kpBytes: number): void;
  /**
   * out += Σ_s (c0 + w_s·(c1 + c2·(y_s·v)))·y_s over s in start..end, y_s = fixed[items[s]] and
   * w_s = weights[s]: the sparse half of an implicit-ALS product (c0 = 0, c1 = 0, c2 = 1: Σ w (y·v) y)
   * and of its residual (c0 = 1, c1 = 1, c2 = −1: Σ (1 + w − w (y·x)) y). kp a multiple of 16;
   * `coef` is scratch for ACCUMULATE_TILE floats. Tile by tile: the coefficients first, then the
   * sum, so neither sweep waits on the other's results.
   */
  accumulate(items: number, weights: number, start: number, end: number, fixed: number, kpBytes: number, v: number, out: number, coef: number, c0: number, c1: number, c2: number): void;
  /** `accumulate` over rows already gathered in order (gatherRows): y_s = rows[s]; `items` is unused. */
  accumulateDense(items: number, weights: number, start: number, end: number, rows: number, kpBytes: number, v: number, out: number, coef: number, c0: number, c1: number, c2: number): void;
}

/** Bytes per f32x4 vector. */
const V = 16;

let compiled: WasmModule | null | undefined;

/** True when this runtime has WebAssembly SIMD and shared memories (Node 20 has both). */
export function kernelsAvailable(): boolean {
  if (compiled === undefined) compiled = compileModule(assembleKernels());
  return compiled !== null && wasmApi !== undefined;
}

/** The kernels over a shared memory (a worker instantiates its own; they are not shared). */
export function instantiateKernels(memory: WasmMemory): FactorKernels {
  if (!kernelsAvailable()) throw new Error('this Node.js has no WebAssembly SIMD with shared memory (Node 20 or later has): the factorisation kernels cannot run');
  const instance = new wasmApi!.Instance(compiled!, { env: { memory } });
  return instance.exports as unknown as FactorKernels;
}

const get = op.localGet;
const set = op.localSet;
const i32 = op.i32Const;
/** local ← local + n */
const bump = (local: number, by: number[]): number[] => [...get(local), ...by, ...op.i32Add, ...set(local)];
/** Jump out of the enclosing block when a ≥ b (unsigned): a while-loop's test. */
const exitWhenGe = (a: number, b: number): number[] => [...get(a), ...get(b), ...op.i32GeU, ...op.brIf(1)];
const whileLoop = (test: number[], body: number[]): number[] => [...op.block, ...op.loop, ...test, ...body, ...op.br(0), ...op.end, ...op.end];

function gatherKernel() {
  const [ITEMS, RATINGS, START, COUNT, FIXED, KPB, MU, TOFF, TILE] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [IT, RT, END, DST, ROW, OFF] = [9, 10, 11, 12, 13, 14];
  const body = [
    ...get(START), ...i32(2), ...op.i32Shl, ...set(OFF),
    ...get(ITEMS), ...get(OFF), ...op.i32Add, ...set(IT),
    ...get(RATINGS), ...get(OFF), ...op.i32Add, ...set(RT),
    ...get(IT), ...get(COUNT), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(END),
    ...get(TILE), ...set(DST),
    ...whileLoop(exitWhenGe(IT, END), [
      ...get(FIXED), ...get(IT), ...op.i32Load(), ...get(KPB), ...op.i32Mul, ...op.i32Add, ...set(ROW),
      ...forLoop(OFF, i32(0), get(KPB), i32(V), [
        ...get(DST), ...get(OFF), ...op.i32Add,
        ...get(ROW), ...get(OFF), ...op.i32Add, ...op.v128Load(),
        ...op.v128Store(),
      ]),
      // The target replaces the copied bias: r − μ − b.
      ...get(DST), ...get(TOFF), ...op.i32Add,
      ...get(RT), ...op.f32Load(), ...get(MU), ...op.f32Sub,
      ...get(DST), ...get(TOFF), ...op.i32Add, ...op.f32Load(), ...op.f32Sub,
      ...op.f32Store(),
      ...bump(IT, i32(4)), ...bump(RT, i32(4)), ...bump(DST, get(KPB)),
    ]),
  ];
  return { name: 'gather', params: [I32, I32, I32, I32, I32, I32, F32, I32, I32], locals: [I32, I32, I32, I32, I32, I32], body };
}


function gatherRowsKernel() {
  const [ITEMS, START, COUNT, FIXED, KPB, OUT] = [0, 1, 2, 3, 4, 5];
  const [IT, END, DST, ROW, OFF] = [6, 7, 8, 9, 10];
  const body = [
    ...get(ITEMS), ...get(START), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(IT),
    ...get(IT), ...get(COUNT), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(END),
    ...get(OUT), ...set(DST),
    ...whileLoop(exitWhenGe(IT, END), [
      ...get(FIXED), ...get(IT), ...op.i32Load(), ...get(KPB), ...op.i32Mul, ...op.i32Add, ...set(ROW),
      ...forLoop(OFF, i32(0), get(KPB), i32(V), [
        ...get(DST), ...get(OFF), ...op.i32Add,
        ...get(ROW), ...get(OFF), ...op.i32Add, ...op.v128Load(),
        ...op.v128Store(),
      ]),
      ...bump(IT, i32(4)), ...bump(DST, get(KPB)),
    ]),
  ];
  return { name: 'gatherRows', params: [I32, I32, I32, I32, I32, I32], locals: [I32, I32, I32, I32, I32], body };
}

/** Shuffle lanes moving the high two f32 of a vector to the low half (for f64x2.promote_low). */
const HIGH_HALF = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

function gramUpperKernel() {
  const [ROWS, COUNT, KPB, OUT] = [0, 1, 2, 3];
  const [A, B, P, END, ADDR, OA, Z] = [4, 5, 6, 7, 8, 9, 10];
  const acc = [11, 12, 13, 14];
  const body = [
    ...get(ROWS), ...get(COUNT), ...get(KPB), ...op.i32Mul, ...op.i32Add, ...set(END),
    ...forLoop(A, i32(0), get(KPB), i32(V), [
      ...forLoop(B, get(A), get(KPB), i32(V), [
        ...acc.flatMap((c) => [...v128Zero(), ...set(c)]),
        ...get(ROWS), ...set(P),
        ...whileLoop(exitWhenGe(P, END), [
          ...get(P), ...get(B), ...op.i32Add, ...op.v128Load(), ...set(Z),
          ...get(P), ...get(A), ...op.i32Add, ...set(ADDR),
          ...acc.flatMap((c, i) => [...get(c), ...get(ADDR), ...op.v128Load32Splat(4 * i), ...get(Z), ...op.f32x4Mul, ...op.f32x4Add, ...set(c)]),
          ...bump(P, get(KPB)),
        ]),
        // Row 4A+i of the f64 matrix starts at (A/4 + i)·2·kpBytes (A is a byte offset of f32s:
        // A/16 blocks of 4 rows), column 4B at 2·B bytes. Each f32x4 sum is added as two f64x2.
        ...get(OUT), ...get(A), ...i32(1), ...op.i32ShrU, ...get(KPB), ...op.i32Mul, ...op.i32Add, ...get(B), ...i32(1), ...op.i32Shl, ...op.i32Add, ...set(OA),
        ...acc.flatMap((c) => [
          ...get(OA), ...get(OA), ...op.v128Load(), ...get(c), ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.v128Store(),
          ...get(OA), ...get(OA), ...op.v128Load(V), ...get(c), ...get(c), ...op.i8x16Shuffle(HIGH_HALF), ...op.f64x2PromoteLowF32x4, ...op.f64x2Add, ...op.v128Store(V),
          ...bump(OA, [...get(KPB), ...i32(1), ...op.i32Shl]),
        ]),
      ]),
    ]),
  ];
  return { name: 'gramUpper', params: [I32, I32, I32, I32], locals: [I32, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128], body };
}

function symvKernel() {
  const [G, VEC, OUT, KPB] = [0, 1, 2, 3];
  const [C, GP, VP, VEND, S] = [4, 5, 6, 7, 8];
  const acc = [9, 10, 11, 12];
  const body = [
    ...get(VEC), ...get(KPB), ...op.i32Add, ...set(VEND),
    ...forLoop(C, i32(0), get(KPB), i32(4 * V), [
      ...acc.flatMap((a) => [...v128Zero(), ...set(a)]),
      ...get(G), ...get(C), ...op.i32Add, ...set(GP),
      ...get(VEC), ...set(VP),
      ...whileLoop(exitWhenGe(VP, VEND), [
        ...get(VP), ...op.v128Load32Splat(), ...set(S),
        ...acc.flatMap((a, i) => [...get(a), ...get(S), ...get(GP), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Add, ...set(a)]),
        ...bump(GP, get(KPB)), ...bump(VP, i32(4)),
      ]),
      ...acc.flatMap((a, i) => [...get(OUT), ...get(C), ...op.i32Add, ...get(a), ...op.v128Store(V * i)]),
    ]),
  ];
  return { name: 'symv', params: [I32, I32, I32, I32], locals: [I32, I32, I32, I32, V128, V128, V128, V128, V128], body };
}

/** Interactions per tile of `accumulate`: 128 factor rows of kp ≤ 64 floats stay in L1 between its two sweeps. */
export const ACCUMULATE_TILE = 128;

function accumulateKernel(dense: boolean) {
  const [ITEMS, WEIGHTS, START, END, FIXED, KPB, VEC, OUT, COEF, C0, C1, C2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [T0, TEND, P, IT, WT, CP, ROW, O, RA, XA, CB, D, S] = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24];
  const acc = [25, 26, 27, 28];
  // Interaction p's row: fixed[items[p]], or (dense) fixed[p], the rows gathered in order.
  const rowOf = dense ? [...get(FIXED), ...get(P), ...get(KPB), ...op.i32Mul, ...op.i32Add] : [...get(FIXED), ...get(IT), ...op.i32Load(), ...get(KPB), ...op.i32Mul, ...op.i32Add];
  const body = [
    ...get(START), ...set(T0),
    ...whileLoop(exitWhenGe(T0, END), [
      // TEND = min(T0 + TILE, END)
      ...get(END), ...get(T0), ...i32(ACCUMULATE_TILE), ...op.i32Add, ...op.localTee(TEND), ...get(TEND), ...get(END), ...op.i32GtU, ...op.select, ...set(TEND),
      // Sweep 1: coef[p] = c0 + w·(c1 + c2·(y·v)) for the tile's interactions, four lanes × four
      // accumulators per dot product (no add waits for the one before).
      ...get(ITEMS), ...get(T0), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(IT),
      ...get(WEIGHTS), ...get(T0), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(WT),
      ...get(COEF), ...set(CP),
      ...forLoop(P, get(T0), get(TEND), i32(1), [
        ...rowOf, ...set(ROW),
        ...acc.flatMap((a) => [...v128Zero(), ...set(a)]),
        ...forLoop(O, i32(0), get(KPB), i32(4 * V), [
          ...get(ROW), ...get(O), ...op.i32Add, ...set(RA),
          ...get(VEC), ...get(O), ...op.i32Add, ...set(XA),
          ...acc.flatMap((a, i) => [...get(a), ...get(RA), ...op.v128Load(V * i), ...get(XA), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Add, ...set(a)]),
        ]),
        ...get(acc[0]), ...get(acc[1]), ...op.f32x4Add, ...get(acc[2]), ...get(acc[3]), ...op.f32x4Add, ...op.f32x4Add, ...set(acc[0]),
        ...get(acc[0]), ...op.f32x4ExtractLane(0), ...get(acc[0]), ...op.f32x4ExtractLane(1), ...op.f32Add,
        ...get(acc[0]), ...op.f32x4ExtractLane(2), ...get(acc[0]), ...op.f32x4ExtractLane(3), ...op.f32Add, ...op.f32Add, ...set(D),
        ...get(CP),
        ...get(C0), ...get(WT), ...op.f32Load(), ...get(C1), ...get(C2), ...get(D), ...op.f32Mul, ...op.f32Add, ...op.f32Mul, ...op.f32Add,
        ...op.f32Store(),
        ...bump(IT, i32(4)), ...bump(WT, i32(4)), ...bump(CP, i32(4)),
      ]),
      // Sweep 2: out += Σ coef[p]·y_p, 16 columns at a time with their sums held in registers
      // (the tile's rows are in L1 from sweep 1).
      ...forLoop(CB, i32(0), get(KPB), i32(4 * V), [
        ...acc.flatMap((a, i) => [...get(OUT), ...get(CB), ...op.i32Add, ...op.v128Load(V * i), ...set(a)]),
        ...get(ITEMS), ...get(T0), ...i32(2), ...op.i32Shl, ...op.i32Add, ...set(IT),
        ...get(COEF), ...set(CP),
        ...forLoop(P, get(T0), get(TEND), i32(1), [
          ...get(CP), ...op.v128Load32Splat(), ...set(S),
          ...rowOf, ...get(CB), ...op.i32Add, ...set(RA),
          ...acc.flatMap((a, i) => [...get(a), ...get(S), ...get(RA), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Add, ...set(a)]),
          ...bump(IT, i32(4)), ...bump(CP, i32(4)),
        ]),
        ...acc.flatMap((a, i) => [...get(OUT), ...get(CB), ...op.i32Add, ...get(a), ...op.v128Store(V * i)]),
      ]),
      ...get(TEND), ...set(T0),
    ]),
  ];
  return {
    name: dense ? 'accumulateDense' : 'accumulate',
    params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, F32, F32],
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, V128, V128, V128, V128, V128],
    body,
  };
}

function assembleKernels(): Uint8Array {
  return assembleModule([gatherKernel(), gatherRowsKernel(), gramUpperKernel(), symvKernel(), accumulateKernel(false), accumulateKernel(true)], { sharedMemory: true });
}
