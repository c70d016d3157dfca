/* CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D.
 * Loop orders and accumulation orders follow TFLM's reference kernels so that
 * float results are bit-identical too. */
#include "tsrt_nn.h"

/* TFLM ComputePaddingHeightWidth (only the padding is used by kernels). */
static int32_t out_size(int padding, int32_t in, int32_t filt, int32_t stride,
                        int32_t dil) {
  const int32_t eff = (filt - 1) * dil + 1;
  if (stride <= 0) return 0;
  if (padding == 0) return (in + stride - 1) / stride; /* SAME */
  return (in + stride - eff) / stride;                 /* VALID */
}

static int32_t padding_for(int32_t stride, int32_t dil, int32_t in,
                           int32_t filt, int32_t out) {
  const int32_t eff = (filt - 1) * dil + 1;
  int32_t total = (out - 1) * stride + eff - in;
  total = total > 0 ? total : 0;
  return total / 2;
}

/* Strides and dilations positive, and small enough that the window size
 * (filt - 1) * dil + 1 and the padding arithmetic stay within int32 (a
 * corrupt file holds any 32-bit value; real models a few units). */
static int window_ok(const nn_data *d, const tsrt_tensor *in, int32_t f_h,
                     int32_t f_w) {
  const int64_t lim = (int64_t)1 << 30;
  return d->stride_w > 0 && d->stride_h > 0 && d->dil_w > 0 &&
         d->dil_h > 0 && f_h > 0 && f_w > 0 && d->stride_w <= lim &&
         d->stride_h <= lim && in->dims[1] <= lim && in->dims[2] <= lim &&
         (int64_t)(f_h - 1) * d->dil_h + 1 <= lim &&
         (int64_t)(f_w - 1) * d->dil_w + 1 <= lim;
}

static void compute_padding(nn_data *d, int padding, int32_t in_h,
                            int32_t in_w, int32_t f_h, int32_t f_w) {
  const int32_t oh = out_size(padding, in_h, f_h, d->stride_h, d->dil_h);
  const int32_t ow = out_size(padding, in_w, f_w, d->stride_w, d->dil_w);
  d->pad_h = padding_for(d->stride_h, d->dil_h, in_h, f_h, oh);
  d->pad_w = padding_for(d->stride_w, d->dil_w, in_w, f_w, ow);
}

