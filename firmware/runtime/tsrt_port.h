/* The only library functions tsrt uses. Hosted builds take them from
 * <string.h> / <math.h>; freestanding builds (-ffreestanding, as the tinysim
 * firmware) get the prototypes here and must link an implementation:
 * memcpy/memmove/memset/strlen (firmware/common/string.c has them) and, for
 * the float kernels and the int16 softmax tables, expf/tanhf (newlib /
 * picolibc libm, whose expf comes from the same Arm optimized-routines code
 * as glibc's, so results stay bit-identical with the host). */
#ifndef TSRT_PORT_H
#define TSRT_PORT_H

#include <stddef.h>

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#include <math.h>
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);
float expf(float x);
float tanhf(float x);
#endif

#endif
