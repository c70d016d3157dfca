/* tsrt internals: flatbuffer reader, operator records, fixed-point helpers. */
#ifndef TSRT_INTERNAL_H
#define TSRT_INTERNAL_H

#include "tsrt.h"

#include "tsrt_port.h"

#define TSRT_MAX_DIMS 6
#define TSRT_ALIGN 16u

/* ------------------------------------------------------------ flatbuffer */

/* Reader over an untrusted buffer. Every accessor bounds-checks against
 * `size` and sets `bad` instead of reading out of range. Positions are byte
 * offsets from the buffer start; 0 means "absent" (no table or vector can
 * start at offset 0 in a valid flatbuffer: the root offset lives there). */
typedef struct {
  const uint8_t *b;
  uint32_t size;
  int bad;
} tsrt_fb;

uint32_t tsrt_fb_u32(const tsrt_fb *r, uint32_t pos);
int tsrt_fb_table(tsrt_fb *r, uint32_t tab); /* 1 if `tab` is a valid table */
/* Position of scalar field `idx` of table `tab` (fsize bytes), 0 if absent. */
uint32_t tsrt_fb_field(tsrt_fb *r, uint32_t tab, int idx, uint32_t fsize);
int32_t tsrt_fb_int(tsrt_fb *r, uint32_t tab, int idx, uint32_t fsize,
                    int is_signed, int32_t dflt);
float tsrt_fb_f32(tsrt_fb *r, uint32_t tab, int idx, float dflt);
uint64_t tsrt_fb_u64(tsrt_fb *r, uint32_t tab, int idx, uint64_t dflt);
/* Referenced table of field `idx` (validated), 0 if absent. */
uint32_t tsrt_fb_subtable(tsrt_fb *r, uint32_t tab, int idx);
/* Vector field: position of element 0, *len = element count; 0 if absent. */
uint32_t tsrt_fb_vector(tsrt_fb *r, uint32_t tab, int idx, uint32_t elem,
                        uint32_t *len);
/* Element i of a vector of tables (validated table position). */
uint32_t tsrt_fb_vec_table(tsrt_fb *r, uint32_t vec, uint32_t len, uint32_t i);

/* ------------------------------------------------------------ operators */

typedef struct tsrt_op {
  const int32_t *in; /* tensor indices, -1 = optional input absent */
  const int32_t *out;
  uint8_t nin, nout;
  uint16_t code;       /* builtin operator code */
  uint32_t opts;       /* builtin options table position (0 = none) */
  uint8_t opts_type;
  void *data;          /* kernel's persistent data */
  uint32_t scratch_bytes;
  uint32_t scratch_off;
  void *scratch;       /* planned per-op scratch (valid during eval) */
} tsrt_op;

typedef struct {
  tsrt_model *m;
  tsrt_fb *r;
  int bad_scales; /* set by tsrt_quantize_multiplier, checked after prepare */
} tsrt_ctx;

typedef int (*tsrt_prepare_fn)(tsrt_ctx *c, tsrt_op *op, int op_index);
typedef int (*tsrt_eval_fn)(tsrt_model *m, tsrt_op *op);

typedef struct {
  uint16_t code;
  tsrt_prepare_fn prepare;
  tsrt_eval_fn eval;
} tsrt_kernel;

const tsrt_kernel *tsrt_find_kernel(int code);

/* Persistent allocation from the arena tail (16-byte aligned, zeroed).
 * Returns NULL and sets the model error on exhaustion. */
void *tsrt_palloc(tsrt_model *m, size_t bytes);

/* Error helpers: format "<msg> <int>" style messages without stdio. */
int tsrt_fail(tsrt_model *m, int code, const char *a, long n1, const char *b,
              long n2, const char *c);
int tsrt_fail_op(tsrt_model *m, int code, int op_index, int builtin,
                 const char *what);

