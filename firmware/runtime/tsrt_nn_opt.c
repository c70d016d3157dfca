/* The `opt` kernel variant: int8 CONV_2D, DEPTHWISE_CONV_2D (depth multiplier 1)
 * and FULLY_CONNECTED, bit-exact with the reference kernels in tsrt_nn.c. Prepare
 * is the reference one; every other type or layout falls back to the reference
 * eval. No scratch buffers: the arena is the reference variant's, byte for byte.
 *
 * Exactness: integer sums do not depend on their order, so the kernels block and
 * reorder them freely; requantization is MultiplyByQuantizedMultiplier in an
 * equivalent cheaper form (requant below).
 *
 * Cortex-M4 (ARMv7E-M DSP): one 32-bit load brings 4 int8 inputs; SXTAB16 adds
 * the input offset while widening bytes 0,2 and (rotated) 1,3 to int16 pairs;
 * SXTB16 widens 4 weights the same way; SMLAD does two multiply-accumulates.
 * One input word serves 4 output channels. Elsewhere (RV32IMAC, hosts): plain C
 * with 4 output channels per pass, so each loaded input feeds 4 multiplies.
 */
#include "tsrt_nn.h"

#if defined(__ARM_FEATURE_DSP) && defined(__ARM_FEATURE_SIMD32)
#include <arm_acle.h>
#define OPT_ARM_DSP 1
#else
#define OPT_ARM_DSP 0
#endif

/* ------------------------------------------------------------ helpers */

/* Output stage of one operator, held in locals: int8 stores may alias
 * anything, so fields read through pointers would be reloaded per output. */
typedef struct {
  const int32_t *bias, *mult, *shift;
  int32_t zp, lo, hi;
} outq;

static outq outq_of(const nn_data *d, const tsrt_tensor *b) {
  outq q;
  q.bias = b ? (const int32_t *)b->data : NULL;
  q.mult = d->mult;
  q.shift = d->shift;
  q.zp = d->out_zp;
  q.lo = d->act_min;
  q.hi = d->act_max;
  return q;
}

/* tsrt_mbqm for qm != INT32_MIN (callers check: then the saturating case of
 * SaturatingRoundingDoublingHighMul cannot occur, and its nudge-then-truncate
 * division by 2^31 equals (ab + 2^30) >> 31 for both signs of ab), then the
 * output offset and the activation clamp. */
static inline int32_t srdhm_nosat(int32_t a, int32_t qm) {
  return (int32_t)(((int64_t)a * qm + ((int64_t)1 << 30)) >> 31);
}

static inline int8_t requant(int32_t acc, int32_t qm, int32_t shift,
                             int32_t zp, int32_t lo, int32_t hi) {
  int32_t r;
  /* multipliers below 1 (right shifts) are the common case: keep it inline */
  if (__builtin_expect(shift > 0, 0))
    r = srdhm_nosat(tsrt_shl32(acc, shift), qm);
  else
    r = tsrt_rdbpot(srdhm_nosat(acc, qm), -shift);
  r += zp;
  r = r < lo ? lo : r;
  return (int8_t)(r > hi ? hi : r);
}

static inline int8_t outc(const outq *q, int32_t acc, int32_t c) {
  if (q->bias) acc = tsrt_add_wrap(acc, q->bias[c]);
  return requant(acc, q->mult[c], q->shift[c], q->zp, q->lo, q->hi);
}

/* 1 if every multiplier avoids the one value requant does not handle. */
static int mults_ok(const int32_t *mult, int32_t n) {
  int32_t i;
  for (i = 0; i < n; i++)
    if (mult[i] == INT32_MIN) return 0;
  return 1;
}

#if OPT_ARM_DSP
static inline uint32_t rd32(const int8_t *p) {
  uint32_t v;
  __builtin_memcpy(&v, p, 4); /* one LDR (the M4 allows unaligned access) */
  return v;
}
/* SXTB16 / SXTAB16 of bytes 1 and 3 (the rotate is free in the encoding). */
static inline uint32_t sxtb16_r8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}
static inline uint32_t sxtab16_r8(uint32_t a, uint32_t v) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}
#endif

