/* SVDF (float32; int8 with int16 or int8 state / time weights), with the
 * activation state as a variable tensor that persists across invokes. */
#include "tsrt_internal.h"


typedef struct {
  int32_t rank, act;
  int32_t s1_mult, s1_shift, s2_mult, s2_shift;
  int32_t in_zp, out_zp, state_zp;
} svdf_data;

int tsrt_prepare_svdf(tsrt_ctx *c, tsrt_op *op, int op_index) {
  tsrt_model *m = c->m;
  tsrt_tensor *in = tsrt_in(m, op, 0), *wf = tsrt_in(m, op, 1);
  tsrt_tensor *wt = tsrt_in(m, op, 2), *b = tsrt_in(m, op, 3);
  tsrt_tensor *st = tsrt_in(m, op, 4), *out = tsrt_out(m, op, 0);
  svdf_data *d;
  int32_t rank, batch, input_size, filters, units, memory;
  TSRT_REQUIRE(op->nin == 5 && in && wf && wt && st && out, TSRT_ERR_INVALID,
               "needs input, weights_feature, weights_time, bias, state");
  rank = tsrt_opt_int(c, op, 0, 4, 1, 0);
  TSRT_REQUIRE(in->ndims == 2 && wf->ndims == 2 && wt->ndims == 2 &&
                   st->ndims == 2 && out->ndims == 2,
               TSRT_ERR_INVALID, "tensors must be 2-D");
  batch = in->dims[0];
  input_size = in->dims[1];
  filters = wf->dims[0];
  memory = wt->dims[1];
  TSRT_REQUIRE(rank > 0 && filters % rank == 0, TSRT_ERR_INVALID,
               "filters must be a multiple of rank");
  units = filters / rank;
  TSRT_REQUIRE(wf->dims[1] == input_size && wt->dims[0] == filters &&
                   out->dims[0] == batch && out->dims[1] == units &&
                   st->dims[0] == batch && st->dims[1] == memory * filters,
               TSRT_ERR_INVALID, "tensor shapes do not match");
  TSRT_REQUIRE(!b || tsrt_elems(b) == units, TSRT_ERR_INVALID,
               "bias size must equal units");
  TSRT_REQUIRE(st->flags & TSRT_TF_VARIABLE, TSRT_ERR_INVALID,
               "activation state must be a variable tensor");
  d = (svdf_data *)tsrt_palloc(m, sizeof *d);
  if (!d) return m->status;
  op->data = d;
  d->rank = rank;
  d->act = tsrt_opt_int(c, op, 1, 1, 1, 0);
  if (in->type == TSRT_FLOAT32) {
    TSRT_REQUIRE(wf->type == TSRT_FLOAT32 && wt->type == TSRT_FLOAT32 &&
                     st->type == TSRT_FLOAT32 && out->type == TSRT_FLOAT32 &&
                     (!b || b->type == TSRT_FLOAT32),
                 TSRT_ERR_UNSUPPORTED_TYPE, "float32 SVDF needs float32 tensors");
    TSRT_REQUIRE(d->act <= 4, TSRT_ERR_INVALID, "unsupported activation");
    op->scratch_bytes = (uint32_t)(sizeof(float) * (size_t)batch * filters);
    return TSRT_OK;
  }
  TSRT_REQUIRE(in->type == TSRT_INT8 && wf->type == TSRT_INT8 &&
                   (wt->type == TSRT_INT16 || wt->type == TSRT_INT8) &&
                   st->type == wt->type && out->type == TSRT_INT8,
               TSRT_ERR_UNSUPPORTED_TYPE,
               "supported: float32; int8 with int16/int8 state");
  TSRT_REQUIRE(b && b->type == TSRT_INT32, TSRT_ERR_INVALID,
               "int8 SVDF needs an int32 bias");
  {
    const float e1 = in->scale * wf->scale / st->scale;
    const float e2 = st->scale * wt->scale / out->scale;
    const double bd = (double)b->scale - (double)(st->scale * wt->scale);
    int sh;
    TSRT_REQUIRE((bd < 0 ? -bd : bd) < 1e-5, TSRT_ERR_INVALID,
                 "bias scale must equal state scale * time weight scale");
    tsrt_quantize_multiplier(c, (double)e1, &d->s1_mult, &sh);
    d->s1_shift = sh;
    tsrt_quantize_multiplier(c, (double)e2, &d->s2_mult, &sh);
    d->s2_shift = sh;
  }
  d->in_zp = in->zero_point;
  d->out_zp = out->zero_point;
  d->state_zp = st->zero_point;
  op->scratch_bytes =
      (uint32_t)(sizeof(int32_t) * (size_t)batch * (filters + units));
  return TSRT_OK;
}

static float act_float(int act, float x) {
  switch (act) {
    case 1: return x < 0.0f ? 0.0f : x;
    case 2: return x > 1.0f ? 1.0f : (x < -1.0f ? -1.0f : x);
    case 3: return x > 6.0f ? 6.0f : (x < 0.0f ? 0.0f : x);
    case 4: return tanhf(x);
    default: return x;
  }
}

