/*
 * frontend.h - keyword-spotting audio front end: one 30 ms frame of 16 kHz int16 PCM -> 40 int8
 * log-mel features. Bit-exact with tinysim/dsp/kws_frontend.py (its docstring is the algorithm;
 * kws_tables.h is generated from it).
 */
#ifndef KWS_FRONTEND_H
#define KWS_FRONTEND_H
#include <stdint.h>

#define KWS_FE_FRAME 480
#define KWS_FE_MEL 40

/* frame: KWS_FE_FRAME samples; out: KWS_FE_MEL features. Not reentrant (static FFT buffers). */
void kws_frontend(const int16_t *frame, int8_t *out);

#endif
