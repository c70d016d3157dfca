/* Quantization arithmetic matching TFLM's reference kernels bit for bit:
 * QuantizeMultiplier, gemmlowp-style fixed point (exp, logistic, tanh,
 * 1/(1+x)), activation ranges, the int16 LUT generator. */
#include "tsrt_internal.h"


typedef union {
  double d;
  uint64_t u;
} dbits;

typedef union {
  float f;
  uint32_t u;
} fbits;

/* frexp without libm: x = m * 2^e, 0.5 <= |m| < 1. */
double tsrt_frexp(double x, int *e) {
  dbits b;
  int ex;
  b.d = x;
  ex = (int)((b.u >> 52) & 0x7ff);
  *e = 0;
  if (x == 0.0 || ex == 0x7ff) return x; /* zero, inf, nan */
  if (ex == 0) {                         /* subnormal: scale up first */
    b.d = x * 18014398509481984.0;       /* 2^54 */
    ex = (int)((b.u >> 52) & 0x7ff);
    *e = -54;
  }
  *e += ex - 1022;
  b.u = (b.u & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1022 << 52);
  return b.d;
}

double tsrt_round(double x) {
  double t;
  if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
  t = (double)(int64_t)x;
  if (x - t >= 0.5) t += 1.0;
  else if (t - x >= 0.5) t -= 1.0;
  return t;
}

float tsrt_roundf(float x) {
  float t;
  if (!(x > -8388608.0f && x < 8388608.0f)) return x;
  t = (float)(int32_t)x;
  if (x - t >= 0.5f) t += 1.0f;
  else if (t - x >= 0.5f) t -= 1.0f;
  return t;
}

void tsrt_quantize_multiplier(tsrt_ctx *c, double m, int32_t *qm, int *shift) {
  double q;
  int64_t q_fixed;
  dbits b;
  b.d = m;
  if (m == 0.0 || ((b.u >> 52) & 0x7ff) == 0x7ff) {
    if (m != 0.0) c->bad_scales = 1; /* NaN or Inf */
    *qm = 0;
    *shift = 0;
    return;
  }
  q = tsrt_frexp(m, shift);
  q_fixed = (int64_t)tsrt_round(q * 2147483648.0);
  if (q_fixed == ((int64_t)1 << 31)) {
    q_fixed /= 2;
    ++*shift;
  }
  if (*shift < -31) {
    *shift = 0;
    q_fixed = 0;
  }
  if (*shift > 31) c->bad_scales = 1;
  *qm = (int32_t)q_fixed;
}

/* TFLM CheckedLog2: log2(x) rounded, and whether x is within 1e-3 (in log2)
 * of that power of two. Evaluated exactly from the float's bits. */
int tsrt_checked_log2(float x, int *log2_result) {
  fbits b;
  int e;
  float mant;
  b.f = x;
  if (!(x > 0.0f)) {
    *log2_result = 0;
    return 0;
  }
  e = (int)((b.u >> 23) & 0xff) - 127;
  b.u = (b.u & 0x807fffffu) | (127u << 23); /* mantissa in [1, 2) */
  mant = b.f;
  if (mant < 1.41421356f) {
    *log2_result = e;
    return mant < 1.00069338f; /* 2^0.001 */
  }
  *log2_result = e + 1;
  return mant > 1.99861400f; /* 2^(1-0.001) */
}

int tsrt_calc_input_radius(int int_bits, int left_shift, int total_bits) {
  const double max_input_rescaled =
      1.0 * ((1 << int_bits) - 1) *
      (double)((int64_t)1 << (total_bits - int_bits)) /
      (double)((int64_t)1 << left_shift);
  /* floor: the value is never negative */
  return (int)max_input_rescaled;
}

static int quantize_act(float scale, int32_t zp, float f, int32_t *q) {
  const float tmp = tsrt_roundf(f / scale);
  if (!(tmp >= -2147483648.0f && tmp <= 2147483647.0f)) return 0;
  *q = zp + (int32_t)tmp;
  return 1;
}

