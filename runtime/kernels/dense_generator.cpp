//===- dense_generator.cpp - Halide AOT generators for the dense ops ------===//
//
// Build-time generator executable (links libHalide); the runtime only links
// the AOT output (.a + .h, C ABI), never libHalide. Target: `host`.
//
// Layout conventions (Halide dims are innermost first):
//   activations x(k, n)   : row-major float [n][k]
//   outputs     y(m, n)   : row-major float [n][m]
//   weights     w(rowBytes, m) : the raw ggml rows, row-major [m][rowBytes],
//               used in place (zero-copy from the GGUF mmap):
//     q4_1: 20-byte blocks {f16 d, f16 min, 16 bytes nibbles};
//           element j (0..15) = low nibble of byte j, element j+16 = high nibble;
//           x = d*q + min.
//     q8_0: 34-byte blocks {f16 d, 32 x int8}; x = d*q.
//     f32 : w(k, m) float.
//   The f16 scales are decoded inside the pipeline (f16ToF32: integer bits
//   and one multiply).
//
// Matmul algorithm (all three weight types): a 16-lane x 2-half partial
// accumulator per output, partial(j, h, r, i) = sum over 32-element blocks b of
// w[r][32b + 16h + j] * x[i][32b + 16h + j], then y = sum of the 32 partials
// (+ a scalar tail over k % 32 for f32), the halves added as vectors and each
// row's 16 lanes summed by one vector reduction. This keeps every load a dense vector
// (16 consecutive bytes / floats) and gives two independent FMA chains per row.
//
// Matmul schedule: y is tiled into TR rows x TI columns (n); the partials of a
// tile are computed per tile with rows, columns and halves unrolled (register
// blocking: TR*TI*2 vector accumulators; each weight vector is decoded once per
// tile and reused for the TI columns). Tiles are grouped 4 row-tiles per
// parallel task (Halide thread pool). Specializations pick TR x TI =
// 4x4 (n >= 4, m >= 4: prompt processing), 4x1 (matrix-vector, m >= 4) and
// 1x1 (tiny m).
//
// The int8-activation matmuls (quantize_q8, matmul_q4_1_q8, matmul_q8_0_q8;
// see their section below) are the default path of the model for quantized
// weights: activations quantized per 32-block as ggml does, weights repacked
// once at load, the dot products on AVX512-VNNI.
//===----------------------------------------------------------------------===//
#include "Halide.h"

using namespace Halide;

