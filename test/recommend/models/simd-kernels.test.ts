import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCUMULATE_TILE, instantiateKernels, kernelsAvailable } from '../../../src/recommend/models/simd-kernels.js';
import { createArena, f32View, f64View, i32View, planArena } from '../../../src/recommend/models/wasm-arena.js';
import { cholesky, choleskySolve } from '../../../src/recommend/models/linalg.js';
import { Random } from '../../../src/util/random.js';

/** A shared memory with the named arrays, the kernels over it, and the arrays' views and offsets. */
function setup(kp: number, rows: number, ratings: number) {
  const layout = planArena({
    items: { kind: 'i32', length: ratings },
    values: { kind: 'f32', length: ratings },
    fixed: { kind: 'f32', length: rows * kp },
    tile: { kind: 'f32', length: ratings * kp },
    out: { kind: 'f32', length: kp * kp },
    out64: { kind: 'f64', length: kp * kp },
    vec: { kind: 'f32', length: kp },
    acc: { kind: 'f32', length: kp },
    coef: { kind: 'f32', length: ACCUMULATE_TILE },
  });
  const memory = createArena(layout);
  const rng = new Random(kp * 31 + rows);
  const items = i32View(memory, layout, 'items');
  const values = f32View(memory, layout, 'values');
  const fixed = f32View(memory, layout, 'fixed');
  for (let i = 0; i < ratings; i++) {
    items[i] = rng.int(0, rows - 1);
    values[i] = rng.int(1, 10) / 2;
  }
  for (let i = 0; i < fixed.length; i++) fixed[i] = rng.normal();
  const at = (name: keyof typeof layout.arrays) => layout.arrays[name].offset;
  return {
    kernels: instantiateKernels(memory),
    at,
    items,
    values,
    fixed,
    tile: f32View(memory, layout, 'tile'),
    out: f32View(memory, layout, 'out'),
    out64: f64View(memory, layout, 'out64'),
    vec: f32View(memory, layout, 'vec'),
    acc: f32View(memory, layout, 'acc'),
    rng,
  };
}

const close = (got: number, want: number, scale: number) => Math.abs(got - want) <= 1e-5 * (1 + scale);

