/* SOFTMAX, LOGISTIC, TANH, RELU, RELU6 (float32, int8, int16). */
#include "tsrt_internal.h"


typedef struct {
  int32_t in_zp, out_zp;
  int32_t mult;
  int32_t shift;     /* exponent / left shift */
  int32_t radius;
  int32_t diff_min;
  int32_t act_min, act_max;
  float beta;
  int16_t *exp_lut, *recip_lut;
} act_data;

static int same_shape(const tsrt_tensor *a, const tsrt_tensor *b) {
  return tsrt_elems(a) == tsrt_elems(b);
}

/* ------------------------------------------------------------ SOFTMAX */

static float exp_fn(float x) { return tsrt_expf(x); }
static float recip_fn(float x) { return 1.0f / (1.0f + x); }

static int near(float v, float target, float tol) {
  const float dlt = v - target;
  return (dlt < 0 ? -dlt : dlt) <= tol;
}

int tsrt_prepare_softmax(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  act_data *d;
  const float beta = tsrt_opt_f32(c, op, 0, 0.0f);
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(in->ndims >= 1 && same_shape(in, out), TSRT_ERR_INVALID,
               "input/output shapes differ");
  d = (act_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(out->type == TSRT_FLOAT32, TSRT_ERR_UNSUPPORTED_TYPE,
                 "float32 input needs float32 output");
    d->beta = beta;
    return TSRT_OK;
  }
  if (in->type == TSRT_INT8) {
    int sh;
    double real;
    if (out->type == TSRT_INT16) {
      TSRT_REQUIRE(out->zero_point == -32768 &&
                       near(out->scale, 1.0f / 65536, 0.001f * 1.0f / 65536),
                   TSRT_ERR_INVALID,
                   "int16 output needs zero point -32768, scale 1/65536");
    } else {
      TSRT_REQUIRE(out->type == TSRT_INT8, TSRT_ERR_UNSUPPORTED_TYPE,
                   "int8 input needs int8 or int16 output");
      TSRT_REQUIRE(out->zero_point == -128 && out->scale == 1.0f / 256,
                   TSRT_ERR_INVALID,
                   "int8 output needs zero point -128, scale 1/256");
    }
    real = (double)beta * (double)in->scale * (double)(1 << (31 - 5));
    if (real > 2147483647.0) real = 2147483647.0;
    tsrt_quantize_multiplier(c, real, &d->mult, &sh);
    TSRT_REQUIRE(sh >= 0, TSRT_ERR_INVALID, "softmax beta*scale too small");
    d->shift = sh;
    d->diff_min = -tsrt_calc_input_radius(5, sh, 31);
    return TSRT_OK;
  }
  if (in->type == TSRT_INT16) {
    int sh;
    TSRT_REQUIRE(out->type == TSRT_INT16, TSRT_ERR_UNSUPPORTED_TYPE,
                 "int16 input needs int16 output");
    TSRT_REQUIRE(out->zero_point == 0 &&
                     near(out->scale, 1.0f / 32768, 0.001f * 1.0f / 32768),
                 TSRT_ERR_INVALID,
                 "int16 output needs zero point 0, scale 1/32768");
    d->exp_lut = (int16_t *)tsrt_palloc(m, sizeof(int16_t) * 513);
    d->recip_lut = (int16_t *)tsrt_palloc(m, sizeof(int16_t) * 513);
    if (!d->exp_lut || !d->recip_lut) return m->status;
    tsrt_gen_lut_int16(exp_fn, -10.0f, 0.0f, -1.0f, 1.0f, d->exp_lut);
    tsrt_gen_lut_int16(recip_fn, 0.0f, 1.0f, -1.0f, 1.0f, d->recip_lut);
    tsrt_quantize_multiplier(c,
        (double)in->scale * (double)beta / (10.0 / 65535.0), &d->mult, &sh);
    d->shift = sh;
    return TSRT_OK;
  }
  return tsrt_fail_op(m, TSRT_ERR_UNSUPPORTED_TYPE, op_index, op->code,
                      "supported: float32, int8, int16");
}