namespace {

constexpr int kLanes = 16; // vector lanes of the partial sums (one zmm / 2 ymm)

/// Exact for every finite f16 (normal and subnormal): the magnitude bits
/// moved to an f32's exponent/mantissa positions are the value times
/// 2^-112. Halide 14 lowers a scalar Float(16) cast to branchy integer code
/// (measured: most of the Q4_1 matrix-vector time went to it); this is four
/// integer ops and a multiply. Inf/NaN scales (never in valid weights) come
/// out finite.
Expr f16ToF32(Expr lo, Expr hi) {
  Expr bits = cast<uint32_t>(lo) | (cast<uint32_t>(hi) << 8);
  Expr magnitude = reinterpret(Float(32), (bits & 0x7fff) << 13) * 0x1p112f;
  return select((bits & 0x8000) != 0, -magnitude, magnitude);
}

/// The row sums of a tile's partials: the two halves added as vectors, then
/// one 16-lane vector reduction per output (a shuffle tree). Summing the 32
/// partials as scalars made LLVM gather them with spills (measured: the
/// tile epilogue cost as much as the dot products for k = 576).
struct RowSums {
  Func folded{"folded"}, sums{"sums"};
  RDom lanes{0, kLanes, "lanes"};
  RowSums(Func partial, Var j, Var r, Var i) {
    folded(j, r, i) = partial(j, 0, r, i) + partial(j, 1, r, i);
    sums(r, i) = 0.0f;
    sums(r, i) += folded(lanes.x, r, i);
  }
};

/// The shared matmul schedule (see the file comment).
void scheduleMatmul(Func y, Expr m, Expr n, Func partial, RowSums &rows, Var j, Var h,
                    Var r, Var i, RDom b) {
  Var ro("ro"), ri("ri"), io("io"), ii("ii"), rt("rt");
  const int groups = 4; // row tiles per parallel task

  auto tileAs = [&](Stage s, int tr, int ti) {
    s.tile(r, i, ro, io, ri, ii, tr, ti, TailStrategy::ShiftInwards)
        .split(ro, rt, ro, groups, TailStrategy::GuardWithIf)
        .reorder(ri, ii, ro, io, rt)
        .parallel(rt);
  };
  tileAs(y.specialize(n >= 4 && m >= 4), 4, 4);
  tileAs(y.specialize(m >= 4), 4, 1);
  tileAs(y, 1, 1);

  partial.compute_at(y, ro).vectorize(j).unroll(h).unroll(r).unroll(i);
  rows.folded.compute_at(y, ro).vectorize(j).unroll(r).unroll(i);
  rows.sums.compute_at(y, ro).unroll(r).unroll(i);
  rows.sums.update().atomic().vectorize(rows.lanes.x).unroll(r).unroll(i);
  partial.update()
      .reorder(j, h, r, i, b.x)
      .vectorize(j)
      .unroll(h)
      .unroll(r)
      .unroll(i);
}

class MatmulQ4_1 : public Generator<MatmulQ4_1> {
public:
  Input<Buffer<float, 2>> x{"x"};   // (k, n)
  Input<Buffer<uint8_t, 2>> w{"w"}; // (k/32 * 20, m)
  Output<Buffer<float, 2>> y{"y"};  // (m, n)

  void generate() {
    // ---- Algorithm ----
    Expr k = x.dim(0).extent();
    RDom b(0, k / 32, "b");
    Expr base = b.x * 20;
    dsc(c, r) = f16ToF32(w(c * 20, r), w(c * 20 + 1, r));
    msc(c, r) = f16ToF32(w(c * 20 + 2, r), w(c * 20 + 3, r));
    Expr d = dsc(b.x, r), mn = msc(b.x, r);
    Expr q = w(base + 4 + j, r);
    Expr nib = select(h == 0, q & 15, q >> 4);
    Expr wv = cast<float>(nib) * d + mn;
    partial(j, h, r, i) = 0.0f;
    partial(j, h, r, i) += wv * x(b.x * 32 + h * 16 + j, i);
    RowSums rows(partial, j, r, i);
    y(r, i) = rows.sums(r, i);

    // ---- Schedule ----
    scheduleMatmul(y, y.dim(0).extent(), y.dim(1).extent(), partial, rows, j, h, r, i, b);
    // dsc/msc stay inline (decoded per block; computing them per row tile,
    // vectorized over blocks, measured slower for k = 576).
  }

private:
  Var j{"j"}, h{"h"}, r{"r"}, i{"i"}, c{"c"};
  Func partial{"partial"}, dsc{"dsc"}, msc{"msc"};
};

class MatmulQ8_0 : public Generator<MatmulQ8_0> {
public:
  Input<Buffer<float, 2>> x{"x"};   // (k, n)
  Input<Buffer<uint8_t, 2>> w{"w"}; // (k/32 * 34, m)
  Output<Buffer<float, 2>> y{"y"};  // (m, n)

  void generate() {
    // ---- Algorithm ----
    Expr k = x.dim(0).extent();
    RDom b(0, k / 32, "b");
    Expr base = b.x * 34;
    dsc(c, r) = f16ToF32(w(c * 34, r), w(c * 34 + 1, r));
    Expr d = dsc(b.x, r);
    Expr q = cast<int8_t>(w(base + 2 + h * 16 + j, r));
    Expr wv = cast<float>(q) * d;
    partial(j, h, r, i) = 0.0f;
    partial(j, h, r, i) += wv * x(b.x * 32 + h * 16 + j, i);
    RowSums rows(partial, j, r, i);
    y(r, i) = rows.sums(r, i);

    // ---- Schedule ----
    scheduleMatmul(y, y.dim(0).extent(), y.dim(1).extent(), partial, rows, j, h, r, i, b);
    // dsc stays inline (see MatmulQ4_1).
  }

private:
  Var j{"j"}, h{"h"}, r{"r"}, i{"i"}, c{"c"};
  Func partial{"partial"}, dsc{"dsc"};
};

class MatmulF32 : public Generator<MatmulF32> {
public:
  Input<Buffer<float, 2>> x{"x"}; // (k, n)
  Input<Buffer<float, 2>> w{"w"}; // (k, m)
  Output<Buffer<float, 2>> y{"y"}; // (m, n)

