// The factorisations' training kernels in WebAssembly SIMD (f32x4): per rating, the work of one
// ALS row is a gather of the other side's factor row and a few multiply-adds per factor, which
// scalar JS does at about one multiply-add per nanosecond; four lanes, with the sums held in
// registers, do several times that. The kernels run over one shared WebAssembly memory that holds
// the ratings and both factor matrices (wasm-arena.ts), so every worker thread reads and writes
// the same arrays with no copies. Factor rows have a padded stride of `kp` floats (`kpBytes`
// bytes), a multiple of 4 — and of 16 for `symv` and `accumulate`. All pointers are byte offsets.
import { assembleModule, compileModule, F32, F64, forLoop, I32, op, V128, v128Zero, wasmApi, type WasmMemory, type WasmModule } from './wasm-assembler.js';

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
  /**
   * Solves A x = b for a symmetric positive-definite n×n matrix of f64 at `a` (row-major; only its
   * lower triangle is read, and overwritten by the Cholesky factor L) with b at `x` (f64,
   * overwritten by x): linalg.ts's cholesky and choleskySolve, scalar, without JS's bounds checks.
   * Returns 0, leaving `a` partly overwritten, when A is not positive definite.
   */
  choleskySolve(a: number, n: number, x: number): number;
  /** The conjugate-gradient vector steps (ials-cg.ts), over vectors of kp floats (a multiple of 16): */
  /** r ← −r, p ← r; returns r·r (the start, from r = (YᵀY + λI) x − b). */
  cgStart(r: number, p: number, kpBytes: number): number;
  /** a·b. */
  dot(a: number, b: number, kpBytes: number): number;
  /** x ← x + α p, r ← r − α Ap; returns the new r·r. */
  cgUpdate(x: number, p: number, r: number, ap: number, alpha: number, kpBytes: number): number;
  /** p ← r + β p. */
  cgDirection(p: number, r: number, beta: number, kpBytes: number): void;
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
  // Sweep 1 in blocks of four interactions: their rows, two sums each (even and odd vectors), v.
  const rows4 = [29, 30, 31, 32];
  const P4 = 33;
  const sums = [34, 35, 36, 37, 38, 39, 40, 41];
  const [V0, V1] = [42, 43];
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
      // Four interactions at a time while four are left: each vector of v is loaded once for the
      // four rows (20 loads a row instead of 32).
      ...get(T0), ...set(P),
      ...whileLoop([...get(P), ...i32(4), ...op.i32Add, ...op.localTee(P4), ...get(TEND), ...op.i32GtU, ...op.brIf(1)], [
        ...rows4.flatMap((r, i) => (dense
          ? [...get(FIXED), ...get(P), ...i32(i), ...op.i32Add, ...get(KPB), ...op.i32Mul, ...op.i32Add, ...set(r)]
          : [...get(FIXED), ...get(IT), ...op.i32Load(4 * i), ...get(KPB), ...op.i32Mul, ...op.i32Add, ...set(r)])),
        ...sums.flatMap((a) => [...v128Zero(), ...set(a)]),
        ...forLoop(O, i32(0), get(KPB), i32(2 * V), [
          ...get(VEC), ...get(O), ...op.i32Add, ...op.localTee(XA), ...op.v128Load(), ...set(V0),
          ...get(XA), ...op.v128Load(V), ...set(V1),
          ...rows4.flatMap((r, i) => [
            ...get(r), ...get(O), ...op.i32Add, ...set(RA),
            ...get(sums[2 * i]), ...get(RA), ...op.v128Load(), ...get(V0), ...op.f32x4Mul, ...op.f32x4Add, ...set(sums[2 * i]),
            ...get(sums[2 * i + 1]), ...get(RA), ...op.v128Load(V), ...get(V1), ...op.f32x4Mul, ...op.f32x4Add, ...set(sums[2 * i + 1]),
          ]),
        ]),
        ...[0, 1, 2, 3].flatMap((i) => [
          ...get(sums[2 * i]), ...get(sums[2 * i + 1]), ...op.f32x4Add, ...set(acc[0]),
          ...get(acc[0]), ...op.f32x4ExtractLane(0), ...get(acc[0]), ...op.f32x4ExtractLane(1), ...op.f32Add,
          ...get(acc[0]), ...op.f32x4ExtractLane(2), ...get(acc[0]), ...op.f32x4ExtractLane(3), ...op.f32Add, ...op.f32Add, ...set(D),
          ...get(CP),
          ...get(C0), ...get(WT), ...op.f32Load(4 * i), ...get(C1), ...get(C2), ...get(D), ...op.f32Mul, ...op.f32Add, ...op.f32Mul, ...op.f32Add,
          ...op.f32Store(4 * i),
        ]),
        ...bump(IT, i32(16)), ...bump(WT, i32(16)), ...bump(CP, i32(16)),
        ...get(P4), ...set(P),
      ]),
      // The rest one at a time.
      ...forLoop(P, get(P), get(TEND), i32(1), [
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
    locals: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, F32, V128, V128, V128, V128, V128, I32, I32, I32, I32, I32, V128, V128, V128, V128, V128, V128, V128, V128, V128, V128],
    body,
  };
}