/* Valid filter taps [lo, hi) along one axis for an output whose window starts
 * at input index i0 (negative when it overlaps the padding). */
static void tap_range(int32_t i0, int32_t dil, int32_t n_in, int32_t f,
                      int32_t *lo, int32_t *hi) {
  int32_t a = 0, b = f;
  if (i0 < 0) a = (-i0 + dil - 1) / dil;
  if (n_in - 1 - i0 < 0) {
    b = 0;
  } else {
    const int32_t m = (n_in - 1 - i0) / dil + 1;
    if (m < b) b = m;
  }
  *lo = a < b ? a : b;
  *hi = b;
}

/* ------------------------------------------------------------ dot kernels */
/* acc[r] += sum over k < n of (x[k] + off) * w[r * K + k]: n inputs against
 * weight rows K apart (4 rows, or 1). */

static inline __attribute__((always_inline)) void mac1x4_i(
    const int8_t *x, const int8_t *w, int32_t K, int32_t n, int32_t off,
    int32_t acc[4]) {
  const int8_t *w0 = w, *w2 = w + 2 * K;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], j, rem = n;
#if OPT_ARM_DSP
  if (n >= 4) {
    /* rows 1 and 3 through a register offset from rows 0 and 2: 14
     * registers, no spills; 31 cycles per 16 MACs */
    const int8_t *end = x + (n & ~3);
    const uint32_t off2 = (uint32_t)(uint16_t)off * 0x00010001u;
    uint32_t x02, x13, v, t;
    __asm__ volatile(
        "1:\n\t"
        "ldr %[v], [%[x]], #4\n\t"
        "sxtab16 %[x02], %[off2], %[v]\n\t"
        "sxtab16 %[x13], %[off2], %[v], ror #8\n\t"
        "ldr %[v], [%[w0], %[K]]\n\t"
        "sxtb16 %[t], %[v]\n\t"
        "smlad %[a1], %[t], %[x02], %[a1]\n\t"
        "sxtb16 %[t], %[v], ror #8\n\t"
        "smlad %[a1], %[t], %[x13], %[a1]\n\t"
        "ldr %[v], [%[w0]], #4\n\t"
        "sxtb16 %[t], %[v]\n\t"
        "smlad %[a0], %[t], %[x02], %[a0]\n\t"
        "sxtb16 %[t], %[v], ror #8\n\t"
        "smlad %[a0], %[t], %[x13], %[a0]\n\t"
        "ldr %[v], [%[w2], %[K]]\n\t"
        "sxtb16 %[t], %[v]\n\t"
        "smlad %[a3], %[t], %[x02], %[a3]\n\t"
        "sxtb16 %[t], %[v], ror #8\n\t"
        "smlad %[a3], %[t], %[x13], %[a3]\n\t"
        "ldr %[v], [%[w2]], #4\n\t"
        "sxtb16 %[t], %[v]\n\t"
        "smlad %[a2], %[t], %[x02], %[a2]\n\t"
        "sxtb16 %[t], %[v], ror #8\n\t"
        "smlad %[a2], %[t], %[x13], %[a2]\n\t"
        "cmp %[x], %[end]\n\t"
        "bne 1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3),
          [x] "+r"(x), [w0] "+r"(w0), [w2] "+r"(w2), [x02] "=&r"(x02),
          [x13] "=&r"(x13), [v] "=&r"(v), [t] "=&r"(t)
        : [K] "r"(K), [end] "r"(end), [off2] "r"(off2)
        : "cc", "memory");
    rem = n & 3;
  }
#else
  for (j = 0; j + 2 <= n; j += 2) {
    const int32_t xv = x[j] + off, yv = x[j + 1] + off;
    const int8_t *w1 = w0 + K, *w3 = w2 + K;
    a0 += w0[j] * xv + w0[j + 1] * yv;
    a1 += w1[j] * xv + w1[j + 1] * yv;
    a2 += w2[j] * xv + w2[j + 1] * yv;
    a3 += w3[j] * xv + w3[j + 1] * yv;
  }
  x += j;
  w0 += j;
  w2 += j;
  rem = n - j;