  void generate() {
    // ---- Algorithm ---- (any k: 32-wide blocks + scalar tail)
    Expr k = x.dim(0).extent();
    Expr kMain = (k / 32) * 32;
    RDom b(0, k / 32, "b");
    RDom t(kMain, k - kMain, "t");
    partial(j, h, r, i) = 0.0f;
    partial(j, h, r, i) +=
        w(b.x * 32 + h * 16 + j, r) * x(b.x * 32 + h * 16 + j, i);
    Expr tail = sum(w(t.x, r) * x(t.x, i));
    RowSums rows(partial, j, r, i);
    y(r, i) = rows.sums(r, i) + tail;

    // ---- Schedule ----
    scheduleMatmul(y, y.dim(0).extent(), y.dim(1).extent(), partial, rows, j, h, r, i, b);
  }

private:
  Var j{"j"}, h{"h"}, r{"r"}, i{"i"};
  Func partial{"partial"};
};

//===----------------------------------------------------------------------===//
// Int8-activation matmuls (AVX512-VNNI vpdpbusd through Halide's 4-way
// dot-product pattern), the form ggml uses: the activations are quantized to
// int8 per 32-element block (QuantizeQ8), the weights are repacked once at load
// (DenseOps.cpp packWeights) so that 16 rows share a vector:
//
//   packed wp(byte, b, G): one record per (16-row group G, 32-element block b),
//   records of a group contiguous along b:
//     q4_1 (320 bytes): d[16] f16 | m[16] f16 | 4 chunks g of 64 bytes:
//          byte 4*rl + j of chunk g: low nibble  = q[16G+rl][32b + 8g + j],
//                                    high nibble = q[16G+rl][32b + 8g + 4 + j];
//     q8_0 (544 bytes): d[16] f16 | 8 chunks g of 64 bytes:
//          byte 4*rl + j of chunk g = q[16G+rl][32b + 4g + j] + 128 (as u8).
//   The same memory is also passed as u16 (ws) to read the f16 scales.
//
// y[r] = sum_b d_w[r,b] * dx[b] * sum_e q_w[r,e] * q_x[e]  (+ m_w[r,b] * sx[b]
// for q4_1), the inner sum over 4 consecutive e one vpdpbusd lane (unsigned
// weights x signed activations), rows in lanes: no horizontal reduction.
// q8_0's +128 bias is removed with the block's activation sum (qsum).
//===----------------------------------------------------------------------===//

/// The f16 bits of a u16 as f32 (see f16ToF32).
Expr halfBitsToF32(Expr bits16) {
  Expr bits = cast<uint32_t>(bits16);
  Expr magnitude = reinterpret(Float(32), (bits & 0x7fff) << 13) * 0x1p112f;
  return select((bits & 0x8000) != 0, -magnitude, magnitude);
}

/// x(k, n) -> xq(k, n) int8, per 32-block b: dx(b, n) (the scale rounded to
/// f16 precision, as ggml stores it), sx(b, n) = f16(amax/127 * sum q) (ggml's
/// q8_1 `s`) and qsum(b, n) = sum q. Round to nearest even, as ggml's AVX
/// quantizer (_mm256_round_ps).
class QuantizeQ8 : public Generator<QuantizeQ8> {
public:
  Input<Buffer<float, 2>> x{"x"};        // (k, n), k % 32 == 0
  Output<Buffer<int8_t, 2>> xq{"xq"};    // (k, n)
  Output<Buffer<float, 2>> dx{"dx"};     // (k/32, n)
  Output<Buffer<float, 2>> sx{"sx"};     // (k/32, n)
  Output<Buffer<int32_t, 2>> qsum{"qsum"}; // (k/32, n)