function choleskyKernel() {
  const [A, N, X] = [0, 1, 2];
  const [J, I, P, RJ, RI, ROW8, D, S, INV] = [3, 4, 5, 6, 7, 8, 9, 10, 11];
  /** Byte offset of element (row, col): row base `r` + col·8. */
  const at = (r: number[], col: number) => [...r, ...get(col), ...i32(3), ...op.i32Shl, ...op.i32Add];
  const rowBase = (row: number) => [...get(A), ...get(row), ...get(ROW8), ...op.i32Mul, ...op.i32Add];
  const one = op.i32Const(1);
  const body = [
    ...get(N), ...i32(3), ...op.i32Shl, ...set(ROW8),
    ...forLoop(J, i32(0), get(N), one, [
      ...rowBase(J), ...set(RJ),
      // d = a[j][j] − Σ_{p<j} a[j][p]²
      ...at(get(RJ), J), ...op.f64Load(), ...set(D),
      ...forLoop(P, i32(0), get(J), one, [...get(D), ...at(get(RJ), P), ...op.f64Load(), ...at(get(RJ), P), ...op.f64Load(), ...op.f64Mul, ...op.f64Sub, ...set(D)]),
      // Not positive definite (or NaN): fail.
      ...op.block, ...get(D), ...op.f64Const(0), ...op.f64Gt, ...op.brIf(0), ...i32(0), ...op.return, ...op.end,
      ...at(get(RJ), J), ...get(D), ...op.f64Sqrt, ...op.localTee(D), ...op.f64Store(),
      ...op.f64Const(1), ...get(D), ...op.f64Div, ...set(INV),
      ...forLoop(I, [...get(J), ...i32(1), ...op.i32Add], get(N), one, [
        ...rowBase(I), ...set(RI),
        ...at(get(RI), J), ...op.f64Load(), ...set(S),
        ...forLoop(P, i32(0), get(J), one, [...get(S), ...at(get(RI), P), ...op.f64Load(), ...at(get(RJ), P), ...op.f64Load(), ...op.f64Mul, ...op.f64Sub, ...set(S)]),
        ...at(get(RI), J), ...get(S), ...get(INV), ...op.f64Mul, ...op.f64Store(),
      ]),
    ]),
    // L y = b, forwards.
    ...forLoop(I, i32(0), get(N), one, [
      ...rowBase(I), ...set(RI),
      ...at(get(X), I), ...op.f64Load(), ...set(S),
      ...forLoop(P, i32(0), get(I), one, [...get(S), ...at(get(RI), P), ...op.f64Load(), ...at(get(X), P), ...op.f64Load(), ...op.f64Mul, ...op.f64Sub, ...set(S)]),
      ...at(get(X), I), ...get(S), ...at(get(RI), I), ...op.f64Load(), ...op.f64Div, ...op.f64Store(),
    ]),
    // Lᵀ x = y, backwards: i = n − 1 … 0 as J = n … 1, i = J − 1.
    ...get(N), ...set(J),
    ...op.block, ...op.loop,
    ...get(J), ...op.i32Eqz, ...op.brIf(1),
    ...get(J), ...i32(1), ...op.i32Sub, ...set(I),
    ...at(get(X), I), ...op.f64Load(), ...set(S),
    ...forLoop(P, get(J), get(N), one, [...get(S), ...at(rowBase(P), I), ...op.f64Load(), ...at(get(X), P), ...op.f64Load(), ...op.f64Mul, ...op.f64Sub, ...set(S)]),
    ...at(get(X), I), ...get(S), ...at(rowBase(I), I), ...op.f64Load(), ...op.f64Div, ...op.f64Store(),
    ...get(I), ...set(J),
    ...op.br(0),
    ...op.end, ...op.end,
    ...i32(1),
  ];
  return { name: 'choleskySolve', params: [I32, I32, I32], results: [I32], locals: [I32, I32, I32, I32, I32, I32, F64, F64, F64], body };
}