#endif
  for (j = 0; j < rem; j++) {
    const int32_t xv = x[j] + off;
    a0 += w0[j] * xv;
    a1 += w0[K + j] * xv;
    a2 += w2[j] * xv;
    a3 += w2[K + j] * xv;
  }
  acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
}

static void mac1x4(const int8_t *x, const int8_t *w, int32_t K, int32_t n,
                   int32_t off, int32_t acc[4]) {
  mac1x4_i(x, w, K, n, off, acc);
}

static int32_t mac1(const int8_t *x, const int8_t *w, int32_t n, int32_t off,
                    int32_t acc) {
  int32_t j = 0;
#if OPT_ARM_DSP
  const uint32_t off2 = (uint32_t)(uint16_t)off * 0x00010001u;
  for (; j + 4 <= n; j += 4) {
    const uint32_t v = rd32(x + j), u = rd32(w + j);
    acc = __smlad(__sxtb16(u), __sxtab16(off2, v), acc);
    acc = __smlad(sxtb16_r8(u), sxtab16_r8(off2, v), acc);
  }
#endif
  for (; j < n; j++) acc += w[j] * (x[j] + off);
  return acc;
}

/* Every output channel of one contiguous input vector x (K values), 4 per
 * pass: a fully-connected row, a 1x1 convolution's pixel, a gathered patch.
 * ms: multiplier stride (1 per-channel, 0 per-tensor); biases per channel. */
static void gemm_row(const int8_t *x, const int8_t *w, int32_t K, int32_t n_oc,
                     int32_t off, const outq *oq, int32_t ms, int8_t *o) {
  const outq q = *oq;
  int32_t oc;
  for (oc = 0; oc + 4 <= n_oc; oc += 4) {
    int32_t acc[4] = {0, 0, 0, 0};
    mac1x4_i(x, w + (size_t)oc * K, K, K, off, acc);
    /* unrolled so the accumulators stay in registers */
#define OUT(r)                                                                 \
  o[oc + r] = requant(acc[r] + (q.bias ? q.bias[oc + r] : 0),                  \
                      q.mult[(oc + r) * ms], q.shift[(oc + r) * ms], q.zp, q.lo, q.hi)
    OUT(0); OUT(1); OUT(2); OUT(3);
#undef OUT
  }
  for (; oc < n_oc; oc++)
    o[oc] = requant(mac1(x, w + (size_t)oc * K, K, off, 0) + (q.bias ? q.bias[oc] : 0),
                    q.mult[oc * ms], q.shift[oc * ms], q.zp, q.lo, q.hi);
}

/* ------------------------------------------------------------ CONV_2D */

static int conv_fast(const tsrt_model *m, const tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in((tsrt_model *)m, op, 0);
  const tsrt_tensor *f = tsrt_in((tsrt_model *)m, op, 1);
  return in->type == TSRT_INT8 && f->dims[3] == in->dims[3];
}

int tsrt_prepare_conv_opt(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return tsrt_prepare_conv(c, op, op_index);
}

/* Patches of at most this many values, from inputs of few channels (short
 * rows), are gathered on the stack first: one long dot product instead of many
 * short ones; padding reads as the input zero point, which contributes 0. */
#define PATCH_MAX 256

/* One output pixel's view of the input. */
typedef struct {
  const int8_t *img;   /* this batch's input */
  const int8_t *patch; /* gathered patch (K values) or NULL */
  int32_t in_w, in_d, f_w, K, dil_h, dil_w, off;
  int32_t iy0, ix0, fy0, fy1, fx0, fx1;
} pix;

/* acc[0..nrows) = the dot products of the pixel's patch with weight rows
 * w, w + K, ... (nrows 4 or 1), over its valid taps only. */
