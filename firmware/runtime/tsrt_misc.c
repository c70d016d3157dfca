/* RESHAPE, SQUEEZE, QUANTIZE, DEQUANTIZE, CONCATENATION, MEAN, PAD,
 * STRIDED_SLICE. */
#include "tsrt_internal.h"

static int32_t type_min(int type) {
  return type == TSRT_INT8 ? -128 : type == TSRT_UINT8 ? 0 : type == TSRT_INT16 ? -32768 : INT32_MIN;
}
static int32_t type_max(int type) {
  return type == TSRT_INT8 ? 127 : type == TSRT_UINT8 ? 255 : type == TSRT_INT16 ? 32767 : INT32_MAX;
}

static int32_t load_int(const void *p, int type, size_t i) {
  switch (type) {
    case TSRT_INT8: return ((const int8_t *)p)[i];
    case TSRT_UINT8: return ((const uint8_t *)p)[i];
    case TSRT_INT16: return ((const int16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
  }
}

static void store_int(void *p, int type, size_t i, int32_t v) {
  switch (type) {
    case TSRT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case TSRT_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case TSRT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    default: ((int32_t *)p)[i] = v; break;
  }
}

/* Reads element i of a constant int32/int64 index tensor. */
static int32_t index_at(const tsrt_tensor *t, int32_t i) {
  if (t->type == TSRT_INT64) return (int32_t)((const int64_t *)t->data)[i];
  return ((const int32_t *)t->data)[i];
}

/* ------------------------------------------------------------ RESHAPE */

int tsrt_prepare_reshape(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  TSRT_REQUIRE(op->nin >= 1 && in && out, TSRT_ERR_INVALID,
               "needs an input and an output");
  TSRT_REQUIRE(in->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
               "input and output types differ");
  TSRT_REQUIRE(tsrt_type_size(in->type) != 0, TSRT_ERR_UNSUPPORTED_TYPE,
               "unsupported tensor type");
  TSRT_REQUIRE(in->bytes == out->bytes, TSRT_ERR_INVALID,
               "input and output sizes differ");
  return TSRT_OK;
}

int tsrt_eval_reshape(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0);
  tsrt_tensor *out = tsrt_out(m, op, 0);
  if (in->data != out->data) memmove(out->data, in->data, out->bytes);
  return TSRT_OK;
}

/* ------------------------------------------------------------ QUANTIZE */

typedef struct {
  int32_t mult, shift, in_zp, out_zp;
  float scale;
} q_data;

int tsrt_prepare_quantize(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  q_data *d;
  int it, ot, ok;
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(tsrt_elems(in) == tsrt_elems(out), TSRT_ERR_INVALID,
               "shapes differ");
  TSRT_REQUIRE(out->nscales == 1, TSRT_ERR_INVALID,
               "output must be per-tensor quantized");
  it = in->type;
  ot = out->type;
  ok = (it == TSRT_FLOAT32 && (ot == TSRT_INT8 || ot == TSRT_INT16)) ||
       (it == TSRT_INT16 &&
        (ot == TSRT_INT8 || ot == TSRT_INT16 || ot == TSRT_INT32)) ||
       (it == TSRT_INT8 && (ot == TSRT_INT8 || ot == TSRT_UINT8 ||
                            ot == TSRT_INT16 || ot == TSRT_INT32)) ||
       (it == TSRT_UINT8 && ot == TSRT_INT8) ||
       (it == TSRT_INT32 && (ot == TSRT_INT8 || ot == TSRT_INT16));
  TSRT_REQUIRE(ok, TSRT_ERR_UNSUPPORTED_TYPE,
               "unsupported input/output type combination");
  d = (q_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  d->out_zp = out->zero_point;
  d->in_zp = in->zero_point;
  d->scale = out->scale;
  if (it != TSRT_FLOAT32) {
    int sh;
    tsrt_quantize_multiplier(c, (double)in->scale / (double)out->scale, &d->mult,
                             &sh);
    d->shift = sh;
  }
  return TSRT_OK;
}

int tsrt_eval_quantize(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const q_data *d = (const q_data *)op->data;
  const int32_t n = tsrt_elems(in);
  const int32_t lo = type_min(out->type), hi = type_max(out->type);
  int32_t i;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    for (i = 0; i < n; i++) {
      /* TFLM AffineQuantize: TfLiteRound(val / scale) + zero_point */
      const float r = tsrt_roundf(x[i] / d->scale);
      /* summed in 64 bits: a value far out of range plus the zero point
       * clamps instead of overflowing */
      const int64_t q =
          (int64_t)(r >= 2147483647.0f ? INT32_MAX
                    : r <= -2147483648.0f ? INT32_MIN : (int32_t)r) +
          d->out_zp;
      store_int(out->data, out->type, (size_t)i,
                (int32_t)(q < lo ? lo : q > hi ? hi : q));
    }
    return TSRT_OK;
  }
  {
    const int same = d->mult == (1 << 30) && d->shift == 1;
    const int32_t zdiff = d->in_zp - d->out_zp;
    if (same && ((in->type == TSRT_INT8 && out->type == TSRT_UINT8 &&
                  zdiff == -128) ||
                 (in->type == TSRT_UINT8 && out->type == TSRT_INT8 &&
                  zdiff == 128))) {
      for (i = 0; i < n; i++)
        ((uint8_t *)out->data)[i] = ((const uint8_t *)in->data)[i] ^ 0x80;
      return TSRT_OK;
    }
    for (i = 0; i < n; i++) {
      const int32_t v = load_int(in->data, in->type, (size_t)i) - d->in_zp;
      const int32_t o = tsrt_mbqm(v, d->mult, d->shift) + d->out_zp;
      store_int(out->data, out->type, (size_t)i, tsrt_clamp(o, lo, hi));
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ DEQUANTIZE */

int tsrt_prepare_dequantize(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(tsrt_elems(in) == tsrt_elems(out), TSRT_ERR_INVALID,
               "shapes differ");
  TSRT_REQUIRE(out->type == TSRT_FLOAT32 &&
                   (in->type == TSRT_INT8 || in->type == TSRT_INT16 ||
                    in->type == TSRT_UINT8),
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: int8/int16/uint8 -> float32");
  return TSRT_OK;
}

int tsrt_eval_dequantize(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const int32_t n = tsrt_elems(in);
  float *y = (float *)out->data;
  int32_t i;
  /* (float)(double(scale) * (v - zp)) is exact to round once: same as float */
  for (i = 0; i < n; i++)
    y[i] = (float)(load_int(in->data, in->type, (size_t)i) - in->zero_point) *
           in->scale;
  return TSRT_OK;
}

/* ------------------------------------------------------------ CONCAT */

typedef struct {
  int32_t axis;
} cat_data;

int tsrt_prepare_concat(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *out = tsrt_out(m, op, 0);
  cat_data *d;
  int32_t axis, sum = 0;
  int i, k;
  TSRT_REQUIRE(op->nin >= 1 && out, TSRT_ERR_INVALID, "needs inputs");
  TSRT_REQUIRE(tsrt_type_size(out->type) != 0, TSRT_ERR_UNSUPPORTED_TYPE,
               "unsupported tensor type");
  axis = tsrt_opt_int(c, op, 0, 4, 1, 0);
  TSRT_REQUIRE(tsrt_opt_int(c, op, 1, 1, 1, 0) == TSRT_ACT_NONE,
               TSRT_ERR_INVALID, "fused activation not supported");
  if (axis < 0) axis += out->ndims;
  TSRT_REQUIRE(axis >= 0 && axis < out->ndims, TSRT_ERR_INVALID,
               "axis out of range");
  for (i = 0; i < op->nin; i++) {
    tsrt_tensor *t = tsrt_in(m, op, i);
    TSRT_REQUIRE(t && t->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
                 "input types differ from the output");
    TSRT_REQUIRE(t->ndims == out->ndims, TSRT_ERR_INVALID,
                 "inputs must have the output's rank");
    for (k = 0; k < out->ndims; k++)
      if (k != axis)
        TSRT_REQUIRE(t->dims[k] == out->dims[k], TSRT_ERR_INVALID,
                     "non-axis dimensions differ");
    sum += t->dims[axis];
  }
  TSRT_REQUIRE(sum == out->dims[axis], TSRT_ERR_INVALID,
               "axis sizes do not add up");
  d = (cat_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  d->axis = axis;
  op->data = d;
  return TSRT_OK;
}

int tsrt_eval_concat(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *out = tsrt_out(m, op, 0);
  const cat_data *d = (const cat_data *)op->data;
  const size_t esz = (size_t)tsrt_type_size(out->type);
  size_t outer = 1, inner = esz, o, pos = 0;
  int k, i;
  for (k = 0; k < d->axis; k++) outer *= (size_t)out->dims[k];
  for (k = d->axis + 1; k < out->ndims; k++) inner *= (size_t)out->dims[k];
  for (o = 0; o < outer; o++) {
    for (i = 0; i < op->nin; i++) {
      const tsrt_tensor *t = tsrt_in(m, op, i);
      const size_t chunk = (size_t)t->dims[d->axis] * inner;
      memcpy((uint8_t *)out->data + pos, (const uint8_t *)t->data + o * chunk,
             chunk);
      pos += chunk;
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ MEAN */

typedef struct {
  int32_t mult, shift;     /* folded with 1/count (integer types) */
  int32_t in_zp, out_zp;
  int32_t count;           /* elements per output */
  int32_t ndims;
  int32_t dims[TSRT_MAX_DIMS];
  int32_t ostride[TSRT_MAX_DIMS]; /* output stride per input dim (0=reduced) */
} mean_data;

int tsrt_prepare_mean(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *ax = tsrt_in(m, op, 1);
  tsrt_tensor *out = tsrt_out(m, op, 0);
  mean_data *d;
  int reduced[TSRT_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
  int32_t i, n, st = 1, count = 1, outn = 1;
  TSRT_REQUIRE(op->nin == 2 && in && ax && out, TSRT_ERR_INVALID,
               "needs input, axis, output");
  TSRT_REQUIRE(ax->type == TSRT_INT32 && (ax->flags & TSRT_TF_CONST),
               TSRT_ERR_INVALID, "axis must be a constant int32 tensor");
  TSRT_REQUIRE(in->type == out->type &&
                   (in->type == TSRT_FLOAT32 || in->type == TSRT_INT8 ||
                    in->type == TSRT_INT16),
               TSRT_ERR_UNSUPPORTED_TYPE, "supported: float32, int8, int16");
  TSRT_REQUIRE(in->ndims >= 1 && in->ndims <= TSRT_MAX_DIMS, TSRT_ERR_INVALID,
               "input rank must be 1..6");
  d = (mean_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  n = tsrt_elems(ax);
  for (i = 0; i < n; i++) {
    int32_t a = index_at(ax, i);
    if (a < 0) a += in->ndims;
    TSRT_REQUIRE(a >= 0 && a < in->ndims, TSRT_ERR_INVALID,
                 "axis out of range");
    if (!reduced[a]) count *= in->dims[a];
    reduced[a] = 1;
  }
  d->ndims = in->ndims;
  for (i = in->ndims - 1; i >= 0; i--) {
    d->dims[i] = in->dims[i];
    d->ostride[i] = reduced[i] ? 0 : st;
    if (!reduced[i]) {
      st *= in->dims[i];
      outn *= in->dims[i];
    }
  }
  TSRT_REQUIRE(outn == tsrt_elems(out), TSRT_ERR_INVALID,
               "output size does not match the reduction");
  d->count = count;
  if (in->type != TSRT_FLOAT32) {
    int sh, s;
    int32_t mult;
    tsrt_quantize_multiplier(c, (double)in->scale / (double)out->scale, &mult,
                             &sh);
    if (count > 0) {
      s = 31 - tsrt_clz32((uint32_t)count); /* floor(log2(count)) */
      if (s > 32) s = 32;
      if (s > 31 + sh) s = 31 + sh;
      mult = (int32_t)(((int64_t)mult << s) / count);
      sh -= s;
    }
    d->mult = mult;
    d->shift = sh;
    d->in_zp = in->zero_point;
    d->out_zp = out->zero_point;
    op->scratch_bytes = (uint32_t)(sizeof(int32_t) * (size_t)outn);
  }
  return TSRT_OK;
}

int tsrt_eval_mean(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const mean_data *d = (const mean_data *)op->data;
  const int32_t n = tsrt_elems(in), outn = tsrt_elems(out);
  int32_t idx[TSRT_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
  int32_t i, k;
  size_t o = 0;
  if (in->type == TSRT_FLOAT32) {
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    for (i = 0; i < outn; i++) y[i] = 0.0f;
    for (i = 0; i < n; i++) {
      y[o] += x[i];
      for (k = d->ndims - 1; k >= 0; k--) {
        idx[k]++;
        o += (size_t)d->ostride[k];
        if (idx[k] < d->dims[k]) break;
        o -= (size_t)d->ostride[k] * (size_t)idx[k];
        idx[k] = 0;
      }
    }
    if (d->count > 0)
      for (i = 0; i < outn; i++) y[i] = y[i] / (float)d->count;
  } else {
    int32_t *sum = (int32_t *)op->scratch;
    const int32_t lo = type_min(in->type), hi = type_max(in->type);
    for (i = 0; i < outn; i++) sum[i] = 0;
    for (i = 0; i < n; i++) {
      sum[o] += load_int(in->data, in->type, (size_t)i);
      for (k = d->ndims - 1; k >= 0; k--) {
        idx[k]++;
        o += (size_t)d->ostride[k];
        if (idx[k] < d->dims[k]) break;
        o -= (size_t)d->ostride[k] * (size_t)idx[k];
        idx[k] = 0;
      }
    }
    for (i = 0; i < outn; i++) {
      int32_t r;
      if (d->count == 0) {
        r = 0;
      } else {
        const int32_t s = sum[i] - d->in_zp * d->count;
        r = tsrt_mbqm(s, d->mult, d->shift) + d->out_zp;
        r = tsrt_clamp(r, lo, hi);
      }
      store_int(out->data, out->type, (size_t)i, r);
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ PAD */

typedef struct {
  int32_t ndims;
  int32_t before[TSRT_MAX_DIMS];
  int32_t in_dims[TSRT_MAX_DIMS];
  int32_t out_dims[TSRT_MAX_DIMS];
  int32_t pad_value;
} pad_data;

int tsrt_prepare_pad(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *p = tsrt_in(m, op, 1);
  tsrt_tensor *out = tsrt_out(m, op, 0);
  pad_data *d;
  int32_t i;
  TSRT_REQUIRE(op->nin == 2 && in && p && out, TSRT_ERR_INVALID,
               "needs input, paddings, output");
  TSRT_REQUIRE(in->type == out->type &&
                   (in->type == TSRT_FLOAT32 || in->type == TSRT_INT8 ||
                    in->type == TSRT_INT16 || in->type == TSRT_INT32),
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32, int8, int16, int32");
  TSRT_REQUIRE((p->type == TSRT_INT32 || p->type == TSRT_INT64) &&
                   (p->flags & TSRT_TF_CONST),
               TSRT_ERR_INVALID, "paddings must be a constant int32 tensor");
  TSRT_REQUIRE(in->ndims >= 1 && in->ndims <= 5 && out->ndims == in->ndims &&
                   tsrt_elems(p) == 2 * in->ndims,
               TSRT_ERR_INVALID, "rank must be 1..5, paddings [rank, 2]");
  d = (pad_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  d->ndims = in->ndims;
  for (i = 0; i < in->ndims; i++) {
    const int32_t b = index_at(p, 2 * i), a = index_at(p, 2 * i + 1);
    TSRT_REQUIRE(b >= 0 && a >= 0, TSRT_ERR_INVALID,
                 "negative paddings are not supported");
    TSRT_REQUIRE(in->dims[i] + b + a == out->dims[i], TSRT_ERR_INVALID,
                 "output shape does not match the paddings");
    d->before[i] = b;
    d->in_dims[i] = in->dims[i];
    d->out_dims[i] = out->dims[i];
  }
  d->pad_value = in->type == TSRT_FLOAT32 ? 0 : out->zero_point;
  return TSRT_OK;
}

int tsrt_eval_pad(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const pad_data *d = (const pad_data *)op->data;
  const size_t esz = (size_t)tsrt_type_size(out->type);
  const int32_t n = tsrt_elems(out);
  int32_t idx[TSRT_MAX_DIMS] = {0, 0, 0, 0, 0, 0};
  int32_t i, k;
  for (i = 0; i < n; i++) {
    int inside = 1;
    size_t src = 0;
    for (k = 0; k < d->ndims; k++) {
      const int32_t s = idx[k] - d->before[k];
      if (s < 0 || s >= d->in_dims[k]) {
        inside = 0;
        break;
      }
      src = src * (size_t)d->in_dims[k] + (size_t)s;
    }
    if (inside) {
      memcpy((uint8_t *)out->data + (size_t)i * esz,
             (const uint8_t *)in->data + src * esz, esz);
    } else if (out->type == TSRT_FLOAT32) {
      ((float *)out->data)[i] = 0.0f;
    } else {
      store_int(out->data, out->type, (size_t)i, d->pad_value);
    }
    for (k = d->ndims - 1; k >= 0; k--) {
      if (++idx[k] < d->out_dims[k]) break;
      idx[k] = 0;
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ STRIDED_SLICE */

typedef struct {
  int32_t start[5], stop[5], stride[5], shape[5];
} ss_data;

static int32_t clampi(int32_t v, int32_t lo, int32_t hi) {
  return hi < v ? hi : (v < lo ? lo : v);
}

int tsrt_prepare_strided_slice(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *tb = tsrt_in(m, op, 1);
  tsrt_tensor *te = tsrt_in(m, op, 2), *ts = tsrt_in(m, op, 3);
  tsrt_tensor *out = tsrt_out(m, op, 0);
  ss_data *d;
  int32_t begin_mask, end_mask, shrink_mask, offset, dims, i, pad, osz = 0;
  TSRT_REQUIRE(op->nin == 4 && in && tb && te && ts && out, TSRT_ERR_INVALID,
               "needs input, begin, end, strides, output");
  TSRT_REQUIRE((tb->flags & te->flags & ts->flags & TSRT_TF_CONST) &&
                   tb->type == TSRT_INT32 && te->type == TSRT_INT32 &&
                   ts->type == TSRT_INT32,
               TSRT_ERR_INVALID,
               "begin/end/strides must be constant int32 tensors");
  TSRT_REQUIRE(in->type == out->type && tsrt_type_size(in->type) != 0,
               TSRT_ERR_UNSUPPORTED_TYPE, "input and output types differ");
  dims = in->ndims;
  TSRT_REQUIRE(dims >= 1 && dims <= 4, TSRT_ERR_INVALID,
               "input rank must be 1..4");
  TSRT_REQUIRE(tsrt_elems(tb) >= dims && tsrt_elems(te) >= dims &&
                   tsrt_elems(ts) >= dims,
               TSRT_ERR_INVALID, "begin/end/strides shorter than the rank");
  begin_mask = tsrt_opt_int(c, op, 0, 4, 1, 0);
  end_mask = tsrt_opt_int(c, op, 1, 4, 1, 0);
  /* TFLM ignores ellipsis_mask (2) and new_axis_mask (3) */
  shrink_mask = tsrt_opt_int(c, op, 4, 4, 1, 0);
  offset = tsrt_opt_int(c, op, 5, 1, 0, 0);
  d = (ss_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;

  /* output shape check, as TFLM's CheckOutputSize (StartForAxis/StopForAxis) */
  for (i = 0; i < dims; i++) {
    const int32_t axis_size = in->dims[i];
    const int32_t stride = ((const int32_t *)ts->data)[i];
    int32_t b = ((const int32_t *)tb->data)[i];
    int32_t e = ((const int32_t *)te->data)[i];
    int32_t n;
    TSRT_REQUIRE(stride != 0, TSRT_ERR_INVALID, "stride must be non-zero");
    if (axis_size == 0) {
      b = e = 0;
    } else {
      if (begin_mask & (1 << i)) b = stride > 0 ? INT32_MIN : INT32_MAX;
      if (b < 0) b += axis_size;
      b = stride > 0 ? clampi(b, 0, axis_size) : clampi(b, -1, axis_size - 1);
      if (shrink_mask & (1 << i)) {
        e = b + 1;
      } else {
        if (end_mask & (1 << i)) e = stride > 0 ? INT32_MAX : INT32_MIN;
        if (e < 0) e += axis_size;
        e = stride > 0 ? clampi(e, 0, axis_size)
                       : clampi(e, -1, axis_size - 1);
      }
    }
    if (shrink_mask & (1 << i)) e = b + 1;
    {
      const float q = (float)(e - b) / (float)stride;
      n = (int32_t)q;
      if ((float)n < q) n++; /* ceil */
      if (n < 0) n = 0;
    }
    if (!(shrink_mask & (1 << i))) {
      TSRT_REQUIRE(osz < out->ndims && out->dims[osz] == n, TSRT_ERR_INVALID,
                   "output shape does not match the slice");
      osz++;
    }
  }
  TSRT_REQUIRE(osz == out->ndims, TSRT_ERR_INVALID,
               "output rank does not match the slice");

  /* run-time parameters, padded to 5-D (StridedSlicePadIndices) */
  pad = 5 - dims;
  /* bits above the input's rank select no axis; dropping them first keeps
   * the shift in range whatever the file holds */
  begin_mask = ((begin_mask & ((1 << dims) - 1)) << pad) | ((1 << pad) - 1);
  end_mask = ((end_mask & ((1 << dims) - 1)) << pad) | ((1 << pad) - 1);
  shrink_mask = (shrink_mask & ((1 << dims) - 1)) << pad;
  for (i = 0; i < 5; i++) {
    const int k = i - pad;
    const int32_t axis_size = k >= 0 ? in->dims[k] : 1;
    const int32_t stride = k >= 0 ? ((const int32_t *)ts->data)[k] : 1;
    int32_t start = k >= 0 ? ((const int32_t *)tb->data)[k] : 0;
    int32_t end = k >= 0 ? ((const int32_t *)te->data)[k] : 1;
    d->shape[i] = axis_size;
    d->stride[i] = stride;
    /* StridedSliceStartForAxis */
    if (start < 0) start += axis_size;
    start = stride > 0 ? clampi(start, 0, axis_size)
                       : clampi(start, -1, axis_size - 1);
    if (begin_mask & (1 << i)) start = stride > 0 ? 0 : axis_size - 1;
    /* StridedSliceEndForAxis */
    if (shrink_mask & (1 << i)) {
      end = start >= axis_size ? start : start + 1;
    } else {
      if (offset) end += start;
      if (end < 0) end += axis_size;
      end = stride > 0 ? clampi(end, 0, axis_size)
                       : clampi(end, -1, axis_size - 1);
      if (end_mask & (1 << i)) end = stride > 0 ? axis_size : -1;
    }
    d->start[i] = start;
    d->stop[i] = end;
  }
  return TSRT_OK;
}

static int ss_cont(int32_t end, int32_t stride, int32_t index) {
  return stride < 0 ? index > end : index < end;
}

int tsrt_eval_strided_slice(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const ss_data *d = (const ss_data *)op->data;
  const size_t esz = (size_t)tsrt_type_size(in->type);
  const int32_t *s = d->shape;
  uint8_t *dst = (uint8_t *)out->data;
  const uint8_t *src = (const uint8_t *)in->data;
  size_t w = 0, cap = out->bytes;
  int32_t a0, a1, a2, a3, a4;
  for (a0 = d->start[0]; ss_cont(d->stop[0], d->stride[0], a0); a0 += d->stride[0])
    for (a1 = d->start[1]; ss_cont(d->stop[1], d->stride[1], a1); a1 += d->stride[1])
      for (a2 = d->start[2]; ss_cont(d->stop[2], d->stride[2], a2); a2 += d->stride[2])
        for (a3 = d->start[3]; ss_cont(d->stop[3], d->stride[3], a3); a3 += d->stride[3])
          for (a4 = d->start[4]; ss_cont(d->stop[4], d->stride[4], a4); a4 += d->stride[4]) {
            const size_t idx =
                ((((size_t)a0 * s[1] + (size_t)a1) * s[2] + (size_t)a2) * s[3] +
                 (size_t)a3) * s[4] + (size_t)a4;
            if (w + esz > cap) return TSRT_ERR_INVALID;
            memcpy(dst + w, src + idx * esz, esz);
            w += esz;
          }
  return TSRT_OK;
}