  void generate() {
    RDom e(0, 32, "e");
    amax(b, i) = 0.0f;
    amax(b, i) = max(amax(b, i), abs(x(32 * b + e.x, i)));
    Expr a = amax(b, i);
    inv(b, i) = select(a > 0.0f, 127.0f / a, 0.0f);
    // q over (element of the block, block, row): the block's scale is a
    // scalar per vector of 32 (no gather of the scales).
    q(j, b, i) = cast<int8_t>(clamp(round(x(32 * b + j, i) * inv(b, i)), -127.0f, 127.0f));
    sumq(b, i) = 0;
    sumq(b, i) += cast<int32_t>(q(e.x, b, i));
    xq(c, i) = q(c % 32, c / 32, i);
    Expr d = a / 127.0f;
    dx(b, i) = cast<float>(cast<float16_t>(d));
    sx(b, i) = cast<float>(cast<float16_t>(d * cast<float>(sumq(b, i))));
    qsum(b, i) = sumq(b, i);

    // ---- Schedule ---- per row (parallel). q feeds two outputs, so it is
    // stored (n*k bytes, O(n*k) work against the matmul's O(n*k*m)).
    x.dim(0).set_min(0);
    xq.dim(0).set_min(0);
    Var co("co"), ci("ci");
    // Rows in parallel only for a batch: one row (decode) is ~1 us of work,
    // less than waking the thread pool for each of the stages.
    Expr batch = x.dim(1).extent() >= 16;
    amax.compute_root();
    amax.specialize(batch).parallel(i);
    amax.update().atomic().vectorize(e.x);
    amax.update().specialize(batch).parallel(i);
    inv.compute_at(q, i);
    q.compute_root().vectorize(j, 32);
    q.specialize(batch).parallel(i);
    q.bound(j, 0, 32);
    xq.split(c, co, ci, 32, TailStrategy::GuardWithIf).vectorize(ci);
    xq.specialize(batch).parallel(i);
    sumq.compute_root();
    sumq.specialize(batch).parallel(i);
    sumq.update().atomic().vectorize(e.x);
    sumq.update().specialize(batch).parallel(i);
    for (Func f : {Func(dx), Func(sx), Func(qsum)})
      f.specialize(batch).parallel(i);
  }

private:
  Var c{"c"}, b{"b"}, i{"i"}, j{"j"};
  Func amax{"amax"}, inv{"inv"}, q{"q"}, sumq{"sumq"};
};

/// The int8-activation matmul schedule (both weight formats): y in tiles of
/// 16 rows (one vector) x TI columns, 2 row groups per parallel task; per tile
/// the f32 accumulators acc(rl, i) stay in registers while the blocks rb
/// stream by; per block the i32 dot products of the TI columns are 16-lane
/// vpdpbusd chains, each weight chunk unpacked once for the TI columns.
void scheduleQ8Act(Func y, Func acc, Func dot, Var rl, Var i, Var r, RDom rb,
                   std::vector<RVar> inner) {
  y.output_buffer().dim(0).set_min(0);
  Var ro("ro"), ri("ri"), io("io"), ii("ii"), rt("rt");
  const int groups = 2;
  auto tileAs = [&](Stage s, int ti, bool parallel) {
    s.split(r, ro, ri, 16, TailStrategy::RoundUp)
        .split(i, io, ii, ti, TailStrategy::ShiftInwards)
        .reorder(ri, ii, ro, io)
        .vectorize(ri)
        .unroll(ii)
        .split(ro, rt, ro, groups, TailStrategy::GuardWithIf);
    if (parallel)
      s.parallel(rt);
  };
  Expr n = y.output_buffer().dim(1).extent(), m = y.output_buffer().dim(0).extent();
  tileAs(y.specialize(n >= 4), 4, true);
  // Matrix-vector products of up to 2^20 weights (every SmolLM2 layer matrix:
  // 6-13 us of work) stay on the calling thread: waking the pool cost more
  // than the split saved (2-thread decode was slower than 1-thread).
  tileAs(y.specialize(m * rb.x.extent() <= (1 << 15)), 1, false);
  tileAs(y, 1, true);

  acc.compute_at(y, ro).vectorize(rl).unroll(i);
  acc.update().reorder(rl, i, rb.x).vectorize(rl).unroll(i);
  dot.compute_at(acc, rb.x).vectorize(rl).unroll(i);
  std::vector<VarOrRVar> order{inner[0], rl};
  for (size_t k = 1; k < inner.size(); ++k)
    order.push_back(inner[k]);
  order.push_back(i);
  Stage u = dot.update();
  u.atomic().reorder(order).vectorize(inner[0]).vectorize(rl).unroll(i);
  for (size_t k = 1; k < inner.size(); ++k)
    u.unroll(inner[k]);
}

class MatmulQ4_1Q8 : public Generator<MatmulQ4_1Q8> {
public:
  Input<Buffer<uint8_t, 3>> wp{"wp"};   // (320, k/32, m/16) packed q4_1
  Input<Buffer<uint16_t, 3>> ws{"ws"};  // the same memory as u16 (160, k/32, m/16)
  Input<Buffer<int8_t, 2>> xq{"xq"};    // (k, n)
  Input<Buffer<float, 2>> dx{"dx"};     // (k/32, n)
  Input<Buffer<float, 2>> sx{"sx"};     // (k/32, n)
  Output<Buffer<float, 2>> y{"y"};      // (m, n), m % 16 == 0