static void conv_pixel(const pix *p, const int8_t *w, int nrows,
                       int32_t acc[4]) {
  const int32_t in_d = p->in_d;
  int32_t fy, fx;
  acc[0] = acc[1] = acc[2] = acc[3] = 0;
  if (p->patch) {
    if (nrows == 4) mac1x4(p->patch, w, p->K, p->K, p->off, acc);
    else acc[0] = mac1(p->patch, w, p->K, p->off, 0);
    return;
  }
  for (fy = p->fy0; fy < p->fy1; fy++) {
    const int8_t *row = p->img + ((size_t)(p->iy0 + p->dil_h * fy) * p->in_w) * in_d;
    const int8_t *wr = w + (size_t)fy * p->f_w * in_d;
    if (p->dil_w == 1) { /* the valid taps of a filter row are contiguous */
      const int8_t *xs = row + (size_t)(p->ix0 + p->fx0) * in_d;
      const int32_t n = (p->fx1 - p->fx0) * in_d;
      if (nrows == 4) mac1x4(xs, wr + p->fx0 * in_d, p->K, n, p->off, acc);
      else acc[0] = mac1(xs, wr + p->fx0 * in_d, n, p->off, acc[0]);
      continue;
    }
    for (fx = p->fx0; fx < p->fx1; fx++) {
      const int8_t *xs = row + (size_t)(p->ix0 + p->dil_w * fx) * in_d;
      if (nrows == 4) mac1x4(xs, wr + fx * in_d, p->K, in_d, p->off, acc);
      else acc[0] = mac1(xs, wr + fx * in_d, in_d, p->off, acc[0]);
    }
  }
}