int tsrt_act_range_q(int act, const tsrt_tensor *out, int32_t *mn,
                     int32_t *mx) {
  int32_t qmin, qmax, t;
  switch (out->type) {
    case TSRT_INT8: qmin = -128; qmax = 127; break;
    case TSRT_UINT8: qmin = 0; qmax = 255; break;
    case TSRT_INT16: qmin = -32768; qmax = 32767; break;
    default: return 0;
  }
  *mn = qmin;
  *mx = qmax;
  if (act == TSRT_ACT_RELU) {
    if (!quantize_act(out->scale, out->zero_point, 0.0f, &t)) return 0;
    *mn = t > qmin ? t : qmin;
  } else if (act == TSRT_ACT_RELU6) {
    if (!quantize_act(out->scale, out->zero_point, 0.0f, &t)) return 0;
    *mn = t > qmin ? t : qmin;
    if (!quantize_act(out->scale, out->zero_point, 6.0f, &t)) return 0;
    *mx = t < qmax ? t : qmax;
  } else if (act == TSRT_ACT_RELU_N1_TO_1) {
    if (!quantize_act(out->scale, out->zero_point, -1.0f, &t)) return 0;
    *mn = t > qmin ? t : qmin;
    if (!quantize_act(out->scale, out->zero_point, 1.0f, &t)) return 0;
    *mx = t < qmax ? t : qmax;
  } else if (act != TSRT_ACT_NONE) {
    return 0;
  }
  return 1;
}

void tsrt_act_range_f(int act, float *mn, float *mx) {
  *mn = -3.40282347e+38f;
  *mx = 3.40282347e+38f;
  if (act == TSRT_ACT_RELU) {
    *mn = 0.0f;
  } else if (act == TSRT_ACT_RELU6) {
    *mn = 0.0f;
    *mx = 6.0f;
  } else if (act == TSRT_ACT_RELU_N1_TO_1) {
    *mn = -1.0f;
    *mx = 1.0f;
  }
}

/* ---------------------------------------------------------- fixed point */