  void generate() {
    RDom rb(0, wp.dim(1).extent(), "rb");
    RDom red(0, 4, 0, 4, 0, 2, "red"); // j (4 elements, one dot lane), g (chunk), hn (nibble)
    RVar j = red.x, g = red.y, hn = red.z;
    Expr byte = wp(64 + 64 * g + 4 * rl + j, b, G);
    Expr nib = select(hn == 0, byte & 15, byte >> 4);
    dot(rl, b, G, i) = 0;
    dot(rl, b, G, i) += cast<int32_t>(nib) * cast<int32_t>(xq(32 * b + 8 * g + 4 * hn + j, i));
    Expr d = halfBitsToF32(ws(rl, rb, G)), mn = halfBitsToF32(ws(16 + rl, rb, G));
    acc(rl, G, i) = 0.0f;
    // strict_float: no FMA contraction, which LLVM applies differently to the
    // batch specializations on AVX2 (+FMA) targets; a row's result must not
    // depend on how many rows share the call (AVX-512 builds contracted them
    // alike, AMD Zen 3 did not: stream PPL changed with --batch).
    acc(rl, G, i) = strict_float(acc(rl, G, i) + (cast<float>(dot(rl, rb, G, i)) * (d * dx(rb, i)) + mn * sx(rb, i)));
    y(r, i) = acc(r % 16, r / 16, i);
    scheduleQ8Act(y, acc, dot, rl, i, r, rb, {j, g, hn});
  }

private:
  Var rl{"rl"}, b{"b"}, G{"G"}, i{"i"}, r{"r"};
  Func dot{"dot"}, acc{"acc"};
};

class MatmulQ8_0Q8 : public Generator<MatmulQ8_0Q8> {
public:
  Input<Buffer<uint8_t, 3>> wp{"wp"};   // (544, k/32, m/16) packed q8_0
  Input<Buffer<uint16_t, 3>> ws{"ws"};  // the same memory as u16 (272, k/32, m/16)
  Input<Buffer<int8_t, 2>> xq{"xq"};    // (k, n)
  Input<Buffer<float, 2>> dx{"dx"};     // (k/32, n)
  Input<Buffer<int32_t, 2>> qsum{"qsum"}; // (k/32, n)
  Output<Buffer<float, 2>> y{"y"};      // (m, n), m % 16 == 0