int tsrt_eval_conv_opt(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  int32_t batches, in_h, f_h, out_h, out_w, out_d, bt, oy, ox, oc;
  int8_t patch[PATCH_MAX];
  int use_patch, one_by_one;
  const int8_t *w;
  pix p;
  outq q;
  if (!conv_fast(m, op) || !mults_ok(d->mult, out->dims[3]))
    return tsrt_eval_conv(m, op);
  q = outq_of(d, b);
  batches = in->dims[0]; in_h = in->dims[1];
  p.in_w = in->dims[2]; p.in_d = in->dims[3];
  f_h = f->dims[1]; p.f_w = f->dims[2];
  out_h = out->dims[1]; out_w = out->dims[2]; out_d = out->dims[3];
  p.K = f_h * p.f_w * p.in_d;
  p.dil_h = d->dil_h; p.dil_w = d->dil_w;
  p.off = -d->in_zp;
  /* gathering costs per pixel, so it pays only across enough output channels */
  use_patch = p.K <= PATCH_MAX && p.in_d < 8 && p.K > p.in_d && out_d >= 8;
  /* a 1x1 filter never overlaps padding: each pixel's inputs are one row */
  one_by_one = f_h == 1 && p.f_w == 1;
  w = (const int8_t *)f->data;
  for (bt = 0; bt < batches; bt++) {
    int8_t *o = (int8_t *)out->data + (size_t)bt * out_h * out_w * out_d;
    p.img = (const int8_t *)in->data + (size_t)bt * in_h * p.in_w * p.in_d;
    for (oy = 0; oy < out_h; oy++) {
      p.iy0 = oy * d->stride_h - d->pad_h;
      tap_range(p.iy0, p.dil_h, in_h, f_h, &p.fy0, &p.fy1);
      for (ox = 0; ox < out_w; ox++, o += out_d) {
        int32_t acc[4];
        p.ix0 = ox * d->stride_w - d->pad_w;
        tap_range(p.ix0, p.dil_w, p.in_w, p.f_w, &p.fx0, &p.fx1);
        p.patch = NULL;
        if (use_patch) {
          int32_t fy, fx, i, k = 0;
          for (fy = 0; fy < f_h; fy++) {
            const int32_t iy = p.iy0 + p.dil_h * fy;
            for (fx = 0; fx < p.f_w; fx++) {
              const int32_t ix = p.ix0 + p.dil_w * fx;
              const int8_t *src = p.img + ((size_t)iy * p.in_w + ix) * p.in_d;
              if (iy >= 0 && iy < in_h && ix >= 0 && ix < p.in_w)
                for (i = 0; i < p.in_d; i++) patch[k++] = src[i];
              else
                for (i = 0; i < p.in_d; i++) patch[k++] = (int8_t)d->in_zp;
            }
          }
          p.patch = patch;
        }
        if (p.patch || one_by_one) {
          const int8_t *xv = p.patch ? p.patch
                                     : p.img + ((size_t)p.iy0 * p.in_w + p.ix0) * p.in_d;
          gemm_row(xv, w, p.K, out_d, p.off, &q, 1, o);
          continue;
        }
        for (oc = 0; oc + 4 <= out_d; oc += 4) {
          int32_t r;
          conv_pixel(&p, w + (size_t)oc * p.K, 4, acc);
          for (r = 0; r < 4; r++) o[oc + r] = outc(&q, acc[r], oc + r);
        }
        for (; oc < out_d; oc++) {
          conv_pixel(&p, w + (size_t)oc * p.K, 1, acc);
          o[oc] = outc(&q, acc[0], oc);
        }
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ DEPTHWISE */

static int dw_fast(const tsrt_model *m, const tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in((tsrt_model *)m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  return in->type == TSRT_INT8 && d->depth_multiplier == 1;
}

int tsrt_prepare_dwconv_opt(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return tsrt_prepare_dwconv(c, op, op_index);
}

int tsrt_eval_dwconv_opt(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  int32_t batches, in_h, in_w, ch, f_w, out_h, out_w, off;
  int32_t bt, oy, ox, c;
  outq q;
  if (!dw_fast(m, op) || !mults_ok(d->mult, out->dims[3]))
    return tsrt_eval_dwconv(m, op);
  q = outq_of(d, b);
  batches = in->dims[0]; in_h = in->dims[1]; in_w = in->dims[2];
  ch = in->dims[3];
  f_w = f->dims[2];
  out_h = out->dims[1]; out_w = out->dims[2];
  off = -d->in_zp;
  for (bt = 0; bt < batches; bt++) {
    const int8_t *img = (const int8_t *)in->data + (size_t)bt * in_h * in_w * ch;
    int8_t *o = (int8_t *)out->data + (size_t)bt * out_h * out_w * ch;
    for (oy = 0; oy < out_h; oy++) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      int32_t fy0, fy1;
      tap_range(iy0, d->dil_h, in_h, f->dims[1], &fy0, &fy1);
      for (ox = 0; ox < out_w; ox++, o += ch) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        /* steps between taps: along a filter row, and from one row's end to
         * the next row's start */
        const int32_t xstep = d->dil_w * ch;
        int32_t fx0, fx1, nfx, xrow, wrow;
        const int8_t *x0, *w0;
        tap_range(ix0, d->dil_w, in_w, f_w, &fx0, &fx1);
        nfx = fx1 - fx0;
        x0 = img + ((size_t)(iy0 + d->dil_h * fy0) * in_w + ix0 + d->dil_w * fx0) * ch;
        w0 = (const int8_t *)f->data + ((size_t)fy0 * f_w + fx0) * ch;
        xrow = d->dil_h * in_w * ch - nfx * xstep;
        wrow = (f_w - nfx) * ch;
        c = 0;
#if OPT_ARM_DSP
        {
          const uint32_t off2 = (uint32_t)(uint16_t)off * 0x00010001u;
          for (; c + 4 <= ch; c += 4) {
            const int8_t *xp = x0 + c, *wp = w0 + c;
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, fy, fx, r;
            for (fy = fy0; fy < fy1; fy++) {
              for (fx = nfx; fx > 0; fx--) {
                const uint32_t v = rd32(xp), u = rd32(wp);
                const uint32_t x02 = __sxtab16(off2, v), x13 = sxtab16_r8(off2, v);
                const uint32_t w02 = __sxtb16(u), w13 = sxtb16_r8(u);
                a0 = __smlabb(x02, w02, a0);
                a2 = __smlatt(x02, w02, a2);
                a1 = __smlabb(x13, w13, a1);
                a3 = __smlatt(x13, w13, a3);
                xp += xstep;
                wp += ch;
              }
              xp += xrow;
              wp += wrow;
            }
            {
              const int32_t acc[4] = {a0, a1, a2, a3};
              for (r = 0; r < 4; r++) o[c + r] = outc(&q, acc[r], c + r);
            }
          }
        }
#else
        /* 4 channels per pass: the tap loop's pointer steps and branches
         * are shared by 4 multiply-accumulates */
        for (; c + 4 <= ch; c += 4) {
          const int8_t *xp = x0 + c, *wp = w0 + c;
          int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, fy, fx;
          for (fy = fy0; fy < fy1; fy++) {
            for (fx = nfx; fx > 0; fx--) {
              a0 += (xp[0] + off) * wp[0];
              a1 += (xp[1] + off) * wp[1];
              a2 += (xp[2] + off) * wp[2];
              a3 += (xp[3] + off) * wp[3];
              xp += xstep;
              wp += ch;
            }
            xp += xrow;
            wp += wrow;
          }
          o[c] = outc(&q, a0, c);
          o[c + 1] = outc(&q, a1, c + 1);
          o[c + 2] = outc(&q, a2, c + 2);
          o[c + 3] = outc(&q, a3, c + 3);
        }
#endif
        for (; c < ch; c++) {
          const int8_t *xp = x0 + c, *wp = w0 + c;
          int32_t acc = 0, fy, fx;
          for (fy = fy0; fy < fy1; fy++) {
            for (fx = nfx; fx > 0; fx--) {
              acc += (*xp + off) * *wp;
              xp += xstep;
              wp += ch;
            }
            xp += xrow;
            wp += wrow;
          }
          o[c] = outc(&q, acc, c);
        }
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ FC */

static int fc_fast(const tsrt_model *m, const tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in((tsrt_model *)m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  return in->type == TSRT_INT8 && d->filt_zp == 0;
}

int tsrt_prepare_fc_opt(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return tsrt_prepare_fc(c, op, op_index);
}

int tsrt_eval_fc_opt(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  int32_t out_depth, K, batches, bt, one_mult, one_shift, pc, off;
  const int8_t *w;
  outq q;
  if (!fc_fast(m, op)) return tsrt_eval_fc(m, op);
  out_depth = f->dims[0];
  K = f->dims[1];
  pc = d->per_channel;
  if (pc ? !mults_ok(d->mult, out_depth) : d->out_mult == INT32_MIN)
    return tsrt_eval_fc(m, op);
  q = outq_of(d, b);
  /* per-tensor quantization: every channel reads the same multiplier */
  one_mult = d->out_mult;
  one_shift = d->out_shift;
  if (!pc) {
    q.mult = &one_mult;
    q.shift = &one_shift;
  }
  off = -d->in_zp;
  batches = tsrt_elems(out) / out_depth;
  w = (const int8_t *)f->data;
  for (bt = 0; bt < batches; bt++)
    gemm_row((const int8_t *)in->data + (size_t)bt * K, w, K, out_depth, off, &q, pc,
             (int8_t *)out->data + (size_t)bt * out_depth);
  return TSRT_OK;
}

/* ------------------------------------------------------------ POOLING */
/* int8 AVERAGE_POOL_2D / MAX_POOL_2D: per output pixel, 4 channels per word
 * on the M4 (SSUB8+SEL is a 4-lane max, SXTAB16 a 2-lane sum); pointer loops
 * elsewhere. Sums stay exact in 16-bit lanes up to 256 taps (|sum| <= 32768). */

int tsrt_prepare_avgpool_opt(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return tsrt_prepare_avgpool(c, op, op_index);
}
int tsrt_prepare_maxpool_opt(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return tsrt_prepare_maxpool(c, op, op_index);
}

#if OPT_ARM_DSP
static inline uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("ssub8 %0, %1, %2\n\tsel %0, %1, %2" : "=&r"(r) : "r"(a), "r"(b) : "cc");
  return r;
}
#endif

/* TFLM's rounded average: half away from zero, C division. */
static inline int32_t pool_avg(int32_t acc, int32_t count) {
  return acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
}

static int eval_pool_opt(tsrt_model *m, tsrt_op *op, int is_max) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  int32_t batches, in_h, in_w, ch, out_h, out_w, lo, hi, bt, oy, ox, c;
  if (in->type != TSRT_INT8 || (!is_max && d->filter_h * d->filter_w > 256))
    return is_max ? tsrt_eval_maxpool(m, op) : tsrt_eval_avgpool(m, op);
  batches = in->dims[0]; in_h = in->dims[1]; in_w = in->dims[2];
  ch = in->dims[3];
  out_h = out->dims[1]; out_w = out->dims[2];
  lo = d->act_min;
  hi = d->act_max;
  for (bt = 0; bt < batches; bt++) {
    const int8_t *img = (const int8_t *)in->data + (size_t)bt * in_h * in_w * ch;
    int8_t *o = (int8_t *)out->data + (size_t)bt * out_h * out_w * ch;
    for (oy = 0; oy < out_h; oy++) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      const int32_t fy0 = iy0 < 0 ? -iy0 : 0;
      const int32_t fy1 = d->filter_h < in_h - iy0 ? d->filter_h : in_h - iy0;
      for (ox = 0; ox < out_w; ox++, o += ch) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        const int32_t fx0 = ix0 < 0 ? -ix0 : 0;
        const int32_t fx1 = d->filter_w < in_w - ix0 ? d->filter_w : in_w - ix0;
        const int32_t nfx = fx1 - fx0, count = (fy1 - fy0) * nfx;
        const int8_t *x0 = img + ((size_t)(iy0 + fy0) * in_w + ix0 + fx0) * ch;
        const int32_t xrow = (in_w - nfx) * ch; /* end of one row to the next */
        if (!is_max && count <= 0) return TSRT_ERR_INVALID;
        c = 0;
#if OPT_ARM_DSP
        for (; c + 4 <= ch; c += 4) {
          const int8_t *xp = x0 + c;
          int32_t fy, fx, r, v[4];
          if (is_max) {
            uint32_t mx = 0x80808080u;
            for (fy = fy0; fy < fy1; fy++, xp += xrow)
              for (fx = nfx; fx > 0; fx--, xp += ch) mx = max_s8x4(rd32(xp), mx);
            for (r = 0; r < 4; r++) v[r] = (int8_t)(mx >> (8 * r));
          } else {
            uint32_t s02 = 0, s13 = 0;
            for (fy = fy0; fy < fy1; fy++, xp += xrow)
              for (fx = nfx; fx > 0; fx--, xp += ch) {
                const uint32_t u = rd32(xp);
                s02 = __sxtab16(s02, u);
                s13 = sxtab16_r8(s13, u);
              }
            v[0] = pool_avg((int16_t)s02, count);
            v[1] = pool_avg((int16_t)s13, count);
            v[2] = pool_avg((int16_t)(s02 >> 16), count);
            v[3] = pool_avg((int16_t)(s13 >> 16), count);
          }
          for (r = 0; r < 4; r++) o[c + r] = (int8_t)(v[r] < lo ? lo : (v[r] > hi ? hi : v[r]));
        }
#endif
        for (; c < ch; c++) {
          const int8_t *xp = x0 + c;
          int32_t fy, fx, acc = is_max ? -128 : 0;
          for (fy = fy0; fy < fy1; fy++, xp += xrow)
            for (fx = nfx; fx > 0; fx--, xp += ch) {
              if (is_max) acc = acc < *xp ? *xp : acc;
              else acc += *xp;
            }
          if (!is_max) acc = pool_avg(acc, count);
          o[c] = (int8_t)(acc < lo ? lo : (acc > hi ? hi : acc));
        }
      }
    }
  }
  return TSRT_OK;
}

int tsrt_eval_avgpool_opt(tsrt_model *m, tsrt_op *op) { return eval_pool_opt(m, op, 0); }
int tsrt_eval_maxpool_opt(tsrt_model *m, tsrt_op *op) { return eval_pool_opt(m, op, 1); }