int tsrt_clz32(uint32_t x) {
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

/* SaturatingRoundingMultiplyByPOT with a run-time exponent. */
int32_t tsrt_fx_sat_mul_pot(int32_t x, int exponent) {
  if (exponent == 0) return x;
  if (exponent < 0) return tsrt_rdbpot(x, -exponent);
  {
    const int32_t threshold = (int32_t)(((int64_t)1 << (31 - exponent)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return tsrt_shl32(x, exponent);
  }
}

static int32_t wadd(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}
static int32_t wsub(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a - (uint32_t)b);
}

static int32_t rounding_half_sum(int32_t a, int32_t b) {
  const int64_t sum = (int64_t)a + (int64_t)b;
  const int64_t sign = sum >= 0 ? 1 : -1;
  return (int32_t)((sum + sign) / 2);
}

/* exp(x) for x in [-1/4, 0), Q0.31 in and out. */
static int32_t exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = wadd(a, 1 << 28);
  const int32_t x2 = tsrt_srdhm(x, x);
  const int32_t x3 = tsrt_srdhm(x2, x);
  const int32_t x4 = tsrt_srdhm(x2, x2);
  const int32_t x4_over_4 = tsrt_rdbpot(x4, 2);
  const int32_t poly = tsrt_rdbpot(
      wadd(tsrt_srdhm(wadd(x4_over_4, x3), constant_1_over_3), x2), 1);
  return wadd(constant_term, tsrt_srdhm(constant_term, wadd(x, poly)));
}

int32_t tsrt_fx_exp_on_negative_values(int32_t a, int integer_bits) {
  static const int32_t mult[7] = {1672461947, 1302514674, 790015084,
                                  290630308,  39332535,   720401,
                                  242};
  const int frac_bits = 31 - integer_bits;
  const int32_t one_quarter = (int32_t)1 << (frac_bits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod = wsub(a & mask, one_quarter);
  int32_t result = exp_quarter(tsrt_fx_sat_mul_pot(a_mod, integer_bits));
  const int32_t remainder = wsub(a_mod, a);
  int e;
  for (e = -2; e <= 4; e++) {
    if (integer_bits > e) {
      const int shift = frac_bits + e;
      if (remainder & ((int32_t)1 << shift))
        result = tsrt_srdhm(result, mult[e + 2]);
    }
  }
  if (integer_bits > 5) {
    const int32_t clamp = -((int32_t)1 << (36 - integer_bits));
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX;
  return result;
}

/* Newton-Raphson core shared by 1/(1+x) and (1-x)/(1+x); returns x in Q2.29 */
static int32_t nr_recip(int32_t half_denominator) {
  const int32_t c48_17 = 1515870810;
  const int32_t cneg32_17 = -1010580540;
  const int32_t one_f2 = 1 << 29;
  int32_t x = wadd(c48_17, tsrt_srdhm(half_denominator, cneg32_17));
  int i;
  for (i = 0; i < 3; i++) {
    const int32_t hdx = tsrt_srdhm(half_denominator, x);
    const int32_t one_minus = wsub(one_f2, hdx);
    x = wadd(x, tsrt_fx_sat_mul_pot(tsrt_srdhm(x, one_minus), 2));
  }
  return x;
}

int32_t tsrt_fx_one_over_one_plus_x(int32_t a) {
  const int32_t x = nr_recip(rounding_half_sum(a, INT32_MAX));
  return tsrt_fx_sat_mul_pot(x, 1);
}

static int32_t one_minus_x_over_one_plus_x(int32_t a) {
  const int32_t x = nr_recip(rounding_half_sum(a, INT32_MAX));
  return tsrt_fx_sat_mul_pot(wsub(x, 1 << 29), 2);
}

int32_t tsrt_fx_logistic(int32_t a, int integer_bits) {
  int32_t abs_input, pos, neg;
  if (a == 0) return 1 << 30;
  abs_input = a > 0 ? a : wsub(0, a);
  pos = tsrt_fx_one_over_one_plus_x(
      tsrt_fx_exp_on_negative_values(wsub(0, abs_input), integer_bits));
  neg = wsub(INT32_MAX, pos);
  return a > 0 ? pos : neg;
}

int32_t tsrt_fx_tanh(int32_t a, int integer_bits) {
  int32_t n, t;
  if (a == 0) return 0;
  n = a < 0 ? a : wsub(0, a);
  t = one_minus_x_over_one_plus_x(
      tsrt_fx_exp_on_negative_values(n, integer_bits + 1));
  return a < 0 ? wsub(0, t) : t;
}

const uint16_t tsrt_sigmoid_table_uint16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};

void tsrt_gen_lut_int16(float (*fn)(float), float in_min, float in_max,
                        float out_min, float out_max, int16_t *lut) {
  const int nb_steps = 512;
  const float step = (in_max - in_min) / (float)nb_steps;
  const float half_step = step / 2.0f;
  const float scaling_inv = 65536.0f / (out_max - out_min);
  const float table_min = -32768.0f;
  const float table_max = 32767.0f;
  int i;
  for (i = 0; i < nb_steps; i++) {
    const float val = fn(in_min + (float)i * step);
    const float val_mid = fn(in_min + (float)i * step + half_step);
    const float val_next = fn(in_min + (float)(i + 1) * step);
    const float sample_val = tsrt_roundf(val * scaling_inv);
    const float midpoint_interp_val = tsrt_roundf(
        (val_next * scaling_inv + tsrt_roundf(val * scaling_inv)) / 2.0f);
    const float midpoint_val = tsrt_roundf(val_mid * scaling_inv);
    const float midpoint_err = midpoint_interp_val - midpoint_val;
    const float bias = tsrt_roundf(midpoint_err / 2.0f);
    float v = sample_val - bias;
    v = v > table_min ? v : table_min;
    v = v < table_max ? v : table_max;
    lut[i] = (int16_t)v;
  }
  {
    float v = tsrt_roundf(fn(in_max) * scaling_inv);
    v = v > table_min ? v : table_min;
    v = v < table_max ? v : table_max;
    lut[nb_steps] = (int16_t)v;
  }
}

int16_t tsrt_lut_lookup16(int16_t value, const int16_t *lut) {
  const uint16_t index = (uint16_t)(256 + (value >> 7));
  const int16_t offset = (int16_t)(value & 0x7f);
  const int16_t base = lut[index];
  const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
  const int delta = (slope * offset + 64) >> 7;
  return (int16_t)(base + delta);
}