int tsrt_eval_softmax(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const act_data *d = (const act_data *)op->data;
  const int32_t depth = in->dims[in->ndims - 1];
  const int32_t outer = depth ? tsrt_elems(in) / depth : 0;
  int32_t i, k;
  for (i = 0; i < outer; i++) {
    const size_t base = (size_t)i * depth;
    if (in->type == TSRT_FLOAT32) {
      const float *x = (const float *)in->data + base;
      float *y = (float *)out->data + base;
      float mx = -3.40282347e+38f, sum = 0.0f;
      for (k = 0; k < depth; k++) mx = mx < x[k] ? x[k] : mx;
      for (k = 0; k < depth; k++) {
        const float e = tsrt_expf((x[k] - mx) * d->beta);
        y[k] = e;
        sum += e;
      }
      for (k = 0; k < depth; k++) y[k] = y[k] / sum;
    } else if (in->type == TSRT_INT8) {
      const int8_t *x = (const int8_t *)in->data + base;
      int32_t mx = -128, sum = 0, nbits, shifted_scale, exponent;
      const int out16 = out->type == TSRT_INT16;
      for (k = 0; k < depth; k++) mx = mx < x[k] ? x[k] : mx;
      for (k = 0; k < depth; k++) {
        const int32_t diff = (int32_t)x[k] - mx;
        if (diff >= d->diff_min) {
          const int32_t r =
              tsrt_mbqm_greater_than_one(diff, d->mult, d->shift);
          sum = (int32_t)((uint32_t)sum +
                          (uint32_t)tsrt_rdbpot(
                              tsrt_fx_exp_on_negative_values(r, 5), 12));
        }
      }
      {
        const int hp1 = tsrt_clz32((uint32_t)sum);
        const int32_t ssm1 =
            (int32_t)(((uint32_t)sum << hp1) - ((uint32_t)1 << 31));
        nbits = 12 - hp1;
        shifted_scale = tsrt_fx_one_over_one_plus_x(ssm1);
      }
      exponent = nbits + 31 - (out16 ? 16 : 8);
      for (k = 0; k < depth; k++) {
        const int32_t diff = (int32_t)x[k] - mx;
        int32_t o;
        if (diff >= d->diff_min) {
          const int32_t r =
              tsrt_mbqm_greater_than_one(diff, d->mult, d->shift);
          const int32_t e = tsrt_fx_exp_on_negative_values(r, 5);
          o = tsrt_rdbpot(tsrt_srdhm(shifted_scale, e), exponent);
          o += out16 ? -32768 : -128;
          o = out16 ? tsrt_clamp(o, -32768, 32767) : tsrt_clamp(o, -128, 127);
        } else {
          o = out16 ? -32768 : -128;
        }
        if (out16)
          ((int16_t *)out->data)[base + k] = (int16_t)o;
        else
          ((int8_t *)out->data)[base + k] = (int8_t)o;
      }
    } else {
      const int16_t *x = (const int16_t *)in->data + base;
      int16_t *y = (int16_t *)out->data + base;
      int32_t mx = -32768, sum = 0;
      int hp1;
      int32_t shifted_sum, sym;
      int16_t recip;
      for (k = 0; k < depth; k++) mx = mx < x[k] ? x[k] : mx;
      for (k = 0; k < depth; k++) {
        const int32_t diff = (int32_t)x[k] - mx;
        const int32_t sd = tsrt_mbqm(diff, d->mult, d->shift) + 32767;
        const int16_t sat = (int16_t)tsrt_clamp(sd, -32768, 32767);
        y[k] = tsrt_lut_lookup16(sat, d->exp_lut);
        sum += y[k];
      }
      hp1 = tsrt_clz32((uint32_t)sum);
      shifted_sum = (int32_t)((((int64_t)sum << (hp1 - 1)) + (1 << 13)) >> 14);
      sym = shifted_sum + (-((1 << 15) + (1 << 16)));
      recip = tsrt_lut_lookup16((int16_t)tsrt_clamp(sym, -32768, 32767),
                                d->recip_lut);
      for (k = 0; k < depth; k++) {
        const int rs = 31 - hp1;
        const int64_t round = (int64_t)1 << (rs - 1);
        const int32_t r =
            (int32_t)(((int64_t)y[k] * (int64_t)recip + round) >> rs);
        y[k] = (int16_t)tsrt_clamp(r, 0, 32767);
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ LOGISTIC/TANH */

static int prepare_sigmoid_like(tsrt_ctx *c, tsrt_op *op, int op_index,
                                int is_tanh) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  act_data *d;
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(in->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
               "input and output types differ");
  TSRT_REQUIRE(same_shape(in, out), TSRT_ERR_INVALID, "shapes differ");
  d = (act_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  if (in->type == TSRT_FLOAT32) return TSRT_OK;
  if (in->type == TSRT_INT8) {
    const double real = (double)in->scale * (double)(1 << (31 - 4));
    int e;
    const double q = tsrt_frexp(real, &e);
    if (!is_tanh)
      TSRT_REQUIRE(out->zero_point == -128, TSRT_ERR_INVALID,
                   "int8 output zero point must be -128");
    /* TFLM's CalculateInputRadius shifts by e: only scales from 2^-28 to
     * 2^35 keep it in 0..62 (a corrupt file holds 0, Inf or 1e-40) */
    if (!(real > 0.0 && real < 1.0e300) || e < 0 || e > 62) {
      c->bad_scales = 1;
      return TSRT_OK;
    }
    d->in_zp = in->zero_point;
    d->shift = e;
    d->mult = (int32_t)(uint32_t)(int64_t)tsrt_round(q * 2147483648.0);
    d->radius = tsrt_calc_input_radius(4, e, 31);
    return TSRT_OK;
  }
  if (in->type == TSRT_INT16) {
    int l2, ol2, pot;
    TSRT_REQUIRE(in->zero_point == 0 && out->zero_point == 0,
                 TSRT_ERR_INVALID, "int16 needs zero points of 0");
    pot = tsrt_checked_log2(in->scale, &l2);
    d->shift = (15 - 3) + l2;
    pot = pot && (d->shift == 0 || (is_tanh && d->shift == 1));
    if (pot) {
      d->mult = 0;
    } else {
      double mult = (double)in->scale * 4096.0 * 3.0;
      d->shift = 0;
      while (mult <= 32767.0 / 2.0 && d->shift <= 30) {
        d->shift++;
        mult = mult * 2.0;
      }
      /* in range, the loop leaves 16384..32767: the kernel's x * mult fits
       * 32 bits and 0 keeps meaning "power of two" */
      c->bad_scales |= !(mult >= 16383.5 && mult <= 32767.0);
      d->mult = (int32_t)(mult >= 16383.5 && mult <= 32767.0 ? mult : 1);
    }
    TSRT_REQUIRE(tsrt_checked_log2(out->scale, &ol2) && ol2 == -15,
                 TSRT_ERR_INVALID, "int16 output scale must be 2^-15");
    return TSRT_OK;
  }
  return tsrt_fail_op(m, TSRT_ERR_UNSUPPORTED_TYPE, op_index, op->code,
                      "supported: float32, int8, int16");
}

int tsrt_prepare_logistic(tsrt_ctx *c, tsrt_op *op, int i) {
  return prepare_sigmoid_like(c, op, i, 0);
}
int tsrt_prepare_tanh(tsrt_ctx *c, tsrt_op *op, int i) {
  return prepare_sigmoid_like(c, op, i, 1);
}

static int32_t abs32(int32_t v) { return v < 0 ? -v : v; }

int tsrt_eval_logistic(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const act_data *d = (const act_data *)op->data;
  const int32_t n = tsrt_elems(in);
  int32_t i;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (i = 0; i < n; i++) {
      const float v = x[i];
      float r;
      if (v > 16.619047164916992188f)
        r = 1.0f;
      else if (v < -9.0f)
        r = tsrt_expf(v);
      else
        r = 1.0f / (1.0f + tsrt_expf(-v));
      y[i] = r;
    }
  } else if (in->type == TSRT_INT8) {
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    for (i = 0; i < n; i++) {
      const int32_t v = (int32_t)x[i] - d->in_zp;
      if (v <= -d->radius) {
        y[i] = -128;
      } else if (v >= d->radius) {
        y[i] = 127;
      } else {
        const int32_t q4 = tsrt_mbqm(v, d->mult, d->shift);
        const int32_t o = tsrt_rdbpot(tsrt_fx_logistic(q4, 4), 31 - 8);
        y[i] = (int8_t)tsrt_clamp(o - 128, -128, 127);
      }
    }
  } else {
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    int32_t mult = d->mult, ls = d->shift, round;
    if (mult == 0) {
      mult = 3 << ls;
      ls = 0;
    }
    round = ls > 0 ? 1 << (ls - 1) : 0;
    for (i = 0; i < n; i++) {
      const int32_t v = ((int32_t)x[i] * mult + round) >> ls;
      const uint32_t av = (uint32_t)abs32(v);
      const uint32_t uh = av >> 9;
      uint32_t r;
      if (uh >= 255) {
        r = 0x7FFFu << 10;
      } else {
        const uint32_t ua = tsrt_sigmoid_table_uint16[uh];
        const uint32_t ub = tsrt_sigmoid_table_uint16[uh + 1];
        const uint32_t ut = av & 0x1ff;
        r = (ua << 9) + ut * (ub - ua);
      }
      r = (v >= 0) ? (r + (1u << 9)) : ((1u << (16 + 9)) - r + (1u << 9) - 1);
      r >>= 10;
      y[i] = (int16_t)r;
    }
  }
  return TSRT_OK;
}

int tsrt_eval_tanh(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const act_data *d = (const act_data *)op->data;
  const int32_t n = tsrt_elems(in);
  int32_t i;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (i = 0; i < n; i++) y[i] = tanhf(x[i]);
  } else if (in->type == TSRT_INT8) {
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    for (i = 0; i < n; i++) {
      const int32_t v = (int32_t)x[i] - d->in_zp;
      if (v <= -d->radius) {
        y[i] = -128;
      } else if (v >= d->radius) {
        y[i] = 127;
      } else {
        const int32_t q4 = tsrt_mbqm(v, d->mult, d->shift);
        const int32_t o = tsrt_rdbpot(tsrt_fx_tanh(q4, 4), 31 - 7);
        y[i] = (int8_t)tsrt_clamp(o, -128, 127);
      }
    }
  } else {
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    int32_t mult = d->mult, ls = d->shift, round;
    if (mult == 0) {
      mult = 3 << ls;
      ls = 0;
    }
    round = ls > 0 ? 1 << (ls - 1) : 0;
    for (i = 0; i < n; i++) {
      const int32_t v = ((int32_t)x[i] * mult + round) >> ls;
      const uint32_t av = (uint32_t)abs32(v);
      const uint32_t uh = av >> 8;
      int32_t r;
      if (uh >= 255) {
        r = (int32_t)(0xFFFFu << 8);
      } else {
        const uint32_t ua = tsrt_sigmoid_table_uint16[uh];
        const uint32_t ub = tsrt_sigmoid_table_uint16[uh + 1];
        const uint8_t ut = (uint8_t)(av & 0xFF);
        r = (int32_t)((ua << 8) + ut * (ub - ua));
      }
      r = (v >= 0) ? (r - (1 << (14 + 9)) + (1 << (9 - 2)))
                   : (-r + (1 << (14 + 9)) + (1 << (9 - 2)) - 1);
      r >>= (9 - 1);
      y[i] = (int16_t)r;
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ RELU/RELU6 */

int tsrt_prepare_relu(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  act_data *d;
  int sh;
  int32_t lo;
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(in->type == out->type &&
                   (in->type == TSRT_FLOAT32 || in->type == TSRT_INT8 ||
                    in->type == TSRT_INT16),
               TSRT_ERR_UNSUPPORTED_TYPE, "supported: float32, int8, int16");
  TSRT_REQUIRE(same_shape(in, out), TSRT_ERR_INVALID, "shapes differ");
  d = (act_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  if (in->type == TSRT_FLOAT32) return TSRT_OK;
  if (in->type == TSRT_INT16)
    TSRT_REQUIRE(in->zero_point == 0 && out->zero_point == 0,
                 TSRT_ERR_INVALID, "int16 needs zero points of 0");
  tsrt_quantize_multiplier(c, (double)in->scale / (double)out->scale, &d->mult,
                           &sh);
  d->shift = sh;
  lo = out->zero_point + (int32_t)tsrt_roundf(0.0f / out->scale);
  if (in->type == TSRT_INT8) {
    d->act_min = lo > -128 ? lo : -128;
    d->act_max = 127;
  } else {
    d->act_min = lo > -32768 ? lo : -32768;
    d->act_max = 32767;
  }
  d->in_zp = in->zero_point;
  d->out_zp = out->zero_point;
  return TSRT_OK;
}

int tsrt_eval_relu(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const act_data *d = (const act_data *)op->data;
  const int32_t n = tsrt_elems(in);
  int32_t i;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (i = 0; i < n; i++) y[i] = x[i] < 0.0f ? 0.0f : x[i];
    return TSRT_OK;
  }
  for (i = 0; i < n; i++) {
    const int32_t v = in->type == TSRT_INT8 ? ((const int8_t *)in->data)[i]
                                            : ((const int16_t *)in->data)[i];
    int32_t r = d->out_zp + tsrt_mbqm(v - d->in_zp, d->mult, d->shift);
    r = tsrt_clamp(r, d->act_min, d->act_max);
    if (in->type == TSRT_INT8)
      ((int8_t *)out->data)[i] = (int8_t)r;
    else
      ((int16_t *)out->data)[i] = (int16_t)r;
  }
  return TSRT_OK;
}

int tsrt_prepare_relu6(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  act_data *d;
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(in->type == out->type &&
                   (in->type == TSRT_FLOAT32 || in->type == TSRT_INT8 ||
                    in->type == TSRT_INT16),
               TSRT_ERR_UNSUPPORTED_TYPE, "supported: float32, int8, int16");
  TSRT_REQUIRE(same_shape(in, out), TSRT_ERR_INVALID, "shapes differ");
  d = (act_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  if (in->type != TSRT_FLOAT32) {
    const int32_t lo = in->type == TSRT_INT8 ? -128 : -32768;
    const int32_t hi = in->type == TSRT_INT8 ? 127 : 32767;
    const int32_t six =
        (int32_t)tsrt_round((double)(6.0f / in->scale)) + in->zero_point;
    d->act_min = in->zero_point;
    d->act_max = tsrt_clamp(six, lo, hi);
  }
  return TSRT_OK;
}

int tsrt_eval_relu6(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const act_data *d = (const act_data *)op->data;
  const int32_t n = tsrt_elems(in);
  int32_t i;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (i = 0; i < n; i++) {
      const float v = x[i];
      y[i] = v > 6.0f ? 6.0f : v < 0.0f ? 0.0f : v;
    }
  } else if (in->type == TSRT_INT8) {
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    for (i = 0; i < n; i++) {
      const int32_t v = x[i];
      y[i] = (int8_t)(v > d->act_max ? d->act_max
                                     : v < d->act_min ? d->act_min : v);
    }
  } else {
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)out->data;
    for (i = 0; i < n; i++) {
      const int32_t v = x[i];
      y[i] = (int16_t)(v > d->act_max ? d->act_max
                                      : v < d->act_min ? d->act_min : v);
    }
  }
  return TSRT_OK;
}