/** Σ of the four lanes of a v128 local, as an f32 on the stack. */
const laneSum = (v: number): number[] => [
  ...get(v), ...op.f32x4ExtractLane(0), ...get(v), ...op.f32x4ExtractLane(1), ...op.f32Add,
  ...get(v), ...op.f32x4ExtractLane(2), ...get(v), ...op.f32x4ExtractLane(3), ...op.f32Add, ...op.f32Add,
];

/**
 * A kernel looping over kp floats in vectors of four, 16 floats an iteration (kp a multiple of 16):
 * `each(i, at)` is the work on vector i of the iteration (0–3), `at` the local holding the byte
 * offset of the iteration; four accumulators `sums` are zeroed first and their total returned.
 */
function vectorKernel(name: string, params: number[], kpb: number, each: (i: number, at: number, sum: number) => number[], withSum: boolean, locals: number[] = []) {
  const base = params.length + locals.length;
  const [AT, ...sums] = [base, base + 1, base + 2, base + 3, base + 4];
  const total = base + 5;
  const body = [
    ...(withSum ? sums.flatMap((a) => [...v128Zero(), ...set(a)]) : []),
    ...forLoop(AT, i32(0), get(kpb), i32(4 * V), [0, 1, 2, 3].flatMap((i) => each(i, AT, sums[i]))),
    ...(withSum ? [...get(sums[0]), ...get(sums[1]), ...op.f32x4Add, ...get(sums[2]), ...get(sums[3]), ...op.f32x4Add, ...op.f32x4Add, ...set(total), ...laneSum(total)] : []),
  ];
  return { name, params, results: withSum ? [F32] : [], locals: [...locals, I32, V128, V128, V128, V128, V128], body };
}

/** The address of vector i of an iteration: base param + iteration offset (with i as the load's static offset). */
const addr = (param: number, at: number) => [...get(param), ...get(at), ...op.i32Add];
const add4 = (sum: number, value: number[]) => [...get(sum), ...value, ...op.f32x4Add, ...set(sum)];
const sq = (local: number[]) => [...local, ...local, ...op.f32x4Mul];

function cgKernels() {
  const [R, P, KPB] = [0, 1, 2];
  const start = vectorKernel('cgStart', [I32, I32, I32], KPB, (i, at, sum) => [
    // v = −r; r = v; p = v; sum += v².
    ...addr(R, at), ...addr(R, at), ...op.v128Load(V * i), ...op.f32x4Neg, ...op.v128Store(V * i),
    ...addr(P, at), ...addr(R, at), ...op.v128Load(V * i), ...op.v128Store(V * i),
    ...add4(sum, sq([...addr(R, at), ...op.v128Load(V * i)])),
  ], true);
  const [A, B, KPB2] = [0, 1, 2];
  const dot = vectorKernel('dot', [I32, I32, I32], KPB2, (i, at, sum) => add4(sum, [...addr(A, at), ...op.v128Load(V * i), ...addr(B, at), ...op.v128Load(V * i), ...op.f32x4Mul]), true);
  const [X, P3, R3, AP, ALPHA, KPB3, SA] = [0, 1, 2, 3, 4, 5, 6];
  const update = vectorKernel('cgUpdate', [I32, I32, I32, I32, F32, I32], KPB3, (i, at, sum) => [
    ...addr(X, at), ...addr(X, at), ...op.v128Load(V * i), ...get(SA), ...addr(P3, at), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Add, ...op.v128Store(V * i),
    ...addr(R3, at), ...addr(R3, at), ...op.v128Load(V * i), ...get(SA), ...addr(AP, at), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Sub, ...op.v128Store(V * i),
    ...add4(sum, sq([...addr(R3, at), ...op.v128Load(V * i)])),
  ], true, [V128]);
  // α splatted once, before the loop.
  update.body = [...get(ALPHA), ...op.f32x4Splat, ...set(SA), ...update.body];
  const [P4, R4, BETA, KPB4, SB] = [0, 1, 2, 3, 4];
  const direction = vectorKernel('cgDirection', [I32, I32, F32, I32], KPB4, (i, at) => [
    ...addr(P4, at), ...addr(R4, at), ...op.v128Load(V * i), ...get(SB), ...addr(P4, at), ...op.v128Load(V * i), ...op.f32x4Mul, ...op.f32x4Add, ...op.v128Store(V * i),
  ], false, [V128]);
  direction.body = [...get(BETA), ...op.f32x4Splat, ...set(SB), ...direction.body];
  return [start, dot, update, direction];
}

function assembleKernels(): Uint8Array {
  return assembleModule([gatherKernel(), gatherRowsKernel(), gramUpperKernel(), symvKernel(), accumulateKernel(false), accumulateKernel(true), choleskyKernel(), ...cgKernels()], { sharedMemory: true });
}
