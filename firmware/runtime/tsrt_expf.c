/*
 * tsrt_expf.c - expf with the exact results of glibc's (and so of TFLM's host reference):
 * the table-driven algorithm of glibc 2.28+ (2^(k/32) table, degree-3 polynomial,
 * evaluated in double). newlib on FPU-less-double targets still ships the older
 * float-only expf, whose last bit differs, so the runtime carries its own.
 * The table holds 2^(i/32) rounded to double, minus i << 47; tests/runtime/test_expf.py
 * regenerates it and checks the results against glibc bit for bit.
 */
#include <stdint.h>

#include "tsrt_internal.h"   /* via tsrt_port.h: memcpy without a libc header */

static const uint64_t exp2_tab[32] = {
    0x3ff0000000000000ULL, 0x3fefd9b0d3158574ULL, 0x3fefb5586cf9890fULL, 0x3fef9301d0125b51ULL,
    0x3fef72b83c7d517bULL, 0x3fef54873168b9aaULL, 0x3fef387a6e756238ULL, 0x3fef1e9df51fdee1ULL,
    0x3fef06fe0a31b715ULL, 0x3feef1a7373aa9cbULL, 0x3feedea64c123422ULL, 0x3feece086061892dULL,
    0x3feebfdad5362a27ULL, 0x3feeb42b569d4f82ULL, 0x3feeab07dd485429ULL, 0x3feea47eb03a5585ULL,
    0x3feea09e667f3bcdULL, 0x3fee9f75e8ec5f74ULL, 0x3feea11473eb0187ULL, 0x3feea589994cce13ULL,
    0x3feeace5422aa0dbULL, 0x3feeb737b0cdc5e5ULL, 0x3feec49182a3f090ULL, 0x3feed503b23e255dULL,
    0x3feee89f995ad3adULL, 0x3feeff76f2fb5e47ULL, 0x3fef199bdd85529cULL, 0x3fef3720dcef9069ULL,
    0x3fef5818dcfba487ULL, 0x3fef7c97337b9b5fULL, 0x3fefa4afa2a490daULL, 0x3fefd0765b6e4540ULL
};

static uint64_t as_u64(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static double as_double(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static uint32_t as_u32(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

float tsrt_expf(float x) {
  const double inv_ln2_n = 0x1.71547652b82fep+0 * 32;
  const double shift = 0x1.8p+52;
  const double c0 = 0x1.c6af84b912394p-5 / 32 / 32 / 32;
  const double c1 = 0x1.ebfce50fac4f3p-3 / 32 / 32;
  const double c2 = 0x1.62e42ff0c52d6p-1 / 32;
  uint32_t abstop = (as_u32(x) >> 20) & 0x7ff;
  double xd, z, kd, r, r2, y, s;
  uint64_t ki, t;
  if (abstop >= ((0x42b00000u >> 20) & 0x7ff)) {       /* |x| >= 88, inf or nan */
    if (as_u32(x) == 0xff800000u) return 0.0f;            /* exp(-inf) */
    if (abstop >= 0x7f8) return x + x;                     /* inf or nan */
    if (x > 0x1.62e42ep6f) return (float)(0x1p97 * 0x1p97);        /* overflow: +inf */
    if (x < -0x1.9fe368p6f) return (float)(0x1p-95 * 0x1p-95);     /* underflow: +0 */
  }
  xd = (double)x;
  z = inv_ln2_n * xd;
  kd = z + shift;                 /* round to nearest integer in the low bits */
  ki = as_u64(kd);
  kd -= shift;
  r = z - kd;
  t = exp2_tab[ki % 32];
  t += ki << (52 - 5);
  s = as_double(t);
  z = c0 * r + c1;
  r2 = r * r;
  y = c2 * r + 1;
  y = z * r2 + y;
  y = y * s;
  return (float)y;
}