int tsrt_eval_svdf(tsrt_model *m, tsrt_op *op) {
  const tsrt_tensor *in = tsrt_in(m, op, 0), *wf = tsrt_in(m, op, 1);
  const tsrt_tensor *wt = tsrt_in(m, op, 2), *b = tsrt_in(m, op, 3);
  tsrt_tensor *st = tsrt_in(m, op, 4);
  const tsrt_tensor *out = tsrt_out(m, op, 0);
  const svdf_data *d = (const svdf_data *)op->data;
  const int32_t rank = d->rank, batch = in->dims[0], input_size = in->dims[1];
  const int32_t filters = wf->dims[0], units = filters / rank;
  const int32_t memory = wt->dims[1];
  const size_t total = (size_t)batch * filters * memory;
  int32_t bt, f, k, u, r;

  if (in->type == TSRT_FLOAT32) {
    float *state = (float *)st->data;
    float *scratch = (float *)op->scratch;
    float *y = (float *)out->data;
    const float *w = (const float *)wf->data, *x = (const float *)in->data;
    const float *tw = (const float *)wt->data;
    size_t i;
    for (i = 0; i + 1 < total; i++) state[i] = state[i + 1];
    for (bt = 0; bt < batch; bt++) {
      const float *mp = w;
      float *res = state + (size_t)bt * filters * memory + (memory - 1);
      for (f = 0; f < filters; f++) {
        const float *v = x + (size_t)bt * input_size;
        float dot = 0.0f;
        for (k = 0; k < input_size; k++) dot += *mp++ * *v++;
        *res = dot;
        res += memory;
      }
    }
    for (bt = 0; bt < batch; bt++) {
      float *sp = scratch + (size_t)bt * filters;
      const float *v1 = tw;
      const float *v2 = state + (size_t)bt * memory * filters;
      for (f = 0; f < filters; f++) {
        *sp = 0.0f;
        for (k = 0; k < memory; k++) *sp += *v1++ * *v2++;
        sp++;
      }
    }
    for (bt = 0; bt < batch; bt++)
      for (u = 0; u < units; u++)
        y[(size_t)bt * units + u] = b ? ((const float *)b->data)[u] : 0.0f;
    for (bt = 0; bt < batch; bt++) {
      float *yp = y + (size_t)bt * units;
      const float *sp = scratch + (size_t)bt * filters;
      for (u = 0; u < units; u++)
        for (r = 0; r < rank; r++) yp[u] += *sp++;
    }
    for (i = 0; i < (size_t)batch * units; i++) y[i] = act_float(d->act, y[i]);
    return TSRT_OK;
  }

  {
    const int s16 = st->type == TSRT_INT16;
    int16_t *st16 = (int16_t *)st->data;
    int8_t *st8 = (int8_t *)st->data;
    int32_t *scratch = (int32_t *)op->scratch;
    int32_t *acc_out = scratch + (size_t)batch * filters;
    const int8_t *x = (const int8_t *)in->data, *w = (const int8_t *)wf->data;
    const int32_t smin = s16 ? -32768 : -128, smax = s16 ? 32767 : 127;
    size_t i;
    if (s16)
      for (i = 0; i + 1 < total; i++) st16[i] = st16[i + 1];
    else
      for (i = 0; i + 1 < total; i++) st8[i] = st8[i + 1];
    for (bt = 0; bt < batch; bt++) {
      const int8_t *mp = w;
      size_t res = (size_t)bt * filters * memory + (size_t)(memory - 1);
      for (f = 0; f < filters; f++) {
        const int8_t *v = x + (size_t)bt * input_size;
        int32_t dot = 0;
        for (k = 0; k < input_size; k++)
          dot += (int32_t)*mp++ * ((int32_t)*v++ - d->in_zp);
        dot = tsrt_mbqm(dot, d->s1_mult, d->s1_shift);
        dot = d->state_zp + dot;
        dot = tsrt_clamp(dot, smin, smax);
        if (s16)
          st16[res] = (int16_t)dot;
        else
          st8[res] = (int8_t)dot;
        res += (size_t)memory;
      }
    }
    for (bt = 0; bt < batch; bt++) {
      int32_t *sp = scratch + (size_t)bt * filters;
      size_t v2 = (size_t)bt * memory * filters, v1 = 0;
      for (f = 0; f < filters; f++) {
        int32_t acc = 0;
        for (k = 0; k < memory; k++) {
          const int32_t tw = s16 ? ((const int16_t *)wt->data)[v1]
                                 : ((const int8_t *)wt->data)[v1];
          const int32_t sv = s16 ? st16[v2] : st8[v2];
          acc += tw * (sv - d->state_zp);
          v1++;
          v2++;
        }
        *sp++ = acc;
      }
    }
    for (bt = 0; bt < batch; bt++)
      for (u = 0; u < units; u++)
        acc_out[(size_t)bt * units + u] = ((const int32_t *)b->data)[u];
    for (bt = 0; bt < batch; bt++) {
      int32_t *op_ = acc_out + (size_t)bt * units;
      const int32_t *sp = scratch + (size_t)bt * filters;
      for (u = 0; u < units; u++)
        for (r = 0; r < rank; r++) op_[u] = tsrt_add_wrap(op_[u], *sp++);
    }
    for (i = 0; i < (size_t)batch * units; i++) {
      int32_t v = tsrt_mbqm(acc_out[i], d->s2_mult, d->s2_shift) + d->out_zp;
      ((int8_t *)out->data)[i] = (int8_t)tsrt_clamp(v, -128, 127);
    }
  }
  return TSRT_OK;
}