describe('SIMD factorisation kernels', () => {
  it('are available on this Node.js', () => {
    assert.equal(kernelsAvailable(), true);
  });

  it('gather copies the factor rows of a tile of ratings and puts each target r − μ − bias in the bias column', () => {
    const kp = 12;
    const s = setup(kp, 9, 40);
    const mu = 3.25;
    const tCol = 9;
    s.kernels.gather(s.at('items'), s.at('values'), 5, 17, s.at('fixed'), kp * 4, mu, tCol * 4, s.at('tile'));
    for (let p = 0; p < 17; p++) {
      const row = s.items[5 + p] * kp;
      for (let c = 0; c < kp; c++) {
        const want = c === tCol ? Math.fround(Math.fround(s.values[5 + p] - mu) - s.fixed[row + c]) : s.fixed[row + c];
        assert.equal(s.tile[p * kp + c], want, `tile row ${p} column ${c}`);
      }
    }
  });

  it('gramUpper adds the upper block triangle of ZᵀZ to a double-precision matrix, and nothing below it', () => {
    for (const kp of [4, 8, 24, 64]) {
      const s = setup(kp, 300, 1);
      const before = (a: number, b: number) => a - 2 * b;
      for (let a = 0; a < kp; a++) for (let b = 0; b < kp; b++) s.out64[a * kp + b] = before(a, b);
      const count = 257;
      s.kernels.gramUpper(s.at('fixed'), count, kp * 4, s.at('out64'));
      for (let a = 0; a < kp; a++) {
        for (let b = 0; b < kp; b++) {
          const got = s.out64[a * kp + b];
          if (b < a - (a % 4)) {
            assert.equal(got, before(a, b), `kp ${kp}: [${a}][${b}] is below the block diagonal`);
            continue;
          }
          let want = before(a, b);
          let scale = 0;
          for (let p = 0; p < count; p++) {
            want += s.fixed[p * kp + a] * s.fixed[p * kp + b];
            scale += Math.abs(s.fixed[p * kp + a] * s.fixed[p * kp + b]);
          }
          assert.ok(close(got, want, scale), `kp ${kp}: [${a}][${b}] ${got} vs ${want}`);
        }
      }
    }
  });

  it('symv multiplies a symmetric matrix by a vector', () => {
    for (const kp of [16, 32, 64]) {
      const s = setup(kp, 1, 1);
      const g = new Float32Array(kp * kp);
      for (let i = 0; i < kp; i++) for (let j = 0; j <= i; j++) g[i * kp + j] = g[j * kp + i] = s.rng.normal();
      s.out.set(g);
      for (let i = 0; i < kp; i++) s.vec[i] = s.rng.normal();
      s.kernels.symv(s.at('out'), s.at('vec'), s.at('acc'), kp * 4);
      for (let i = 0; i < kp; i++) {
        let want = 0;
        let scale = 0;
        for (let j = 0; j < kp; j++) {
          want += g[i * kp + j] * s.vec[j];
          scale += Math.abs(g[i * kp + j] * s.vec[j]);
        }
        assert.ok(close(s.acc[i], want, scale), `kp ${kp} row ${i}: ${s.acc[i]} vs ${want}`);
      }
    }
  });

  it('accumulate adds Σ (c0 + w (c1 + c2 y·v)) y over a range of interactions', () => {
    for (const kp of [16, 64]) {
      const s = setup(kp, 50, 400);
      for (let i = 0; i < kp; i++) {
        s.vec[i] = s.rng.normal();
        s.acc[i] = s.rng.normal();
      }
      for (const [c0, c1, c2] of [[0, 0, 1], [1, 1, -1], [0.5, -2, 3]]) {
        const want = Float64Array.from(s.acc);
        const scale = new Float64Array(kp).fill(1);
        for (let e = 30; e < 370; e++) {
          const row = s.items[e] * kp;
          let d = 0;
          for (let c = 0; c < kp; c++) d += s.fixed[row + c] * s.vec[c];
          const coef = c0 + s.values[e] * (c1 + c2 * d);
          for (let c = 0; c < kp; c++) {
            want[c] += coef * s.fixed[row + c];
            scale[c] += Math.abs(coef * s.fixed[row + c]);
          }
        }
        s.kernels.accumulate(s.at('items'), s.at('values'), 30, 370, s.at('fixed'), kp * 4, s.at('vec'), s.at('acc'), s.at('coef'), c0, c1, c2);
        for (let c = 0; c < kp; c++) assert.ok(close(s.acc[c], want[c], scale[c] * 4), `kp ${kp} (${c0}, ${c1}, ${c2}) [${c}]: ${s.acc[c]} vs ${want[c]}`);
        s.acc.set(want);
      }
    }
  });

  it('choleskySolve solves symmetric positive-definite systems as linalg.ts does, reading only the lower triangle', () => {
    const layout = planArena({ a: { kind: 'f64', length: 25 * 25 }, x: { kind: 'f64', length: 25 } });
    const memory = createArena(layout);
    const kernels = instantiateKernels(memory);
    const a = f64View(memory, layout, 'a');
    const x = f64View(memory, layout, 'x');
    const rng = new Random(12);
    for (let n = 1; n <= 25; n++) {
      const b = Array.from({ length: n * n }, () => rng.normal());
      const spd = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let p = 0; p < n; p++) spd[i * n + j] += b[i * n + p] * b[j * n + p] + (i === j && p === 0 ? 0.1 : 0);
      const rhs = Float64Array.from({ length: n }, () => rng.normal());
      const l = spd.slice();
      assert.equal(cholesky(l, n), true);
      const want = rhs.slice();
      choleskySolve(l, n, want);
      a.set(spd.map((v, at) => (at % n > Math.floor(at / n) ? NaN : v)));
      x.set(rhs);
      assert.equal(kernels.choleskySolve(layout.arrays.a.offset, n, layout.arrays.x.offset), 1, `n=${n}`);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(x[i] - want[i]) <= 1e-9 * (1 + Math.abs(want[i])), `n=${n} x[${i}]: ${x[i]} vs ${want[i]}`);
    }
    a.set([1, 2, 2, 1]); // eigenvalues 3 and −1
    assert.equal(kernels.choleskySolve(layout.arrays.a.offset, 2, layout.arrays.x.offset), 0);
    a.set([NaN, 0, 0, 1]);
    assert.equal(kernels.choleskySolve(layout.arrays.a.offset, 2, layout.arrays.x.offset), 0);
  });

  it('the conjugate-gradient vector steps: start, dot, update, direction', () => {
    const kp = 32;
    const layout = planArena({ x: { kind: 'f32', length: kp }, r: { kind: 'f32', length: kp }, p: { kind: 'f32', length: kp }, ap: { kind: 'f32', length: kp } });
    const memory = createArena(layout);
    const kernels = instantiateKernels(memory);
    const [x, r, p, ap] = (['x', 'r', 'p', 'ap'] as const).map((name) => f32View(memory, layout, name));
    const at = (name: 'x' | 'r' | 'p' | 'ap') => layout.arrays[name].offset;
    const rng = new Random(4);
    for (const v of [x, r, p, ap]) for (let i = 0; i < kp; i++) v[i] = rng.normal();
    const near = (got: number, want: number) => assert.ok(Math.abs(got - want) <= 1e-5 * (1 + Math.abs(want)), `${got} vs ${want}`);
    const sumOf = (f: (i: number) => number) => Array.from({ length: kp }, (_, i) => f(i)).reduce((a, b) => a + b, 0);

    const r0 = Float32Array.from(r);
    near(kernels.cgStart(at('r'), at('p'), kp * 4), sumOf((i) => r0[i] ** 2));
    for (let i = 0; i < kp; i++) {
      assert.equal(r[i], -r0[i]);
      assert.equal(p[i], -r0[i]);
    }
    for (let i = 0; i < kp; i++) ap[i] = rng.normal();
    near(kernels.dot(at('p'), at('ap'), kp * 4), sumOf((i) => p[i] * ap[i]));

    const [x0, r1] = [Float32Array.from(x), Float32Array.from(r)];
    const alpha = 0.37;
    const rs = kernels.cgUpdate(at('x'), at('p'), at('r'), at('ap'), alpha, kp * 4);
    for (let i = 0; i < kp; i++) {
      near(x[i], x0[i] + alpha * p[i]);
      near(r[i], r1[i] - alpha * ap[i]);
    }
    near(rs, sumOf((i) => r[i] ** 2));

    const p0 = Float32Array.from(p);
    kernels.cgDirection(at('p'), at('r'), 1.5, kp * 4);
    for (let i = 0; i < kp; i++) near(p[i], r[i] + 1.5 * p0[i]);
  });

  it('an empty range changes nothing', () => {
    const s = setup(16, 4, 4);
    s.acc.fill(2);
    s.kernels.accumulate(s.at('items'), s.at('values'), 3, 3, s.at('fixed'), 64, s.at('vec'), s.at('acc'), s.at('coef'), 1, 1, 1);
    assert.deepEqual([...s.acc], new Array(16).fill(2));
  });
});

describe('planArena', () => {
  it('lays arrays out on 64-byte boundaries after an unused first line, and refuses more than 4 GiB', () => {
    const layout = planArena({ a: { kind: 'i32', length: 3 }, b: { kind: 'f32', length: 17 }, c: { kind: 'f64', length: 9 }, d: { kind: 'f32', length: 0 } });
    assert.deepEqual(layout.arrays, {
      a: { kind: 'i32', offset: 64, length: 3 },
      b: { kind: 'f32', offset: 128, length: 17 },
      c: { kind: 'f64', offset: 256, length: 9 },
      d: { kind: 'f32', offset: 384, length: 0 },
    });
    assert.equal(layout.bytes, 384);
    assert.throws(() => planArena({ big: { kind: 'f32', length: 2 ** 30 } }), /more than the 4 GiB a WebAssembly memory can hold/);
  });
});