/* Tensor helpers. */
static inline tsrt_tensor *tsrt_in(tsrt_model *m, const tsrt_op *op, int i) {
  if (i >= op->nin || op->in[i] < 0) return NULL;
  return &m->tensors[op->in[i]];
}
static inline tsrt_tensor *tsrt_out(tsrt_model *m, const tsrt_op *op, int i) {
  if (i >= op->nout || op->out[i] < 0) return NULL;
  return &m->tensors[op->out[i]];
}
int32_t tsrt_elems(const tsrt_tensor *t);
int tsrt_type_size(int type);
static inline int32_t tsrt_dim(const tsrt_tensor *t, int i) {
  return (i >= 0 && i < t->ndims) ? t->dims[i] : 1;
}
/* Zero point of channel `ch` (per-channel tensors), from the flatbuffer. */

/* Builtin option readers (fields per schema). */
int32_t tsrt_opt_int(tsrt_ctx *c, const tsrt_op *op, int idx, uint32_t fsize,
                     int is_signed, int32_t dflt);
float tsrt_opt_f32(tsrt_ctx *c, const tsrt_op *op, int idx, float dflt);
uint32_t tsrt_opt_vector(tsrt_ctx *c, const tsrt_op *op, int idx,
                         uint32_t elem, uint32_t *len);

/* ------------------------------------------------------------ math */

/* TFLM QuantizeMultiplier. A factor that is not finite or needs a shift of
 * more than 31 bits (only corrupt scales give one) sets c->bad_scales: the
 * operator is then rejected after its prepare, so no kernel shifts by >= 32. */
void tsrt_quantize_multiplier(tsrt_ctx *c, double m, int32_t *qm, int *shift);
double tsrt_frexp(double x, int *e);
double tsrt_round(double x);  /* half away from zero */
float tsrt_roundf(float x);   /* half away from zero */
float tsrt_expf(float x);    /* bit-identical to glibc expf (tsrt_expf.c) */
int tsrt_checked_log2(float x, int *log2_result);
int tsrt_calc_input_radius(int int_bits, int left_shift, int total_bits);

/* Fused activation -> quantized range, as TFLM's
 * CalculateActivationRangeQuantized. Returns 0 on failure. */
int tsrt_act_range_q(int act, const tsrt_tensor *out, int32_t *mn,
                     int32_t *mx);
void tsrt_act_range_f(int act, float *mn, float *mx);

#define TSRT_ACT_NONE 0
#define TSRT_ACT_RELU 1
#define TSRT_ACT_RELU_N1_TO_1 2
#define TSRT_ACT_RELU6 3

static inline int32_t tsrt_srdhm(int32_t a, int32_t b) {
  int64_t ab, r;
  int32_t nudge;
  if (a == b && a == INT32_MIN) return INT32_MAX;
  ab = (int64_t)a * (int64_t)b;
  nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  r = (ab + nudge) / ((int64_t)1 << 31);
  return (int32_t)r;
}