/* Per-channel multipliers as TFLM PopulateConvolutionQuantizationParams. */
static int per_channel(tsrt_ctx *c, tsrt_op *op, int op_index, nn_data *d,
                       const tsrt_tensor *in, const tsrt_tensor *f,
                       const tsrt_tensor *out, int32_t nch) {
  int32_t i;
  TSRT_REQUIRE(f->nscales == 1 || f->nscales == nch, TSRT_ERR_INVALID,
               "filter scale count must be 1 or the channel count");
  TSRT_REQUIRE(nch > 0, TSRT_ERR_INVALID, "no output channels");
  d->mult = (int32_t *)tsrt_palloc(c->m, sizeof(int32_t) * (size_t)nch);
  d->shift = (int32_t *)tsrt_palloc(c->m, sizeof(int32_t) * (size_t)nch);
  if (!d->mult || !d->shift) return c->m->status;
  for (i = 0; i < nch; i++) {
    const float s = f->nscales > 1 ? f->scales[i] : f->scale;
    const double eff = (double)in->scale * (double)s / (double)out->scale;
    int sh;
    tsrt_quantize_multiplier(c, eff, &d->mult[i], &sh);
    c->bad_scales |= (in->type == TSRT_INT16) & (sh > 14); /* mbqm64 */
    d->shift[i] = sh;
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ CONV_2D */

int tsrt_prepare_conv(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  nn_data *d;
  int padding, act;
  TSRT_REQUIRE(op->nin >= 2 && op->nin <= 3 && in && f && out,
               TSRT_ERR_INVALID, "needs input, filter, [bias], output");
  TSRT_REQUIRE(in->ndims == 4 && f->ndims == 4 && out->ndims == 4,
               TSRT_ERR_INVALID, "input, filter and output must be 4-D");
  TSRT_REQUIRE(in->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
               "input and output types differ");
  TSRT_REQUIRE((in->type == TSRT_FLOAT32 && f->type == TSRT_FLOAT32) ||
                   (in->type == TSRT_INT8 && f->type == TSRT_INT8) ||
                   (in->type == TSRT_INT16 && f->type == TSRT_INT8),
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32, int8 (int8 filter), int16 (int8 filter)");
  TSRT_REQUIRE(f->flags & TSRT_TF_CONST, TSRT_ERR_INVALID,
               "filter must be constant");
  TSRT_REQUIRE(out->dims[0] == in->dims[0], TSRT_ERR_INVALID,
               "input and output batch differ");
  TSRT_REQUIRE(f->dims[3] > 0 && in->dims[3] % f->dims[3] == 0 &&
                   f->dims[0] == out->dims[3] &&
                   out->dims[3] % (in->dims[3] / f->dims[3]) == 0,
               TSRT_ERR_INVALID, "channel counts do not match");
  if (b) {
    TSRT_REQUIRE(b->flags & TSRT_TF_CONST, TSRT_ERR_INVALID,
                 "bias must be constant");
    TSRT_REQUIRE(tsrt_elems(b) == out->dims[3], TSRT_ERR_INVALID,
                 "bias size must equal output channels");
    TSRT_REQUIRE((in->type == TSRT_FLOAT32 && b->type == TSRT_FLOAT32) ||
                     (in->type == TSRT_INT8 && b->type == TSRT_INT32) ||
                     (in->type == TSRT_INT16 &&
                      (b->type == TSRT_INT64 || b->type == TSRT_INT32)),
                 TSRT_ERR_UNSUPPORTED_TYPE, "unsupported bias type");
  }
  d = (nn_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  padding = tsrt_opt_int(c, op, 0, 1, 1, 0);
  d->stride_w = tsrt_opt_int(c, op, 1, 4, 1, 0);
  d->stride_h = tsrt_opt_int(c, op, 2, 4, 1, 0);
  act = tsrt_opt_int(c, op, 3, 1, 1, 0);
  d->dil_w = tsrt_opt_int(c, op, 4, 4, 1, 1);
  d->dil_h = tsrt_opt_int(c, op, 5, 4, 1, 1);
  TSRT_REQUIRE(window_ok(d, in, f->dims[1], f->dims[2]), TSRT_ERR_INVALID,
               "strides and dilations must be positive and in range");
  compute_padding(d, padding, in->dims[1], in->dims[2], f->dims[1],
                  f->dims[2]);
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(act <= TSRT_ACT_RELU6, TSRT_ERR_INVALID,
                 "unsupported fused activation");
    tsrt_act_range_f(act, &d->fmin, &d->fmax);
    return TSRT_OK;
  }
  TSRT_REQUIRE(tsrt_act_range_q(act, out, &d->act_min, &d->act_max),
               TSRT_ERR_INVALID, "unsupported fused activation");
  d->in_zp = in->zero_point;
  d->out_zp = out->zero_point;
  return per_channel(c, op, op_index, d, in, f, out, f->dims[0]);
}

int tsrt_eval_conv(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2];
  const int32_t in_d = in->dims[3];
  const int32_t f_h = f->dims[1], f_w = f->dims[2], f_d = f->dims[3];
  const int32_t out_h = out->dims[1], out_w = out->dims[2];
  const int32_t out_d = out->dims[3];
  const int32_t groups = in_d / f_d;
  const int32_t per_group = out_d / groups;
  int32_t bt, oy, ox, oc, fy, fx, ic;

  for (bt = 0; bt < batches; bt++) {
    for (oy = 0; oy < out_h; oy++) {
      const int32_t iy0 = oy * d->stride_h - d->pad_h;
      for (ox = 0; ox < out_w; ox++) {
        const int32_t ix0 = ox * d->stride_w - d->pad_w;
        for (oc = 0; oc < out_d; oc++) {
          const int32_t g = oc / per_group;
          const size_t oidx =
              (((size_t)bt * out_h + oy) * out_w + ox) * out_d + oc;
          if (in->type == TSRT_FLOAT32) {
            const float *ip = (const float *)in->data;
            const float *fp = (const float *)f->data;
            float total = 0.0f, bias = 0.0f;
            for (fy = 0; fy < f_h; fy++) {
              const int32_t iy = iy0 + d->dil_h * fy;
              for (fx = 0; fx < f_w; fx++) {
                const int32_t ix = ix0 + d->dil_w * fx;
                const float *irow, *frow;
                if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                irow = ip + (((size_t)bt * in_h + iy) * in_w + ix) * in_d +
                       (size_t)g * f_d;
                frow = fp + (((size_t)oc * f_h + fy) * f_w + fx) * f_d;
                for (ic = 0; ic < f_d; ic++) total += irow[ic] * frow[ic];
              }
            }
            if (b) bias = ((const float *)b->data)[oc];
            ((float *)out->data)[oidx] =
                tsrt_clampf(total + bias, d->fmin, d->fmax);
          } else if (in->type == TSRT_INT8) {
            const int8_t *ip = (const int8_t *)in->data;
            const int8_t *fp = (const int8_t *)f->data;
            const int32_t in_off = -d->in_zp;
            int32_t acc = 0;
            for (fy = 0; fy < f_h; fy++) {
              const int32_t iy = iy0 + d->dil_h * fy;
              for (fx = 0; fx < f_w; fx++) {
                const int32_t ix = ix0 + d->dil_w * fx;
                const int8_t *irow, *frow;
                if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                irow = ip + (((size_t)bt * in_h + iy) * in_w + ix) * in_d +
                       (size_t)g * f_d;
                frow = fp + (((size_t)oc * f_h + fy) * f_w + fx) * f_d;
                for (ic = 0; ic < f_d; ic++)
                  acc += (int32_t)frow[ic] * ((int32_t)irow[ic] + in_off);
              }
            }
            if (b) acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
            acc = tsrt_mbqm(acc, d->mult[oc], d->shift[oc]);
            acc += d->out_zp;
            ((int8_t *)out->data)[oidx] =
                (int8_t)tsrt_clamp(acc, d->act_min, d->act_max);
          } else {
            const int16_t *ip = (const int16_t *)in->data;
            const int8_t *fp = (const int8_t *)f->data;
            int64_t acc = 0;
            int32_t r;
            for (fy = 0; fy < f_h; fy++) {
              const int32_t iy = iy0 + d->dil_h * fy;
              for (fx = 0; fx < f_w; fx++) {
                const int32_t ix = ix0 + d->dil_w * fx;
                const int16_t *irow;
                const int8_t *frow;
                if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                irow = ip + (((size_t)bt * in_h + iy) * in_w + ix) * in_d +
                       (size_t)g * f_d;
                frow = fp + (((size_t)oc * f_h + fy) * f_w + fx) * f_d;
                for (ic = 0; ic < f_d; ic++)
                  acc += (int64_t)((int32_t)frow[ic] * (int32_t)irow[ic]);
              }
            }
            if (b) {
              if (b->type == TSRT_INT64)
                acc += ((const int64_t *)b->data)[oc];
              else
                acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
            }
            r = tsrt_mbqm64(acc, d->mult[oc], d->shift[oc]);
            ((int16_t *)out->data)[oidx] =
                (int16_t)tsrt_clamp(r, d->act_min, d->act_max);
          }
        }
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ DEPTHWISE */

int tsrt_prepare_dwconv(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  nn_data *d;
  int padding, act;
  TSRT_REQUIRE(op->nin >= 2 && op->nin <= 3 && in && f && out,
               TSRT_ERR_INVALID, "needs input, filter, [bias], output");
  TSRT_REQUIRE(in->ndims == 4 && f->ndims == 4 && out->ndims == 4,
               TSRT_ERR_INVALID, "input, filter and output must be 4-D");
  TSRT_REQUIRE(in->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
               "input and output types differ");
  TSRT_REQUIRE((in->type == TSRT_FLOAT32 && f->type == TSRT_FLOAT32) ||
                   (in->type == TSRT_INT8 && f->type == TSRT_INT8) ||
                   (in->type == TSRT_INT16 && f->type == TSRT_INT8),
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32, int8 (int8 filter), int16 (int8 filter)");
  TSRT_REQUIRE(f->flags & TSRT_TF_CONST, TSRT_ERR_INVALID,
               "filter must be constant");
  d = (nn_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  padding = tsrt_opt_int(c, op, 0, 1, 1, 0);
  d->stride_w = tsrt_opt_int(c, op, 1, 4, 1, 0);
  d->stride_h = tsrt_opt_int(c, op, 2, 4, 1, 0);
  d->depth_multiplier = tsrt_opt_int(c, op, 3, 4, 1, 0);
  act = tsrt_opt_int(c, op, 4, 1, 1, 0);
  d->dil_w = tsrt_opt_int(c, op, 5, 4, 1, 1);
  d->dil_h = tsrt_opt_int(c, op, 6, 4, 1, 1);
  TSRT_REQUIRE(window_ok(d, in, f->dims[1], f->dims[2]), TSRT_ERR_INVALID,
               "strides and dilations must be positive and in range");
  TSRT_REQUIRE(out->dims[0] == in->dims[0], TSRT_ERR_INVALID,
               "input and output batch differ");
  TSRT_REQUIRE(d->depth_multiplier > 0 &&
                   (int64_t)out->dims[3] ==
                       (int64_t)in->dims[3] * d->depth_multiplier &&
                   f->dims[3] == out->dims[3],
               TSRT_ERR_INVALID, "depth multiplier / channels mismatch");
  if (b) {
    TSRT_REQUIRE(b->flags & TSRT_TF_CONST, TSRT_ERR_INVALID,
                 "bias must be constant");
    TSRT_REQUIRE(tsrt_elems(b) == out->dims[3], TSRT_ERR_INVALID,
                 "bias size must equal output channels");
    TSRT_REQUIRE((in->type == TSRT_FLOAT32 && b->type == TSRT_FLOAT32) ||
                     (in->type == TSRT_INT8 && b->type == TSRT_INT32) ||
                     (in->type == TSRT_INT16 &&
                      (b->type == TSRT_INT64 || b->type == TSRT_INT32)),
                 TSRT_ERR_UNSUPPORTED_TYPE, "unsupported bias type");
  }
  compute_padding(d, padding, in->dims[1], in->dims[2], f->dims[1],
                  f->dims[2]);
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(act <= TSRT_ACT_RELU6, TSRT_ERR_INVALID,
                 "unsupported fused activation");
    tsrt_act_range_f(act, &d->fmin, &d->fmax);
    return TSRT_OK;
  }
  TSRT_REQUIRE(tsrt_act_range_q(act, out, &d->act_min, &d->act_max),
               TSRT_ERR_INVALID, "unsupported fused activation");
  d->in_zp = in->zero_point;
  d->out_zp = out->zero_point;
  return per_channel(c, op, op_index, d, in, f, out, f->dims[3]);
}

int tsrt_eval_dwconv(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2];
  const int32_t in_d = in->dims[3];
  const int32_t f_h = f->dims[1], f_w = f->dims[2];
  const int32_t out_h = out->dims[1], out_w = out->dims[2];
  const int32_t out_d = out->dims[3];
  const int32_t dm = d->depth_multiplier;
  int32_t bt, oy, ox, ic, mm, fy, fx;

  for (bt = 0; bt < batches; bt++) {
    for (oy = 0; oy < out_h; oy++) {
      for (ox = 0; ox < out_w; ox++) {
        for (ic = 0; ic < in_d; ic++) {
          for (mm = 0; mm < dm; mm++) {
            const int32_t oc = mm + ic * dm;
            const int32_t iy0 = oy * d->stride_h - d->pad_h;
            const int32_t ix0 = ox * d->stride_w - d->pad_w;
            const size_t oidx =
                (((size_t)bt * out_h + oy) * out_w + ox) * out_d + oc;
            if (in->type == TSRT_FLOAT32) {
              const float *ip = (const float *)in->data;
              const float *fp = (const float *)f->data;
              float total = 0.0f, bias = 0.0f;
              for (fy = 0; fy < f_h; fy++) {
                const int32_t iy = iy0 + d->dil_h * fy;
                for (fx = 0; fx < f_w; fx++) {
                  const int32_t ix = ix0 + d->dil_w * fx;
                  if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                  total +=
                      ip[(((size_t)bt * in_h + iy) * in_w + ix) * in_d + ic] *
                      fp[((size_t)fy * f_w + fx) * out_d + oc];
                }
              }
              if (b) bias = ((const float *)b->data)[oc];
              ((float *)out->data)[oidx] =
                  tsrt_clampf(total + bias, d->fmin, d->fmax);
            } else if (in->type == TSRT_INT8) {
              const int8_t *ip = (const int8_t *)in->data;
              const int8_t *fp = (const int8_t *)f->data;
              const int32_t in_off = -d->in_zp;
              int32_t acc = 0;
              for (fy = 0; fy < f_h; fy++) {
                const int32_t iy = iy0 + d->dil_h * fy;
                for (fx = 0; fx < f_w; fx++) {
                  const int32_t ix = ix0 + d->dil_w * fx;
                  if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                  acc += (int32_t)fp[((size_t)fy * f_w + fx) * out_d + oc] *
                         ((int32_t)ip[(((size_t)bt * in_h + iy) * in_w + ix) *
                                          in_d +
                                      ic] +
                          in_off);
                }
              }
              if (b) acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
              acc = tsrt_mbqm(acc, d->mult[oc], d->shift[oc]);
              acc += d->out_zp;
              ((int8_t *)out->data)[oidx] =
                  (int8_t)tsrt_clamp(acc, d->act_min, d->act_max);
            } else {
              const int16_t *ip = (const int16_t *)in->data;
              const int8_t *fp = (const int8_t *)f->data;
              int64_t acc = 0;
              int32_t r;
              for (fy = 0; fy < f_h; fy++) {
                const int32_t iy = iy0 + d->dil_h * fy;
                for (fx = 0; fx < f_w; fx++) {
                  const int32_t ix = ix0 + d->dil_w * fx;
                  if (ix < 0 || ix >= in_w || iy < 0 || iy >= in_h) continue;
                  acc += (int64_t)(
                      (int32_t)fp[((size_t)fy * f_w + fx) * out_d + oc] *
                      (int32_t)ip[(((size_t)bt * in_h + iy) * in_w + ix) *
                                      in_d +
                                  ic]);
                }
              }
              if (b) {
                if (b->type == TSRT_INT64)
                  acc += ((const int64_t *)b->data)[oc];
                else
                  acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
              }
              r = tsrt_mbqm64(acc, d->mult[oc], d->shift[oc]);
              ((int16_t *)out->data)[oidx] =
                  (int16_t)tsrt_clamp(r, d->act_min, d->act_max);
            }
          }
        }
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ FC */

int tsrt_prepare_fc(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  nn_data *d;
  int act, wf;
  int32_t out_depth, accum, batches;
  TSRT_REQUIRE(op->nin >= 2 && op->nin <= 3 && in && f && out,
               TSRT_ERR_INVALID, "needs input, weights, [bias], output");
  TSRT_REQUIRE(f->ndims == 2 && out->ndims >= 1, TSRT_ERR_INVALID,
               "weights must be 2-D");
  TSRT_REQUIRE(in->type == out->type, TSRT_ERR_UNSUPPORTED_TYPE,
               "input and output types differ");
  TSRT_REQUIRE((in->type == TSRT_FLOAT32 && f->type == TSRT_FLOAT32) ||
                   (in->type == TSRT_INT8 && f->type == TSRT_INT8) ||
                   (in->type == TSRT_INT16 && f->type == TSRT_INT8),
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32, int8 (int8 weights), int16 (int8 weights)");
  wf = tsrt_opt_int(c, op, 1, 1, 1, 0);
  TSRT_REQUIRE(wf == 0, TSRT_ERR_INVALID, "only DEFAULT weights format");
  out_depth = f->dims[0];
  accum = f->dims[1];
  TSRT_REQUIRE(out->dims[out->ndims - 1] == out_depth && out_depth > 0,
               TSRT_ERR_INVALID, "output depth != weights rows");
  batches = tsrt_elems(out) / out_depth;
  TSRT_REQUIRE((int64_t)batches * accum == tsrt_elems(in), TSRT_ERR_INVALID,
               "input size != batches * weights columns");
  if (b) {
    TSRT_REQUIRE(b->flags & TSRT_TF_CONST, TSRT_ERR_INVALID,
                 "bias must be constant");
    TSRT_REQUIRE(tsrt_elems(b) == out_depth, TSRT_ERR_INVALID,
                 "bias size must equal output depth");
    TSRT_REQUIRE((in->type == TSRT_FLOAT32 && b->type == TSRT_FLOAT32) ||
                     (in->type == TSRT_INT8 && b->type == TSRT_INT32) ||
                     (in->type == TSRT_INT16 &&
                      (b->type == TSRT_INT64 || b->type == TSRT_INT32)),
                 TSRT_ERR_UNSUPPORTED_TYPE, "unsupported bias type");
  }
  d = (nn_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  act = tsrt_opt_int(c, op, 0, 1, 1, 0);
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(act <= TSRT_ACT_RELU6, TSRT_ERR_INVALID,
                 "unsupported fused activation");
    tsrt_act_range_f(act, &d->fmin, &d->fmax);
    return TSRT_OK;
  }
  if (f->nscales > 1) {
    int rc;
    TSRT_REQUIRE(in->type == TSRT_INT8, TSRT_ERR_UNSUPPORTED_TYPE,
                 "per-channel weights need int8 input");
    TSRT_REQUIRE(f->nscales == f->dims[f->quant_dim < 2 ? f->quant_dim : 0],
                 TSRT_ERR_INVALID, "per-channel scale count mismatch");
    rc = per_channel(c, op, op_index, d, in, f, out, f->nscales);
    if (rc) return rc;
    TSRT_REQUIRE(f->nscales == out_depth, TSRT_ERR_INVALID,
                 "per-channel scales must follow output channels");
    d->per_channel = 1;
  } else {
    const double ips = (double)(in->scale * f->scale);
    int sh;
    if (b) {
      const double diff = (double)in->scale * (double)f->scale -
                          (double)b->scale;
      TSRT_REQUIRE((diff < 0 ? -diff : diff) / (double)out->scale <= 0.02,
                   TSRT_ERR_INVALID,
                   "bias scale must equal input scale * weight scale");
    }
    tsrt_quantize_multiplier(c, ips / (double)out->scale, &d->out_mult, &sh);
    c->bad_scales |= (in->type == TSRT_INT16) & (sh > 14); /* mbqm64 */
    d->out_shift = sh;
  }
  d->in_zp = in->zero_point;
  d->filt_zp = f->zero_point;
  d->out_zp = out->zero_point;
  TSRT_REQUIRE(tsrt_act_range_q(act, out, &d->act_min, &d->act_max),
               TSRT_ERR_INVALID, "unsupported fused activation");
  return TSRT_OK;
}

int tsrt_eval_fc(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *f = tsrt_in(m, op, 1);
  const tsrt_tensor *b = tsrt_in(m, op, 2), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  const int32_t out_depth = f->dims[0], accum = f->dims[1];
  const int32_t batches = tsrt_elems(out) / out_depth;
  int32_t bt, oc, k;
  for (bt = 0; bt < batches; bt++) {
    for (oc = 0; oc < out_depth; oc++) {
      const size_t oidx = (size_t)bt * out_depth + oc;
      if (in->type == TSRT_FLOAT32) {
        const float *ip = (const float *)in->data + (size_t)bt * accum;
        const float *wp = (const float *)f->data + (size_t)oc * accum;
        float total = 0.0f, bias = 0.0f;
        for (k = 0; k < accum; k++) total += ip[k] * wp[k];
        if (b) bias = ((const float *)b->data)[oc];
        ((float *)out->data)[oidx] =
            tsrt_clampf(total + bias, d->fmin, d->fmax);
      } else if (in->type == TSRT_INT8) {
        const int8_t *ip = (const int8_t *)in->data + (size_t)bt * accum;
        const int8_t *wp = (const int8_t *)f->data + (size_t)oc * accum;
        const int32_t in_off = -d->in_zp, f_off = -d->filt_zp;
        int32_t acc = 0;
        for (k = 0; k < accum; k++)
          acc += ((int32_t)wp[k] + f_off) * ((int32_t)ip[k] + in_off);
        if (b) acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
        if (d->per_channel)
          acc = tsrt_mbqm(acc, d->mult[oc], d->shift[oc]);
        else
          acc = tsrt_mbqm(acc, d->out_mult, d->out_shift);
        acc += d->out_zp;
        ((int8_t *)out->data)[oidx] =
            (int8_t)tsrt_clamp(acc, d->act_min, d->act_max);
      } else {
        const int16_t *ip = (const int16_t *)in->data + (size_t)bt * accum;
        const int8_t *wp = (const int8_t *)f->data + (size_t)oc * accum;
        const int32_t f_off = -d->filt_zp;
        int64_t acc = 0;
        int32_t r;
        for (k = 0; k < accum; k++)
          acc += (int64_t)(((int32_t)wp[k] + f_off) * (int32_t)ip[k]);
        if (b) {
          if (b->type == TSRT_INT64)
            acc += ((const int64_t *)b->data)[oc];
          else
            acc = tsrt_add_wrap(acc, ((const int32_t *)b->data)[oc]);
        }
        r = tsrt_mbqm64(acc, d->out_mult, d->out_shift);
        r += d->out_zp;
        ((int16_t *)out->data)[oidx] =
            (int16_t)tsrt_clamp(r, d->act_min, d->act_max);
      }
    }
  }
  return TSRT_OK;
}

/* ------------------------------------------------------------ POOLING */

static int prepare_pool(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  nn_data *d;
  int padding, act;
  TSRT_REQUIRE(op->nin == 1 && in && out, TSRT_ERR_INVALID,
               "needs one input and one output");
  TSRT_REQUIRE(in->ndims == 4 && out->ndims == 4 &&
                   in->dims[0] == out->dims[0] && in->dims[3] == out->dims[3],
               TSRT_ERR_INVALID, "input and output must be 4-D NHWC");
  TSRT_REQUIRE(in->type == out->type &&
                   (in->type == TSRT_FLOAT32 || in->type == TSRT_INT8 ||
                    in->type == TSRT_INT16),
               TSRT_ERR_UNSUPPORTED_TYPE, "supported: float32, int8, int16");
  d = (nn_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  padding = tsrt_opt_int(c, op, 0, 1, 1, 0);
  d->stride_w = tsrt_opt_int(c, op, 1, 4, 1, 0);
  d->stride_h = tsrt_opt_int(c, op, 2, 4, 1, 0);
  d->filter_w = tsrt_opt_int(c, op, 3, 4, 1, 0);
  d->filter_h = tsrt_opt_int(c, op, 4, 4, 1, 0);
  act = tsrt_opt_int(c, op, 5, 1, 1, 0);
  d->dil_w = d->dil_h = 1;
  TSRT_REQUIRE(window_ok(d, in, d->filter_h, d->filter_w), TSRT_ERR_INVALID,
               "strides and filter size must be positive and in range");
  compute_padding(d, padding, in->dims[1], in->dims[2], d->filter_h,
                  d->filter_w);
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(act <= TSRT_ACT_RELU6, TSRT_ERR_INVALID,
                 "unsupported fused activation");
    tsrt_act_range_f(act, &d->fmin, &d->fmax);
  } else {
    TSRT_REQUIRE(tsrt_act_range_q(act, out, &d->act_min, &d->act_max),
                 TSRT_ERR_INVALID, "unsupported fused activation");
  }
  return TSRT_OK;
}

int tsrt_prepare_avgpool(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return prepare_pool(c, op, op_index);
}
int tsrt_prepare_maxpool(tsrt_ctx *c, tsrt_op *op, int op_index) {
  return prepare_pool(c, op, op_index);
}

static int eval_pool(tsrt_model *m, tsrt_op *op, int is_max) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *out = tsrt_out(m, op, 0);
  const nn_data *d = (const nn_data *)op->data;
  const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2];
  const int32_t depth = in->dims[3];
  const int32_t out_h = out->dims[1], out_w = out->dims[2];
  int32_t bt, oy, ox, ch, fy, fx;
  for (bt = 0; bt < batches; bt++) {
    for (oy = 0; oy < out_h; oy++) {
      for (ox = 0; ox < out_w; ox++) {
        for (ch = 0; ch < depth; ch++) {
          const int32_t iy0 = oy * d->stride_h - d->pad_h;
          const int32_t ix0 = ox * d->stride_w - d->pad_w;
          const int32_t fy0 = iy0 < 0 ? -iy0 : 0;
          const int32_t fx0 = ix0 < 0 ? -ix0 : 0;
          const int32_t fy1 =
              d->filter_h < in_h - iy0 ? d->filter_h : in_h - iy0;
          const int32_t fx1 =
              d->filter_w < in_w - ix0 ? d->filter_w : in_w - ix0;
          const size_t oidx =
              (((size_t)bt * out_h + oy) * out_w + ox) * depth + ch;
          int32_t count = 0;
#define IDX(yy, xx) ((((size_t)bt * in_h + (yy)) * in_w + (xx)) * depth + ch)
          if (in->type == TSRT_FLOAT32) {
            const float *ip = (const float *)in->data;
            float acc = is_max ? -3.40282347e+38f : 0.0f;
            for (fy = fy0; fy < fy1; fy++)
              for (fx = fx0; fx < fx1; fx++) {
                const float v = ip[IDX(iy0 + fy, ix0 + fx)];
                if (is_max)
                  acc = (acc < v) ? v : acc;
                else
                  acc += v;
                count++;
              }
            if (!is_max) {
              if (count == 0) return TSRT_ERR_INVALID;
              acc = acc / (float)count;
            }
            ((float *)out->data)[oidx] = tsrt_clampf(acc, d->fmin, d->fmax);
          } else {
            const int is8 = in->type == TSRT_INT8;
            int32_t acc = is_max ? (is8 ? -128 : -32768) : 0;
            for (fy = fy0; fy < fy1; fy++)
              for (fx = fx0; fx < fx1; fx++) {
                const int32_t v =
                    is8 ? (int32_t)((const int8_t *)in->data)[IDX(iy0 + fy,
                                                                  ix0 + fx)]
                        : (int32_t)((const int16_t *)in->data)[IDX(iy0 + fy,
                                                                   ix0 + fx)];
                if (is_max)
                  acc = acc < v ? v : acc;
                else
                  acc += v;
                count++;
              }
            if (!is_max) {
              if (count == 0) return TSRT_ERR_INVALID;
              acc = acc > 0 ? (acc + count / 2) / count
                            : (acc - count / 2) / count;
            }
            acc = tsrt_clamp(acc, d->act_min, d->act_max);
            if (is8)
              ((int8_t *)out->data)[oidx] = (int8_t)acc;
            else
              ((int16_t *)out->data)[oidx] = (int16_t)acc;
          }
#undef IDX
        }
      }
    }
  }
  return TSRT_OK;
}

int tsrt_eval_avgpool(tsrt_model *m, tsrt_op *op) { return eval_pool(m, op, 0); }
int tsrt_eval_maxpool(tsrt_model *m, tsrt_op *op) { return eval_pool(m, op, 1); }
