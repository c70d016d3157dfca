/* Hand-written, bounds-checked flatbuffer reader (little-endian wire format,
 * read byte by byte: no alignment or host-endianness assumptions). */
#include "tsrt_internal.h"

static uint16_t rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

uint32_t tsrt_fb_u32(const tsrt_fb *r, uint32_t pos) {
  if ((uint64_t)pos + 4 > r->size) return 0;
  return rd32(r->b + pos);
}

/* Validates the table header and its vtable; returns vtable position via
 * *vt and the vtable / table sizes. */
static int table_info(tsrt_fb *r, uint32_t tab, uint32_t *vt, uint32_t *vtsize,
                      uint32_t *tsize) {
  int64_t v;
  if (r->bad) return 0;
  if (tab == 0 || (uint64_t)tab + 4 > r->size) goto bad;
  v = (int64_t)tab - (int64_t)(int32_t)rd32(r->b + tab);
  if (v < 0 || v + 4 > (int64_t)r->size) goto bad;
  *vt = (uint32_t)v;
  *vtsize = rd16(r->b + *vt);
  *tsize = rd16(r->b + *vt + 2);
  if (*vtsize < 4 || (*vtsize & 1) || (uint64_t)*vt + *vtsize > r->size) goto bad;
  if (*tsize < 4 || (uint64_t)tab + *tsize > r->size) goto bad;
  return 1;
bad:
  r->bad = 1;
  return 0;
}

int tsrt_fb_table(tsrt_fb *r, uint32_t tab) {
  uint32_t vt, vs, ts;
  return table_info(r, tab, &vt, &vs, &ts);
}

uint32_t tsrt_fb_field(tsrt_fb *r, uint32_t tab, int idx, uint32_t fsize) {
  uint32_t vt, vs, ts, fo;
  if (!table_info(r, tab, &vt, &vs, &ts)) return 0;
  if (4u + 2u * (uint32_t)idx + 2u > vs) return 0;
  fo = rd16(r->b + vt + 4 + 2 * idx);
  if (fo == 0) return 0;
  if (fo + fsize > ts) {
    r->bad = 1;
    return 0;
  }
  return tab + fo;
}

int32_t tsrt_fb_int(tsrt_fb *r, uint32_t tab, int idx, uint32_t fsize,
                    int is_signed, int32_t dflt) {
  uint32_t p = tsrt_fb_field(r, tab, idx, fsize);
  const uint8_t *b;
  if (!p) return dflt;
  b = r->b + p;
  switch (fsize) {
    case 1:
      return is_signed ? (int32_t)(int8_t)b[0] : (int32_t)b[0];
    case 2:
      return is_signed ? (int32_t)(int16_t)rd16(b) : (int32_t)rd16(b);
    default:
      return (int32_t)rd32(b);
  }
}

float tsrt_fb_f32(tsrt_fb *r, uint32_t tab, int idx, float dflt) {
  uint32_t p = tsrt_fb_field(r, tab, idx, 4), u;
  float f;
  if (!p) return dflt;
  u = rd32(r->b + p);
  memcpy(&f, &u, 4);
  return f;
}

uint64_t tsrt_fb_u64(tsrt_fb *r, uint32_t tab, int idx, uint64_t dflt) {
  uint32_t p = tsrt_fb_field(r, tab, idx, 8);
  if (!p) return dflt;
  return (uint64_t)rd32(r->b + p) | ((uint64_t)rd32(r->b + p + 4) << 32);
}

/* Follows the uoffset stored in field idx. */
static uint32_t deref(tsrt_fb *r, uint32_t tab, int idx) {
  uint32_t p = tsrt_fb_field(r, tab, idx, 4);
  uint64_t t;
  if (!p) return 0;
  t = (uint64_t)p + rd32(r->b + p);
  if (t == 0 || t + 4 > r->size) {
    r->bad = 1;
    return 0;
  }
  return (uint32_t)t;
}

uint32_t tsrt_fb_subtable(tsrt_fb *r, uint32_t tab, int idx) {
  uint32_t t = deref(r, tab, idx);
  if (!t) return 0;
  if (!tsrt_fb_table(r, t)) return 0;
  return t;
}

uint32_t tsrt_fb_vector(tsrt_fb *r, uint32_t tab, int idx, uint32_t elem,
                        uint32_t *len) {
  uint32_t v = deref(r, tab, idx);
  uint32_t n;
  *len = 0;
  if (!v) return 0;
  n = rd32(r->b + v);
  if ((uint64_t)v + 4 + (uint64_t)n * elem > r->size) {
    r->bad = 1;
    return 0;
  }
  *len = n;
  return v + 4;
}

uint32_t tsrt_fb_vec_table(tsrt_fb *r, uint32_t vec, uint32_t len,
                           uint32_t i) {
  uint64_t p, t;
  if (i >= len) {
    r->bad = 1;
    return 0;
  }
  p = (uint64_t)vec + 4ull * i;
  if (p + 4 > r->size) {
    r->bad = 1;
    return 0;
  }
  t = p + rd32(r->b + p);
  if (t + 4 > r->size) {
    r->bad = 1;
    return 0;
  }
  if (!tsrt_fb_table(r, (uint32_t)t)) return 0;
  return (uint32_t)t;
}