static inline int32_t tsrt_rdbpot(int32_t x, int exponent) {
  const int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

static inline int32_t tsrt_shl32(int32_t x, int s) {
  return (int32_t)((uint32_t)x << s);
}

/* Two's-complement int32 addition: a bias near INT32_MAX wraps as TFLM's
 * compiled kernels do on the target, without C's signed-overflow UB. */
static inline int32_t tsrt_add_wrap(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* TFLM MultiplyByQuantizedMultiplier (double rounding, int32 input). */
static inline int32_t tsrt_mbqm(int32_t x, int32_t qm, int shift) {
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  return tsrt_rdbpot(tsrt_srdhm(tsrt_shl32(x, left), qm), right);
}

/* TFLM MultiplyByQuantizedMultiplier (int64 input, 16-bit reduced). */
static inline int32_t tsrt_mbqm64(int64_t x, int32_t qm, int shift) {
  const int32_t reduced =
      (qm < 0x7FFF0000) ? ((qm + (1 << 15)) >> 16) : 0x7FFF;
  const int total_shift = 15 - shift;
  x = (int64_t)((uint64_t)x * (uint64_t)(int64_t)reduced) +
      ((int64_t)1 << (total_shift - 1));
  return (int32_t)(x >> total_shift);
}

static inline int32_t tsrt_mbqm_smaller_than_one(int32_t x, int32_t qm,
                                                 int left_shift) {
  return tsrt_rdbpot(tsrt_srdhm(x, qm), -left_shift);
}

static inline int32_t tsrt_mbqm_greater_than_one(int32_t x, int32_t qm,
                                                 int left_shift) {
  return tsrt_srdhm(tsrt_shl32(x, left_shift), qm);
}

static inline int32_t tsrt_clamp(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

static inline float tsrt_clampf(float v, float lo, float hi) {
  /* std::min(std::max(x, lo), hi) */
  float r = (v < lo) ? lo : v;
  return (hi < r) ? hi : r;
}

/* gemmlowp fixed point (scalar int32). */
int32_t tsrt_fx_exp_on_negative_values(int32_t a, int integer_bits);
int32_t tsrt_fx_one_over_one_plus_x(int32_t a);
int32_t tsrt_fx_logistic(int32_t a, int integer_bits);
int32_t tsrt_fx_tanh(int32_t a, int integer_bits);
int32_t tsrt_fx_sat_mul_pot(int32_t x, int exponent);
int tsrt_clz32(uint32_t x);

/* Shared LUT (TFLM sigmoid_table_uint16). */
extern const uint16_t tsrt_sigmoid_table_uint16[256];

/* Generic float -> int16 LUT with interpolation (TFLM gen_lut). */
void tsrt_gen_lut_int16(float (*fn)(float), float in_min, float in_max,
                        float out_min, float out_max, int16_t *lut);
int16_t tsrt_lut_lookup16(int16_t value, const int16_t *lut);

/* Kernel prepare/eval entry points. */
#define TSRT_DECL(name)                                           \
  int tsrt_prepare_##name(tsrt_ctx *c, tsrt_op *op, int op_index); \
  int tsrt_eval_##name(tsrt_model *m, tsrt_op *op);
TSRT_DECL(conv)
TSRT_DECL(dwconv)
TSRT_DECL(fc)
TSRT_DECL(avgpool)
TSRT_DECL(maxpool)
TSRT_DECL(add)
TSRT_DECL(sub)
TSRT_DECL(mul)
TSRT_DECL(reshape)
TSRT_DECL(softmax)
TSRT_DECL(logistic)
TSRT_DECL(tanh)
TSRT_DECL(relu)
TSRT_DECL(relu6)
TSRT_DECL(quantize)
TSRT_DECL(dequantize)
TSRT_DECL(concat)
TSRT_DECL(mean)
TSRT_DECL(pad)
TSRT_DECL(svdf)
TSRT_DECL(strided_slice)

/* Builtin codes. */
#define TSRT_OP_ADD 0
#define TSRT_OP_AVERAGE_POOL_2D 1
#define TSRT_OP_CONCATENATION 2
#define TSRT_OP_CONV_2D 3
#define TSRT_OP_DEPTHWISE_CONV_2D 4
#define TSRT_OP_DEQUANTIZE 6
#define TSRT_OP_FULLY_CONNECTED 9
#define TSRT_OP_LOGISTIC 14
#define TSRT_OP_MAX_POOL_2D 17
#define TSRT_OP_MUL 18
#define TSRT_OP_RELU 19
#define TSRT_OP_RELU6 21
#define TSRT_OP_RESHAPE 22
#define TSRT_OP_SOFTMAX 25
#define TSRT_OP_SVDF 27
#define TSRT_OP_TANH 28
#define TSRT_OP_PAD 34
#define TSRT_OP_MEAN 40
#define TSRT_OP_SUB 41
#define TSRT_OP_SQUEEZE 43
#define TSRT_OP_STRIDED_SLICE 45
#define TSRT_OP_QUANTIZE 114

/* Convenience checks used by prepare functions. */
#define TSRT_REQUIRE(cond, rc_, what)                                    \
  do {                                                                   \
    if (!(cond)) return tsrt_fail_op(c->m, (rc_), op_index, op->code,    \
                                     (what));                            \
  } while (0)

#endif
