/* ADD, SUB, MUL with numpy broadcasting (up to 6-D), float32 / int8 /
 * int16 / int32; quantized paths as TFLM's reference AddFunc / SubFunc /
 * MulElementwise. */
#include "tsrt_internal.h"

typedef struct {
  int32_t left_shift;
  int32_t in1_off, in2_off, out_off;
  int32_t in1_mult, in2_mult, out_mult;
  int32_t in1_shift, in2_shift, out_shift;
  int32_t act_min, act_max;
  float fmin, fmax;
  /* broadcast description, extended to 6-D */
  int32_t ext[TSRT_MAX_DIMS];
  int32_t s1[TSRT_MAX_DIMS], s2[TSRT_MAX_DIMS];
} ew_data;

enum { EW_ADD, EW_SUB, EW_MUL };

static int prepare_ew(tsrt_ctx *c, tsrt_op *op, int op_index, int kind) {
  tsrt_model *m = c->m;
  tsrt_tensor *a = tsrt_in(m, op, 0), *b = tsrt_in(m, op, 1);
  tsrt_tensor *out = tsrt_out(m, op, 0);
  ew_data *d;
  int act, i;
  int32_t st1 = 1, st2 = 1;
  TSRT_REQUIRE(op->nin == 2 && a && b && out, TSRT_ERR_INVALID,
               "needs two inputs and one output");
  TSRT_REQUIRE(a->type == out->type && b->type == out->type,
               TSRT_ERR_UNSUPPORTED_TYPE, "input/output types differ");
  TSRT_REQUIRE(out->type == TSRT_FLOAT32 || out->type == TSRT_INT8 ||
                   out->type == TSRT_INT16 || out->type == TSRT_INT32,
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32, int8, int16, int32");
  TSRT_REQUIRE(a->ndims <= TSRT_MAX_DIMS && b->ndims <= TSRT_MAX_DIMS &&
                   out->ndims <= TSRT_MAX_DIMS,
               TSRT_ERR_INVALID, "more than 6 dimensions");
  d = (ew_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  /* broadcasting: align trailing dims */
  for (i = TSRT_MAX_DIMS - 1; i >= 0; i--) {
    const int k = i - (TSRT_MAX_DIMS - out->ndims);
    const int ka = i - (TSRT_MAX_DIMS - a->ndims);
    const int kb = i - (TSRT_MAX_DIMS - b->ndims);
    const int32_t eo = k >= 0 ? out->dims[k] : 1;
    const int32_t ea = ka >= 0 ? a->dims[ka] : 1;
    const int32_t eb = kb >= 0 ? b->dims[kb] : 1;
    TSRT_REQUIRE((ea == eo || ea == 1) && (eb == eo || eb == 1) &&
                     (eo == (ea > eb ? ea : eb) || eo == 0),
                 TSRT_ERR_INVALID, "shapes are not broadcastable");
    d->ext[i] = eo;
    d->s1[i] = (ea == 1) ? 0 : st1;
    d->s2[i] = (eb == 1) ? 0 : st2;
    st1 *= ea;
    st2 *= eb;
  }
  act = tsrt_opt_int(c, op, 0, 1, 1, 0);
  if (out->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(act <= TSRT_ACT_RELU6, TSRT_ERR_INVALID,
                 "unsupported fused activation");
    tsrt_act_range_f(act, &d->fmin, &d->fmax);
    return TSRT_OK;
  }
  if (out->type == TSRT_INT32) {
    TSRT_REQUIRE(act == TSRT_ACT_NONE, TSRT_ERR_INVALID,
                 "int32 supports no fused activation");
    return TSRT_OK;
  }
  TSRT_REQUIRE(tsrt_act_range_q(act, out, &d->act_min, &d->act_max),
               TSRT_ERR_INVALID, "unsupported fused activation");
  d->in1_off = -a->zero_point;
  d->in2_off = -b->zero_point;
  d->out_off = out->zero_point;
  if (kind == EW_MUL) {
    const double real = (double)a->scale * (double)b->scale / (double)out->scale;
    int sh;
    tsrt_quantize_multiplier(c, real, &d->out_mult, &sh);
    d->out_shift = sh;
  } else {
    const float mx = a->scale > b->scale ? a->scale : b->scale;
    const double twice_max = 2.0 * (double)mx;
    int sh;
    d->left_shift = out->type == TSRT_INT16 ? 15 : 20;
    TSRT_REQUIRE(a->scale > 0 && b->scale > 0 && out->scale > 0,
                 TSRT_ERR_INVALID, "quantized tensors need positive scales");
    tsrt_quantize_multiplier(c, (double)a->scale / twice_max, &d->in1_mult, &sh);
    d->in1_shift = sh;
    tsrt_quantize_multiplier(c, (double)b->scale / twice_max, &d->in2_mult, &sh);
    d->in2_shift = sh;
    tsrt_quantize_multiplier(c,
        twice_max / ((double)(1 << d->left_shift) * (double)out->scale),
        &d->out_mult, &sh);
    d->out_shift = sh;
    TSRT_REQUIRE(d->in1_shift <= 0 && d->in2_shift <= 0 && d->out_shift <= 0,
                 TSRT_ERR_INVALID, "rescale multiplier must be below one");
  }
  return TSRT_OK;
}

int tsrt_prepare_add(tsrt_ctx *c, tsrt_op *op, int i) {
  return prepare_ew(c, op, i, EW_ADD);
}
int tsrt_prepare_sub(tsrt_ctx *c, tsrt_op *op, int i) {
  return prepare_ew(c, op, i, EW_SUB);
}
int tsrt_prepare_mul(tsrt_ctx *c, tsrt_op *op, int i) {
  return prepare_ew(c, op, i, EW_MUL);
}

static int32_t q_addsub(const ew_data *d, int32_t x, int32_t y, int sub) {
  const int32_t v1 = tsrt_shl32(d->in1_off + x, d->left_shift);
  const int32_t v2 = tsrt_shl32(d->in2_off + y, d->left_shift);
  const int32_t s1 = tsrt_mbqm_smaller_than_one(v1, d->in1_mult, d->in1_shift);
  const int32_t s2 = tsrt_mbqm_smaller_than_one(v2, d->in2_mult, d->in2_shift);
  const int32_t raw = sub ? s1 - s2 : s1 + s2;
  const int32_t o =
      tsrt_mbqm_smaller_than_one(raw, d->out_mult, d->out_shift) + d->out_off;
  return tsrt_clamp(o, d->act_min, d->act_max);
}

static int32_t q_mul(const ew_data *d, int32_t x, int32_t y) {
  const int32_t v1 = d->in1_off + x;
  const int32_t v2 = d->in2_off + y;
  const int32_t o =
      d->out_off + tsrt_mbqm(v1 * v2, d->out_mult, d->out_shift);
  return tsrt_clamp(o, d->act_min, d->act_max);
}

static int eval_ew(tsrt_model *m, tsrt_op *op, int kind) {
  const tsrt_tensor *a = tsrt_in(m, op, 0), *b = tsrt_in(m, op, 1);
  const tsrt_tensor *out = tsrt_out(m, op, 0);
  const ew_data *d = (const ew_data *)op->data;
  int32_t idx[TSRT_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
  size_t i1 = 0, i2 = 0, o, n = (size_t)tsrt_elems(out);
  for (o = 0; o < n; o++) {
    int k;
    switch (out->type) {
      case TSRT_FLOAT32: {
        const float x = ((const float *)a->data)[i1];
        const float y = ((const float *)b->data)[i2];
        const float r = kind == EW_ADD ? x + y : kind == EW_SUB ? x - y : x * y;
        ((float *)out->data)[o] = tsrt_clampf(r, d->fmin, d->fmax);
        break;
      }
      case TSRT_INT32: {
        const uint32_t x = (uint32_t)((const int32_t *)a->data)[i1];
        const uint32_t y = (uint32_t)((const int32_t *)b->data)[i2];
        const uint32_t r = kind == EW_ADD ? x + y : kind == EW_SUB ? x - y : x * y;
        ((int32_t *)out->data)[o] = (int32_t)r;
        break;
      }
      case TSRT_INT8: {
        const int32_t x = ((const int8_t *)a->data)[i1];
        const int32_t y = ((const int8_t *)b->data)[i2];
        ((int8_t *)out->data)[o] =
            (int8_t)(kind == EW_MUL ? q_mul(d, x, y)
                                    : q_addsub(d, x, y, kind == EW_SUB));
        break;
      }
      default: {
        const int32_t x = ((const int16_t *)a->data)[i1];
        const int32_t y = ((const int16_t *)b->data)[i2];
        ((int16_t *)out->data)[o] =
            (int16_t)(kind == EW_MUL ? q_mul(d, x, y)
                                     : q_addsub(d, x, y, kind == EW_SUB));
        break;
      }
    }
    /* advance the 6-D counter */
    for (k = TSRT_MAX_DIMS - 1; k >= 0; k--) {
      idx[k]++;
      i1 += (size_t)d->s1[k];
      i2 += (size_t)d->s2[k];
      if (idx[k] < d->ext[k]) break;
      i1 -= (size_t)d->s1[k] * (size_t)idx[k];
      i2 -= (size_t)d->s2[k] * (size_t)idx[k];
      idx[k] = 0;
    }
  }
  return TSRT_OK;
}

int tsrt_eval_add(tsrt_model *m, tsrt_op *op) { return eval_ew(m, op, EW_ADD); }
int tsrt_eval_sub(tsrt_model *m, tsrt_op *op) { return eval_ew(m, op, EW_SUB); }
int tsrt_eval_mul(tsrt_model *m, tsrt_op *op) { return eval_ew(m, op, EW_MUL); }
