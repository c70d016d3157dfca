/* Operator data shared by the reference kernels (tsrt_nn.c) and the optimized
 * int8 kernels (tsrt_nn_opt.c), which reuse the reference prepare step. */
#ifndef TSRT_NN_H
#define TSRT_NN_H

#include "tsrt_internal.h"

typedef struct {
  int32_t pad_w, pad_h, stride_w, stride_h, dil_w, dil_h;
  int32_t depth_multiplier;
  int32_t act_min, act_max;
  float fmin, fmax;
  int32_t in_zp, out_zp, filt_zp;
  int32_t out_mult;  /* per-tensor (FC) */
  int32_t out_shift;
  int32_t per_channel; /* FC: per-channel multipliers in use */
  int32_t *mult;     /* per output channel */
  int32_t *shift;
  int32_t filter_w, filter_h; /* pooling */
} nn_data;

/* The `opt` kernel variant (firmware built with -DTSRT_OPT). */
TSRT_DECL(conv_opt)
TSRT_DECL(dwconv_opt)
TSRT_DECL(fc_opt)
TSRT_DECL(avgpool_opt)
TSRT_DECL(maxpool_opt)

#endif
