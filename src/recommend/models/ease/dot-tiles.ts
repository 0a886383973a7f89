// The hot loop of the dense inverse in WebAssembly SIMD: the 8 dot products of 2 rows with 4
// rows, two doubles a step (f64x2), all eight sums in registers. In plain JS V8 manages about one
// multiply-add a nanosecond here; this does 2–3× that. The module is tiny, so it is assembled
// below from readable opcodes (as movie-scorer.ts does) rather than shipped as an opaque binary;
// where WebAssembly SIMD is missing the caller keeps its JS tiles.

const PAGE = 65536;

type DotsFn = (x: number, y: number, strideBytes: number, length: number, out: number) => void;

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
type WasmModule = { readonly wasmModule: unique symbol };
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/**
 * A WebAssembly memory of Float64 workspace and the tile kernel over it. Arrays the kernel reads
 * must be views of this memory (`view`); offsets given to `tile` are in bytes.
 */
export class DotTiles {
  /** The 8 sums of the last `tile`: [r·4 + s] for x row r (0, 1) and y row s (0…3). */
  readonly out: Float64Array;
  private readonly buffer: ArrayBuffer;

  private constructor(
    memory: { buffer: ArrayBuffer },
    private readonly dots: DotsFn,
    private readonly outAt: number,
  ) {
    this.buffer = memory.buffer;
    this.out = new Float64Array(this.buffer, outAt, 8);
  }

  /** A workspace of `doubles` Float64s, or null where WebAssembly SIMD (or that much memory) is unavailable. */
  static create(doubles: number): DotTiles | null {
    const module = simdModule();
    if (module === null || wasmApi === undefined) return null;
    const bytes = doubles * 8 + 64;
    if (bytes > 2 ** 32 - PAGE) return null;
    try {
      const memory = new wasmApi.Memory({ initial: Math.ceil(bytes / PAGE) });
      const instance = new wasmApi.Instance(module, { env: { memory } });
      return new DotTiles(memory, instance.exports.dots as DotsFn, doubles * 8);
    } catch {
      return null;
    }
  }

  /** `length` doubles of the workspace from double `offset` on. */
  view(offset: number, length: number): Float64Array {
    return new Float64Array(this.buffer, offset * 8, length);
  }

  /**
   * out[r·4 + s] = Σ_{k<length} x_r[k]·y_s[k] for the 2 rows at byte `x` and the 4 at byte `y`,
   * rows `strideBytes` apart; `length` must be even.
   */
  tile(x: number, y: number, strideBytes: number, length: number): void {
    this.dots(x, y, strideBytes, length, this.outAt);
  }
}

let compiled: WasmModule | null | undefined;

function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    const bytes = assembleDotsModule();
    compiled = wasmApi !== undefined && wasmApi.validate(bytes) ? new wasmApi.Module(bytes) : null;
  }
  return compiled;
}

// --- A minimal WebAssembly assembler for the one function. ---------------------------------------

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];
const name = (s: string): number[] => vec([...Buffer.from(s, 'utf8')].map((b) => [b]));

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  localGet: (i: number) => [0x20, ...uleb(i)],
  localSet: (i: number) => [0x21, ...uleb(i)],
  i32Const: (n: number) => [0x41, ...uleb(n)],
  i32Add: [0x6a],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  i32LtU: [0x49],
  f64Add: [0xa0],
  // f64.store: memory operands are (log2 align, offset).
  f64Store: (offset: number) => [0x39, 3, ...uleb(offset)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  // SIMD: prefix 0xfd, then the opcode as LEB128.
  v128Load: [0xfd, ...uleb(0x00), 3, 0],
  f64x2ExtractLane: (lane: number) => [0xfd, ...uleb(0x21), lane],
  f64x2Add: [0xfd, ...uleb(0xf0)],
  f64x2Mul: [0xfd, ...uleb(0xf2)],
};

/**
 * `dots(x, y, stride, length, out)`, byte offsets into the imported memory:
 *
 *   for k in 0, 2, 4 … < length:            // two doubles a step
 *     accRS += x[r][k…k+1] * y[s][k…k+1]    // r in 0..2, s in 0..4; row i at + i·stride
 *   out[r·4 + s] = lane 0 + lane 1 of accRS
 */
function assembleDotsModule(): Uint8Array {
  const [X, Y, STRIDE, LENGTH, OUT, XEND, Y1, Y2, Y3] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const acc = [9, 10, 11, 12, 13, 14, 15, 16];
  const [X0, X1] = [17, 18];
  const ys = [19, 20, 21, 22];
  const yRows = [Y, Y1, Y2, Y3];
  const body = [
    ...op.localGet(X), ...op.localGet(LENGTH), ...op.i32Const(3), ...op.i32Shl, ...op.i32Add, ...op.localSet(XEND),
    ...op.localGet(Y), ...op.localGet(STRIDE), ...op.i32Add, ...op.localSet(Y1),
    ...op.localGet(Y1), ...op.localGet(STRIDE), ...op.i32Add, ...op.localSet(Y2),
    ...op.localGet(Y2), ...op.localGet(STRIDE), ...op.i32Add, ...op.localSet(Y3),
    ...op.block,
    ...op.localGet(X), ...op.localGet(XEND), ...op.i32GeU, ...op.brIf(0),
    ...op.loop,
    ...op.localGet(X), ...op.v128Load, ...op.localSet(X0),
    ...op.localGet(X), ...op.localGet(STRIDE), ...op.i32Add, ...op.v128Load, ...op.localSet(X1),
    ...yRows.flatMap((row, s) => [...op.localGet(row), ...op.v128Load, ...op.localSet(ys[s])]),
    ...[X0, X1].flatMap((xr, r) =>
      ys.flatMap((ysv, s) => [...op.localGet(acc[r * 4 + s]), ...op.localGet(xr), ...op.localGet(ysv), ...op.f64x2Mul, ...op.f64x2Add, ...op.localSet(acc[r * 4 + s])]),
    ),
    ...[X, ...yRows].flatMap((p) => [...op.localGet(p), ...op.i32Const(16), ...op.i32Add, ...op.localSet(p)]),
    ...op.localGet(X), ...op.localGet(XEND), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...op.end,
    ...acc.flatMap((a, i) => [...op.localGet(OUT), ...op.localGet(a), ...op.f64x2ExtractLane(0), ...op.localGet(a), ...op.f64x2ExtractLane(1), ...op.f64Add, ...op.f64Store(i * 8)]),
  ];
  const func = [...vec([[4, I32], [14, V128]]), ...body, ...op.end];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32]]), ...vec([])]])), // type: (i32 ×5) → ()
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x01]])), // import env.memory, min 1 page
    ...section(3, vec([[0]])), // one function of type 0
    ...section(7, vec([[...name('dots'), 0x00, 0]])), // export it as "dots"
    ...section(10, vec([[...uleb(func.length), ...func]])), // its code
  ]);
}
