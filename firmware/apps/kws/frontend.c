/*
 * frontend.c - the fixed-point front end of tinysim/dsp/kws_frontend.py, step for step:
 * Hann window (Q15), 512-point radix-2 DIT FFT with a rounded >>1 per stage, power, 40 Q15 mel
 * triangles summed in 64 bits, log2 in Q8 from the leading bit and a 64-entry table, int8.
 * Values stay within int16 range plus rounding (the FFT is DFT/512), so int32 holds every
 * product; the arithmetic right shift on negative ints is GCC's (floor), as numpy's.
 */
#include "frontend.h"
#include "kws_tables.h"

static int32_t re[KWS_FFT_SIZE], im[KWS_FFT_SIZE];

void kws_frontend(const int16_t *frame, int8_t *out)
{
    for (int n = 0; n < KWS_FFT_SIZE; n++) {
        unsigned s = kws_bitrev[n];
        re[n] = s < KWS_FRAME ? ((int32_t)frame[s] * kws_hann[s] + (1 << 14)) >> 15 : 0;
        im[n] = 0;
    }
    for (int m = 2; m <= KWS_FFT_SIZE; m <<= 1) {
        int half = m >> 1, step = KWS_FFT_SIZE / m;
        for (int j = 0; j < half; j++) {
            int32_t wr = kws_twiddle_re[j * step], wi = kws_twiddle_im[j * step];
            for (int a = j; a < KWS_FFT_SIZE; a += m) {
                int b = a + half;
                int32_t tr = (re[b] * wr - im[b] * wi + (1 << 14)) >> 15;
                int32_t ti = (re[b] * wi + im[b] * wr + (1 << 14)) >> 15;
                int32_t ar = re[a], ai = im[a];
                re[a] = (ar + tr + 1) >> 1;
                im[a] = (ai + ti + 1) >> 1;
                re[b] = (ar - tr + 1) >> 1;
                im[b] = (ai - ti + 1) >> 1;
            }
        }
    }
    /* power in place (bins 0..256), unsigned: re^2 + im^2 reaches 2^31 */
    uint32_t *p = (uint32_t *)re;
    for (int k = 0; k < KWS_N_BINS; k++)
        p[k] = (uint32_t)(re[k] * re[k]) + (uint32_t)(im[k] * im[k]);
    for (int m = 0; m < KWS_N_MEL; m++) {
        const uint16_t *w = &kws_mel_w[kws_mel_offset[m]];
        const uint32_t *pk = &p[kws_mel_start[m]];
        uint64_t e = 0;
        for (int i = 0; i < kws_mel_len[m]; i++)
            e += (uint64_t)pk[i] * w[i];
        int32_t l = 0;
        if (e) {
            int lead = 63 - __builtin_clzll(e);
            int sh = lead - KWS_LOG_FRAC_BITS;
            unsigned idx = (unsigned)(sh >= 0 ? e >> sh : e << -sh) & ((1u << KWS_LOG_FRAC_BITS) - 1);
            l = lead * 256 + kws_log2_frac[idx];
        }
        int32_t f = ((l + 16) >> 5) - KWS_LOG_OFFSET;
        out[m] = (int8_t)(f < -128 ? -128 : f > 127 ? 127 : f);
    }
}