  void generate() {
    RDom rb(0, wp.dim(1).extent(), "rb");
    RDom red(0, 4, 0, 8, "red"); // j (4 elements, one dot lane), g (chunk)
    RVar j = red.x, g = red.y;
    Expr biased = wp(32 + 64 * g + 4 * rl + j, b, G); // q + 128
    dot(rl, b, G, i) = 0;
    dot(rl, b, G, i) += cast<int32_t>(biased) * cast<int32_t>(xq(32 * b + 4 * g + j, i));
    Expr d = halfBitsToF32(ws(rl, rb, G));
    acc(rl, G, i) = 0.0f;
    Expr exact = dot(rl, rb, G, i) - 128 * qsum(rb, i);
    acc(rl, G, i) = strict_float(acc(rl, G, i) + cast<float>(exact) * (d * dx(rb, i))); // see MatmulQ4_1Q8
    y(r, i) = acc(r % 16, r / 16, i);
    scheduleQ8Act(y, acc, dot, rl, i, r, rb, {j, g});
  }

private:
  Var rl{"rl"}, b{"b"}, G{"G"}, i{"i"}, r{"r"};
  Func dot{"dot"}, acc{"acc"};
};

class RmsNorm : public Generator<RmsNorm> {
public:
  Input<Buffer<float, 2>> x{"x"};      // (dim, n)
  Input<Buffer<float, 1>> weight{"weight"}; // (dim)
  Input<float> eps{"eps"};
  Output<Buffer<float, 2>> y{"y"};     // (dim, n)

  void generate() {
    // ---- Algorithm ----
    Expr dim = x.dim(0).extent();
    Expr dMain = (dim / kLanes) * kLanes;
    RDom c(0, dim / kLanes, "c");
    RDom t(dMain, dim - dMain, "t");
    ssPart(j, i) = 0.0f;
    ssPart(j, i) += x(c.x * kLanes + j, i) * x(c.x * kLanes + j, i);
    Expr ss = sum(x(t.x, i) * x(t.x, i));
    for (int l = 0; l < kLanes; ++l)
      ss += ssPart(l, i);
    inv(i) = 1.0f / sqrt(ss / cast<float>(dim) + eps);
    y(d, i) = x(d, i) * inv(i) * weight(d);

    // ---- Schedule ----
    y.vectorize(d, kLanes, TailStrategy::GuardWithIf).parallel(i);
    inv.compute_at(y, i);
    ssPart.compute_at(y, i).vectorize(j);
    ssPart.update().vectorize(j);
  }

private:
  Var d{"d"}, i{"i"}, j{"j"};
  Func ssPart{"ssPart"}, inv{"inv"};
};

class SwiGLU : public Generator<SwiGLU> {
public:
  Input<Buffer<float, 1>> gate{"gate"};
  Input<Buffer<float, 1>> up{"up"};
  Output<Buffer<float, 1>> out{"out"};

  void generate() {
    // ---- Algorithm ----
    Expr g = gate(e);
    out(e) = g / (1.0f + exp(-g)) * up(e);

    // ---- Schedule ----
    Var eo("eo"), ei("ei");
    out.split(e, eo, ei, 4096, TailStrategy::GuardWithIf)
        .parallel(eo)
        .vectorize(ei, kLanes, TailStrategy::GuardWithIf);
  }

private:
  Var e{"e"};
};

} // namespace

HALIDE_REGISTER_GENERATOR(MatmulQ4_1, matmul_q4_1)
HALIDE_REGISTER_GENERATOR(MatmulQ8_0, matmul_q8_0)
HALIDE_REGISTER_GENERATOR(MatmulF32, matmul_f32)
HALIDE_REGISTER_GENERATOR(QuantizeQ8, quantize_q8)
HALIDE_REGISTER_GENERATOR(MatmulQ4_1Q8, matmul_q4_1_q8)
HALIDE_REGISTER_GENERATOR(MatmulQ8_0Q8, matmul_q8_0_q8)
HALIDE_REGISTER_GENERATOR(RmsNorm, rmsnorm)
HALIDE_REGISTER_GENERATOR(SwiGLU, swiglu)
