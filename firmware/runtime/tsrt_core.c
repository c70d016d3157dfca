/* tsrt core: model parsing, arena planning, invoke, accessors, errors. */
#include "tsrt_internal.h"

/* ------------------------------------------------------------ errors */

static void err_append(tsrt_model *m, const char *s) {
  size_t n = strlen(m->err);
  while (s && *s && n + 1 < TSRT_ERR_LEN) m->err[n++] = *s++;
  m->err[n] = 0;
}

static void err_append_int(tsrt_model *m, long v) {
  char tmp[24];
  int i = 0;
  unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
  do {
    tmp[i++] = (char)('0' + (int)(u % 10));
    u /= 10;
  } while (u && i < 22);
  if (v < 0) tmp[i++] = '-';
  {
    char out[24];
    int j;
    for (j = 0; j < i; j++) out[j] = tmp[i - 1 - j];
    out[i] = 0;
    err_append(m, out);
  }
}

int tsrt_fail(tsrt_model *m, int code, const char *a, long n1, const char *b,
              long n2, const char *c) {
  if (m->status != TSRT_OK) return m->status; /* keep the first error */
  m->status = code;
  m->err[0] = 0;
  err_append(m, a);
  if (b) {
    err_append_int(m, n1);
    err_append(m, b);
    if (c) {
      err_append_int(m, n2);
      err_append(m, c);
    }
  }
  return code;
}

int tsrt_fail_op(tsrt_model *m, int code, int op_index, int builtin,
                 const char *what) {
  if (m->status != TSRT_OK) return m->status;
  m->status = code;
  m->err[0] = 0;
  err_append(m, tsrt_op_name(builtin));
  err_append(m, " (operator ");
  err_append_int(m, op_index);
  err_append(m, "): ");
  err_append(m, what);
  return code;
}

const char *tsrt_error(const tsrt_model *m) {
  if (!m) return "no model";
  return m->err[0] ? m->err : "ok";
}

/* ------------------------------------------------------------ names */

static const struct {
  int16_t code;
  const char *name;
} k_names[] = {
    {0, "ADD"}, {1, "AVERAGE_POOL_2D"}, {2, "CONCATENATION"}, {3, "CONV_2D"},
    {4, "DEPTHWISE_CONV_2D"}, {5, "DEPTH_TO_SPACE"}, {6, "DEQUANTIZE"},
    {7, "EMBEDDING_LOOKUP"}, {8, "FLOOR"}, {9, "FULLY_CONNECTED"},
    {10, "HASHTABLE_LOOKUP"}, {11, "L2_NORMALIZATION"}, {12, "L2_POOL_2D"},
    {13, "LOCAL_RESPONSE_NORMALIZATION"}, {14, "LOGISTIC"},
    {15, "LSH_PROJECTION"}, {16, "LSTM"}, {17, "MAX_POOL_2D"}, {18, "MUL"},
    {19, "RELU"}, {20, "RELU_N1_TO_1"}, {21, "RELU6"}, {22, "RESHAPE"},
    {23, "RESIZE_BILINEAR"}, {24, "RNN"}, {25, "SOFTMAX"},
    {26, "SPACE_TO_DEPTH"}, {27, "SVDF"}, {28, "TANH"},
    {29, "CONCAT_EMBEDDINGS"}, {30, "SKIP_GRAM"}, {31, "CALL"},
    {32, "CUSTOM"}, {33, "EMBEDDING_LOOKUP_SPARSE"}, {34, "PAD"},
    {35, "UNIDIRECTIONAL_SEQUENCE_RNN"}, {36, "GATHER"},
    {37, "BATCH_TO_SPACE_ND"}, {38, "SPACE_TO_BATCH_ND"}, {39, "TRANSPOSE"},
    {40, "MEAN"}, {41, "SUB"}, {42, "DIV"}, {43, "SQUEEZE"},
    {44, "UNIDIRECTIONAL_SEQUENCE_LSTM"}, {45, "STRIDED_SLICE"},
    {46, "BIDIRECTIONAL_SEQUENCE_RNN"}, {47, "EXP"}, {48, "TOPK_V2"},
    {49, "SPLIT"}, {50, "LOG_SOFTMAX"}, {51, "DELEGATE"},
    {52, "BIDIRECTIONAL_SEQUENCE_LSTM"}, {53, "CAST"}, {54, "PRELU"},
    {55, "MAXIMUM"}, {56, "ARG_MAX"}, {57, "MINIMUM"}, {58, "LESS"},
    {59, "NEG"}, {60, "PADV2"}, {61, "GREATER"}, {62, "GREATER_EQUAL"},
    {63, "LESS_EQUAL"}, {64, "SELECT"}, {65, "SLICE"}, {66, "SIN"},
    {67, "TRANSPOSE_CONV"}, {68, "SPARSE_TO_DENSE"}, {69, "TILE"},
    {70, "EXPAND_DIMS"}, {71, "EQUAL"}, {72, "NOT_EQUAL"}, {73, "LOG"},
    {74, "SUM"}, {75, "SQRT"}, {76, "RSQRT"}, {77, "SHAPE"}, {78, "POW"},
    {79, "ARG_MIN"}, {80, "FAKE_QUANT"}, {81, "REDUCE_PROD"},
    {82, "REDUCE_MAX"}, {83, "PACK"}, {84, "LOGICAL_OR"}, {85, "ONE_HOT"},
    {86, "LOGICAL_AND"}, {87, "LOGICAL_NOT"}, {88, "UNPACK"},
    {89, "REDUCE_MIN"}, {90, "FLOOR_DIV"}, {91, "REDUCE_ANY"},
    {92, "SQUARE"}, {93, "ZEROS_LIKE"}, {94, "FILL"}, {95, "FLOOR_MOD"},
    {96, "RANGE"}, {97, "RESIZE_NEAREST_NEIGHBOR"}, {98, "LEAKY_RELU"},
    {99, "SQUARED_DIFFERENCE"}, {100, "MIRROR_PAD"}, {101, "ABS"},
    {102, "SPLIT_V"}, {103, "UNIQUE"}, {104, "CEIL"}, {105, "REVERSE_V2"},
    {106, "ADD_N"}, {107, "GATHER_ND"}, {108, "COS"}, {109, "WHERE"},
    {110, "RANK"}, {111, "ELU"}, {112, "REVERSE_SEQUENCE"},
    {113, "MATRIX_DIAG"}, {114, "QUANTIZE"}, {115, "MATRIX_SET_DIAG"},
    {116, "ROUND"}, {117, "HARD_SWISH"}, {118, "IF"}, {119, "WHILE"},
    {120, "NON_MAX_SUPPRESSION_V4"}, {121, "NON_MAX_SUPPRESSION_V5"},
    {122, "SCATTER_ND"}, {123, "SELECT_V2"}, {124, "DENSIFY"},
    {125, "SEGMENT_SUM"}, {126, "BATCH_MATMUL"},
};

const char *tsrt_op_name(int code) {
  size_t i;
  for (i = 0; i < sizeof k_names / sizeof k_names[0]; i++)
    if (k_names[i].code == code) return k_names[i].name;
  return "BUILTIN_OP";
}

/* ------------------------------------------------------------ kernels */

/* -DTSRT_OPT selects the optimized int8 kernels (tsrt_nn_opt.c); without it
 * the reference kernels run (the firmware's `ref` variant). */
#ifdef TSRT_OPT
#include "tsrt_nn.h"
#define TSRT_K(name) tsrt_prepare_##name##_opt, tsrt_eval_##name##_opt
#else
#define TSRT_K(name) tsrt_prepare_##name, tsrt_eval_##name
#endif

static const tsrt_kernel k_kernels[] = {
    {TSRT_OP_ADD, tsrt_prepare_add, tsrt_eval_add},
    {TSRT_OP_AVERAGE_POOL_2D, TSRT_K(avgpool)},
    {TSRT_OP_CONCATENATION, tsrt_prepare_concat, tsrt_eval_concat},
    {TSRT_OP_CONV_2D, TSRT_K(conv)},
    {TSRT_OP_DEPTHWISE_CONV_2D, TSRT_K(dwconv)},
    {TSRT_OP_DEQUANTIZE, tsrt_prepare_dequantize, tsrt_eval_dequantize},
    {TSRT_OP_FULLY_CONNECTED, TSRT_K(fc)},
    {TSRT_OP_LOGISTIC, tsrt_prepare_logistic, tsrt_eval_logistic},
    {TSRT_OP_MAX_POOL_2D, TSRT_K(maxpool)},
    {TSRT_OP_MUL, tsrt_prepare_mul, tsrt_eval_mul},
    {TSRT_OP_RELU, tsrt_prepare_relu, tsrt_eval_relu},
    {TSRT_OP_RELU6, tsrt_prepare_relu6, tsrt_eval_relu6},
    {TSRT_OP_RESHAPE, tsrt_prepare_reshape, tsrt_eval_reshape},
    {TSRT_OP_SOFTMAX, tsrt_prepare_softmax, tsrt_eval_softmax},
    {TSRT_OP_SVDF, tsrt_prepare_svdf, tsrt_eval_svdf},
    {TSRT_OP_TANH, tsrt_prepare_tanh, tsrt_eval_tanh},
    {TSRT_OP_PAD, tsrt_prepare_pad, tsrt_eval_pad},
    {TSRT_OP_MEAN, tsrt_prepare_mean, tsrt_eval_mean},
    {TSRT_OP_SUB, tsrt_prepare_sub, tsrt_eval_sub},
    {TSRT_OP_SQUEEZE, tsrt_prepare_reshape, tsrt_eval_reshape},
    {TSRT_OP_STRIDED_SLICE, tsrt_prepare_strided_slice,
     tsrt_eval_strided_slice},
    {TSRT_OP_QUANTIZE, tsrt_prepare_quantize, tsrt_eval_quantize},
};

const tsrt_kernel *tsrt_find_kernel(int code) {
  size_t i;
  for (i = 0; i < sizeof k_kernels / sizeof k_kernels[0]; i++)
    if (k_kernels[i].code == code) return &k_kernels[i];
  return NULL;
}

#if defined(__GNUC__)
__attribute__((weak))
#endif
void tsrt_op_marker(int op_index, int builtin_code) {
  (void)op_index;
  (void)builtin_code;
}

/* ------------------------------------------------------------ helpers */

static size_t align_up(size_t v) {
  return (v + (TSRT_ALIGN - 1)) & ~(size_t)(TSRT_ALIGN - 1);
}

void *tsrt_palloc(tsrt_model *m, size_t bytes) {
  size_t need = align_up(bytes);
  uint8_t *p;
  if (need < bytes || m->tail + need > m->arena_size) {
    tsrt_fail(m, TSRT_ERR_ARENA,
              "arena too small: persistent data needs more than ",
              (long)(m->tail + need), " bytes, arena has ",
              (long)m->arena_size, " usable");
    return NULL;
  }
  m->tail += need;
  p = m->arena + m->arena_size - m->tail;
  memset(p, 0, need);
  return p;
}

int tsrt_type_size(int type) {
  switch (type) {
    case TSRT_FLOAT32:
    case TSRT_INT32:
      return 4;
    case TSRT_INT16:
      return 2;
    case TSRT_INT8:
    case TSRT_UINT8:
    case TSRT_BOOL:
      return 1;
    case TSRT_INT64:
      return 8;
    default:
      return 0;
  }
}

int32_t tsrt_elems(const tsrt_tensor *t) {
  int32_t n = 1;
  int i;
  for (i = 0; i < t->ndims; i++) n *= t->dims[i];
  return n;
}

int32_t tsrt_opt_int(tsrt_ctx *c, const tsrt_op *op, int idx, uint32_t fsize,
                     int is_signed, int32_t dflt) {
  if (!op->opts) return dflt;
  return tsrt_fb_int(c->r, op->opts, idx, fsize, is_signed, dflt);
}

float tsrt_opt_f32(tsrt_ctx *c, const tsrt_op *op, int idx, float dflt) {
  if (!op->opts) return dflt;
  return tsrt_fb_f32(c->r, op->opts, idx, dflt);
}

uint32_t tsrt_opt_vector(tsrt_ctx *c, const tsrt_op *op, int idx,
                         uint32_t elem, uint32_t *len) {
  *len = 0;
  if (!op->opts) return 0;
  return tsrt_fb_vector(c->r, op->opts, idx, elem, len);
}

static int model_err(tsrt_model *m, const char *what) {
  if (m->status != TSRT_OK) return m->status;
  tsrt_fail(m, TSRT_ERR_MODEL, "corrupt model: ", 0, NULL, 0, NULL);
  err_append(m, what);
  return TSRT_ERR_MODEL;
}

static int model_err_i(tsrt_model *m, const char *what, long i,
                       const char *rest) {
  if (m->status != TSRT_OK) return m->status;
  tsrt_fail(m, TSRT_ERR_MODEL, "corrupt model: ", 0, NULL, 0, NULL);
  err_append(m, what);
  err_append_int(m, i);
  err_append(m, rest);
  return TSRT_ERR_MODEL;
}

static int is_aligned(const void *p, size_t a) {
  return ((uintptr_t)p & (a - 1)) == 0;
}

/* Reads the first zero point (int64 in the schema, little-endian). */
static int32_t read_zp0(const tsrt_fb *r, uint32_t pos) {
  return (int32_t)tsrt_fb_u32(r, pos);
}

/* ------------------------------------------------------------ parsing */

static int parse_tensor(tsrt_model *m, tsrt_fb *r, uint32_t ttab,
                        uint32_t buffers, uint32_t nbuf, int idx) {
  tsrt_tensor *t = &m->tensors[idx];
  uint32_t len, pos, q, bidx, btab;
  uint64_t bytes;
  int esz, i;

  pos = tsrt_fb_vector(r, ttab, 0, 4, &len);
  if (r->bad) return model_err_i(m, "tensor ", idx, " shape");
  if (len > 8) return model_err_i(m, "tensor ", idx, " has more than 8 dims");
  t->ndims = (uint8_t)len;
  t->dims = (const int32_t *)(r->b + pos);
  if (len && !is_aligned(t->dims, 4))
    return model_err_i(m, "tensor ", idx, " shape misaligned");
  bytes = 1;
  for (i = 0; i < (int)len; i++) {
    if (t->dims[i] < 0)
      return model_err_i(m, "tensor ", idx, " has a negative/dynamic dim");
    bytes *= (uint64_t)t->dims[i];
    if (bytes > 0x7fffffffu)
      return model_err_i(m, "tensor ", idx, " too large");
  }
  t->type = (uint8_t)tsrt_fb_int(r, ttab, 1, 1, 1, 0);
  esz = tsrt_type_size(t->type);
  bytes *= (uint64_t)(esz ? esz : 1);
  if (bytes > 0x7fffffffu) return model_err_i(m, "tensor ", idx, " too large");
  t->bytes = (uint32_t)bytes;
  if (tsrt_fb_int(r, ttab, 5, 1, 0, 0)) t->flags |= TSRT_TF_VARIABLE;

  /* quantization */
  q = tsrt_fb_subtable(r, ttab, 4);
  if (q) {
    uint32_t sl, zl;
    uint32_t sp = tsrt_fb_vector(r, q, 2, 4, &sl);
    uint32_t zp = tsrt_fb_vector(r, q, 3, 8, &zl);
    if (sl) {
      uint32_t u = tsrt_fb_u32(r, sp);
      memcpy(&t->scale, &u, 4);
      if (sl > 1) {
        if (sl > 65535)
          return model_err_i(m, "tensor ", idx, " has too many scales");
        t->scales = (const float *)(r->b + sp);
        if (!is_aligned(t->scales, 4))
          return model_err_i(m, "tensor ", idx, " scales misaligned");
      }
      t->nscales = (uint16_t)sl;
    }
    if (zl) t->zero_point = read_zp0(r, zp);
    t->quant_dim = (uint8_t)tsrt_fb_int(r, q, 6, 4, 1, 0);
    if (zl) {
      /* The kernels add zero points (the int64's low word, as TFLM) to int32
       * sums: one outside its type's range would overflow them. */
      const uint32_t z = (uint32_t)t->zero_point, ty = t->type;
      const uint32_t off = ty == TSRT_INT8 ? 128u : ty == TSRT_INT16 ? 32768u : 0u;
      const uint32_t span = ty == TSRT_INT8 || ty == TSRT_UINT8 ? 255u
                          : ty == TSRT_INT16 ? 65535u : 0xffffffffu;
      if (z + off > span)
        return model_err_i(m, "tensor ", idx, ": zero point out of range");
    }
  }
  if (r->bad) return model_err_i(m, "tensor ", idx, " quantization");

  /* buffer */
  bidx = (uint32_t)tsrt_fb_int(r, ttab, 2, 4, 0, 0);
  if (nbuf && bidx >= nbuf)
    return model_err_i(m, "tensor ", idx, " buffer index out of range");
  if (bidx > 0 && nbuf) {
    uint32_t dl = 0, dp;
    uint64_t off, sz;
    const uint8_t *data = NULL;
    btab = tsrt_fb_vec_table(r, buffers, nbuf, bidx);
    if (r->bad) return model_err_i(m, "buffer ", (long)bidx, "");
    dp = tsrt_fb_vector(r, btab, 0, 1, &dl);
    off = tsrt_fb_u64(r, btab, 1, 0);
    sz = tsrt_fb_u64(r, btab, 2, 0);
    if (r->bad) return model_err_i(m, "buffer ", (long)bidx, "");
    if (dl) {
      data = r->b + dp;
    } else if (off > 1) {
      if (off + sz > r->size || off + sz < off)
        return model_err_i(m, "buffer ", (long)bidx, " out of range");
      data = r->b + off;
      dl = (uint32_t)sz;
    }
    if (data && dl) {
      if (dl < t->bytes)
        return model_err_i(m, "tensor ", idx, " buffer smaller than shape");
      if (esz > 1 && !is_aligned(data, (size_t)esz))
        return model_err_i(m, "tensor ", idx,
                           " constant data misaligned for its type");
      t->data = (void *)data;
      t->flags |= TSRT_TF_CONST;
      t->flags &= (uint8_t)~TSRT_TF_VARIABLE;
    }
  }
  return TSRT_OK;
}

static int32_t fb_i32(const int32_t *v, int i) { return v[i]; }

/* ------------------------------------------------------------ planning */

typedef struct {
  uint32_t size;
  uint32_t off;
  int16_t first, last;
  int32_t owner; /* >= 0 tensor, < 0: op scratch (-1 - op index) */
} plan_item;

static int plan(tsrt_model *m) {
  size_t avail = m->arena_size - m->tail;
  int32_t n = 0, i, k;
  plan_item *it = (plan_item *)m->arena;
  size_t head = 0, temp;

  for (i = 0; i < m->n_tensors; i++)
    if (m->tensors[i].flags & TSRT_TF_PLANNED) n++;
  for (i = 0; i < m->n_ops; i++)
    if (m->ops[i].scratch_bytes) n++;
  temp = (size_t)n * sizeof(plan_item);
  if (temp > avail)
    return tsrt_fail(m, TSRT_ERR_ARENA,
                     "arena too small: planner needs ", (long)(temp + m->tail),
                     " bytes, arena has ", (long)m->arena_size, "");
  n = 0;
  for (i = 0; i < m->n_tensors; i++) {
    tsrt_tensor *t = &m->tensors[i];
    if (!(t->flags & TSRT_TF_PLANNED)) continue;
    it[n].size = (uint32_t)align_up(t->bytes);
    it[n].first = t->first_use;
    it[n].last = t->last_use;
    it[n].owner = i;
    it[n].off = 0;
    n++;
  }
  for (i = 0; i < m->n_ops; i++) {
    if (!m->ops[i].scratch_bytes) continue;
    it[n].size = (uint32_t)align_up(m->ops[i].scratch_bytes);
    it[n].first = it[n].last = (int16_t)i;
    it[n].owner = -1 - i;
    it[n].off = 0;
    n++;
  }
  /* stable insertion sort, largest first */
  for (i = 1; i < n; i++) {
    plan_item x = it[i];
    k = i - 1;
    while (k >= 0 && it[k].size < x.size) {
      it[k + 1] = it[k];
      k--;
    }
    it[k + 1] = x;
  }
  /* greedy first fit among buffers alive at the same time */
  for (i = 0; i < n; i++) {
    uint32_t cand = 0;
    int moved = 1;
    while (moved) {
      moved = 0;
      for (k = 0; k < i; k++) {
        if (it[k].last < it[i].first || it[i].last < it[k].first) continue;
        if (it[k].off < cand + it[i].size && cand < it[k].off + it[k].size) {
          cand = it[k].off + it[k].size;
          moved = 1;
        }
      }
    }
    it[i].off = cand;
    if (cand + it[i].size > head) head = cand + it[i].size;
  }
  if (head + m->tail > m->arena_size || temp + m->tail > m->arena_size)
    return tsrt_fail(m, TSRT_ERR_ARENA, "arena too small: model needs ",
                     (long)((head > temp ? head : temp) + m->tail),
                     " bytes, arena has ", (long)m->arena_size, "");
  for (i = 0; i < n; i++) {
    if (it[i].owner >= 0) {
      m->tensors[it[i].owner].data = (void *)(uintptr_t)it[i].off;
    } else {
      m->ops[-1 - it[i].owner].scratch_off = it[i].off;
    }
  }
  for (i = 0; i < m->n_tensors; i++) {
    tsrt_tensor *t = &m->tensors[i];
    if (t->flags & TSRT_TF_PLANNED)
      t->data = m->arena + (size_t)(uintptr_t)t->data;
    else if (!t->data)
      t->data = m->arena; /* empty or unused: never NULL */
  }
  for (i = 0; i < m->n_ops; i++)
    if (m->ops[i].scratch_bytes)
      m->ops[i].scratch = m->arena + m->ops[i].scratch_off;
  m->head = head > temp ? head : temp;
  return TSRT_OK;
}

void tsrt_reset_state(tsrt_model *m) {
  int32_t i;
  if (!m || !m->tensors) return;
  for (i = 0; i < m->n_tensors; i++) {
    tsrt_tensor *t = &m->tensors[i];
    if ((t->flags & TSRT_TF_VARIABLE) && t->data) {
      int v = t->type == TSRT_INT8 ? (int)t->zero_point : 0;
      memset(t->data, v, t->bytes);
    }
  }
}

/* ------------------------------------------------------------ init */

int tsrt_init(tsrt_model *m, const uint8_t *flatbuffer, size_t size,
              uint8_t *arena, size_t arena_size) {
  tsrt_fb rd;
  tsrt_fb *r = &rd;
  tsrt_ctx ctx;
  uint32_t root, opcodes, nopc, sgs, nsg, buffers, nbuf, sg, tensors, nten;
  uint32_t ins, nin, outs, nout, opsv, nops, i;
  size_t pad;
  int rc;

  if (!m) return TSRT_ERR_STATE;
  memset(m, 0, sizeof *m);
  m->fb = flatbuffer;
  m->fb_size = size;
  if (!flatbuffer || size < 16 || size > 0x7fffffffu)
    return model_err(m, "buffer missing or too small/large");
  if (!is_aligned(flatbuffer, 4))
    return model_err(m, "flatbuffer must be 4-byte aligned");
  if (!arena)
    return tsrt_fail(m, TSRT_ERR_ARENA, "no arena", 0, NULL, 0, NULL);
  pad = (size_t)((TSRT_ALIGN - ((uintptr_t)arena & (TSRT_ALIGN - 1))) &
                 (TSRT_ALIGN - 1));
  if (arena_size < pad + TSRT_ALIGN)
    return tsrt_fail(m, TSRT_ERR_ARENA, "arena too small: has ",
                     (long)arena_size, " bytes", 0, NULL);
  m->arena = arena + pad;
  m->arena_size = (arena_size - pad) & ~(size_t)(TSRT_ALIGN - 1);

  rd.b = flatbuffer;
  rd.size = (uint32_t)size;
  rd.bad = 0;
  ctx.m = m;
  ctx.r = r;
  ctx.bad_scales = 0;

  root = tsrt_fb_u32(r, 0);
  if (!tsrt_fb_table(r, root)) return model_err(m, "bad root table");
  opcodes = tsrt_fb_vector(r, root, 1, 4, &nopc);
  sgs = tsrt_fb_vector(r, root, 2, 4, &nsg);
  buffers = tsrt_fb_vector(r, root, 4, 4, &nbuf);
  if (r->bad) return model_err(m, "bad model tables");
  if (nsg < 1) return model_err(m, "no subgraph");
  sg = tsrt_fb_vec_table(r, sgs, nsg, 0);
  if (r->bad) return model_err(m, "bad subgraph");
  tensors = tsrt_fb_vector(r, sg, 0, 4, &nten);
  ins = tsrt_fb_vector(r, sg, 1, 4, &nin);
  outs = tsrt_fb_vector(r, sg, 2, 4, &nout);
  opsv = tsrt_fb_vector(r, sg, 3, 4, &nops);
  if (r->bad) return model_err(m, "bad subgraph vectors");
  if (nten > 32000 || nops > 32000 || nin > 1000 || nout > 1000)
    return model_err(m, "too many tensors/operators");
  m->n_tensors = (int32_t)nten;
  m->n_ops = (int32_t)nops;
  m->n_inputs = (int32_t)nin;
  m->n_outputs = (int32_t)nout;
  m->inputs = (const int32_t *)(flatbuffer + ins);
  m->outputs = (const int32_t *)(flatbuffer + outs);
  if ((nin && !is_aligned(m->inputs, 4)) || (nout && !is_aligned(m->outputs, 4)))
    return model_err(m, "misaligned input/output vector");
  for (i = 0; i < nin; i++)
    if (fb_i32(m->inputs, (int)i) < 0 || fb_i32(m->inputs, (int)i) >= (int32_t)nten)
      return model_err_i(m, "graph input ", (long)i, " index out of range");
  for (i = 0; i < nout; i++)
    if (fb_i32(m->outputs, (int)i) < 0 || fb_i32(m->outputs, (int)i) >= (int32_t)nten)
      return model_err_i(m, "graph output ", (long)i, " index out of range");

  /* operators: resolve codes first so an unsupported op is reported before
   * anything else (and before the arena is touched) */
  {
    uint32_t k;
    for (k = 0; k < nops; k++) {
      uint32_t op = tsrt_fb_vec_table(r, opsv, nops, k);
      uint32_t oi, oc;
      int32_t dep, bc, code;
      if (r->bad) return model_err_i(m, "operator ", (long)k, "");
      oi = (uint32_t)tsrt_fb_int(r, op, 0, 4, 0, 0);
      if (oi >= nopc)
        return model_err_i(m, "operator ", (long)k, " opcode index out of range");
      oc = tsrt_fb_vec_table(r, opcodes, nopc, oi);
      if (r->bad) return model_err_i(m, "operator code ", (long)oi, "");
      dep = tsrt_fb_int(r, oc, 0, 1, 1, 0);
      bc = tsrt_fb_int(r, oc, 3, 4, 1, 0);
      code = dep > bc ? dep : bc;
      if (r->bad) return model_err_i(m, "operator code ", (long)oi, "");
      if (!tsrt_find_kernel(code)) {
        tsrt_fail(m, TSRT_ERR_UNSUPPORTED_OP, "unsupported operator ", 0, NULL,
                  0, NULL);
        err_append(m, tsrt_op_name(code));
        err_append(m, " (builtin code ");
        err_append_int(m, code);
        err_append(m, ") at operator index ");
        err_append_int(m, (long)k);
        return TSRT_ERR_UNSUPPORTED_OP;
      }
    }
  }

  m->tensors = (tsrt_tensor *)tsrt_palloc(m, sizeof(tsrt_tensor) * (nten ? nten : 1));
  if (!m->tensors) return m->status;
  m->ops = (tsrt_op *)tsrt_palloc(m, sizeof(tsrt_op) * (nops ? nops : 1));
  if (!m->ops) return m->status;

  for (i = 0; i < nten; i++) {
    uint32_t tt = tsrt_fb_vec_table(r, tensors, nten, i);
    if (r->bad) return model_err_i(m, "tensor ", (long)i, "");
    rc = parse_tensor(m, r, tt, buffers, nbuf, (int)i);
    if (rc) return rc;
    m->tensors[i].first_use = -1;
    m->tensors[i].last_use = -1;
  }

  for (i = 0; i < nops; i++) {
    tsrt_op *op = &m->ops[i];
    uint32_t otab = tsrt_fb_vec_table(r, opsv, nops, i);
    uint32_t oi = (uint32_t)tsrt_fb_int(r, otab, 0, 4, 0, 0);
    uint32_t oc = tsrt_fb_vec_table(r, opcodes, nopc, oi);
    int32_t dep = tsrt_fb_int(r, oc, 0, 1, 1, 0);
    int32_t bc = tsrt_fb_int(r, oc, 3, 4, 1, 0);
    uint32_t ip, il, opp, ol, k;
    op->code = (uint16_t)(dep > bc ? dep : bc);
    ip = tsrt_fb_vector(r, otab, 1, 4, &il);
    opp = tsrt_fb_vector(r, otab, 2, 4, &ol);
    if (r->bad) return model_err_i(m, "operator ", (long)i, " inputs/outputs");
    if (il > 255 || ol > 255 || ol < 1)
      return model_err_i(m, "operator ", (long)i, " input/output count");
    op->in = (const int32_t *)(flatbuffer + ip);
    op->out = (const int32_t *)(flatbuffer + opp);
    if ((il && !is_aligned(op->in, 4)) || !is_aligned(op->out, 4))
      return model_err_i(m, "operator ", (long)i, " misaligned vectors");
    op->nin = (uint8_t)il;
    op->nout = (uint8_t)ol;
    for (k = 0; k < il; k++) {
      int32_t ti = op->in[k];
      if (ti < -1 || ti >= (int32_t)nten)
        return model_err_i(m, "operator ", (long)i, " input index out of range");
    }
    for (k = 0; k < ol; k++) {
      int32_t ti = op->out[k];
      if (ti < 0 || ti >= (int32_t)nten)
        return model_err_i(m, "operator ", (long)i, " output index out of range");
    }
    op->opts_type = (uint8_t)tsrt_fb_int(r, otab, 3, 1, 0, 0);
    op->opts = tsrt_fb_subtable(r, otab, 4);
    if (r->bad) return model_err_i(m, "operator ", (long)i, " options");
  }

  /* lifetimes (as TFLM's allocation info builder) */
  for (i = 0; i < nin; i++) m->tensors[m->inputs[i]].first_use = 0;
  for (i = 0; i < nops; i++) {
    tsrt_op *op = &m->ops[i];
    uint32_t k;
    for (k = 0; k < op->nin; k++) {
      tsrt_tensor *t;
      if (op->in[k] < 0) continue;
      t = &m->tensors[op->in[k]];
      if (t->first_use < 0) t->first_use = (int16_t)i;
      t->last_use = (int16_t)i;
    }
    for (k = 0; k < op->nout; k++) {
      tsrt_tensor *t = &m->tensors[op->out[k]];
      if (t->flags & TSRT_TF_CONST)
        return model_err_i(m, "operator ", (long)i, " writes a constant tensor");
      if (t->first_use < 0) t->first_use = (int16_t)i;
      if (t->last_use < (int16_t)i) t->last_use = (int16_t)i;
    }
  }
  for (i = 0; i < nout; i++) {
    tsrt_tensor *t = &m->tensors[m->outputs[i]];
    if (t->first_use < 0) t->first_use = 0;
    t->last_use = (int16_t)(nops ? nops - 1 : 0);
  }
  for (i = 0; i < nten; i++) {
    tsrt_tensor *t = &m->tensors[i];
    if (t->flags & TSRT_TF_CONST) continue;
    if (t->first_use < 0 && !(t->flags & TSRT_TF_VARIABLE)) continue;
    if (!tsrt_type_size(t->type)) {
      tsrt_fail(m, TSRT_ERR_UNSUPPORTED_TYPE, "tensor ", (long)i,
                ": unsupported tensor type ", (long)t->type, "");
      return TSRT_ERR_UNSUPPORTED_TYPE;
    }
    if (!(t->flags & TSRT_TF_VARIABLE) && t->bytes) t->flags |= TSRT_TF_PLANNED;
  }

  /* prepare every operator */
  for (i = 0; i < nops; i++) {
    tsrt_op *op = &m->ops[i];
    const tsrt_kernel *k = tsrt_find_kernel(op->code);
    rc = k->prepare(&ctx, op, (int)i);
    if (rc) return rc;
    if (ctx.bad_scales)
      return model_err_i(m, "operator ", (long)i,
                         ": quantization scales out of range");
    if (r->bad) return model_err_i(m, "operator ", (long)i, " options");
    if (m->status) return m->status;
  }

  /* variable tensors live in the persistent part */
  for (i = 0; i < nten; i++) {
    tsrt_tensor *t = &m->tensors[i];
    if ((t->flags & TSRT_TF_VARIABLE) && !(t->flags & TSRT_TF_CONST)) {
      t->data = tsrt_palloc(m, t->bytes ? t->bytes : 1);
      if (!t->data) return m->status;
    }
  }

  rc = plan(m);
  if (rc) return rc;
  tsrt_reset_state(m);
  m->ready = 1;
  return TSRT_OK;
}

/* ------------------------------------------------------------ invoke */

int tsrt_invoke(tsrt_model *m) {
  int32_t i;
  if (!m || !m->ready) {
    if (m && m->status == TSRT_OK)
      tsrt_fail(m, TSRT_ERR_STATE, "invoke before successful init", 0, NULL, 0,
                NULL);
    return TSRT_ERR_STATE;
  }
  for (i = 0; i < m->n_ops; i++) {
    tsrt_op *op = &m->ops[i];
    const tsrt_kernel *k = tsrt_find_kernel(op->code);
    int rc;
    tsrt_op_marker((int)i, op->code);
    rc = k->eval(m, op);
    if (rc) {
      if (m->status == TSRT_OK)
        tsrt_fail_op(m, rc, (int)i, op->code, "evaluation failed");
      return rc;
    }
  }
  tsrt_op_marker(-1, -1);
  return TSRT_OK;
}

/* ------------------------------------------------------------ accessors */

size_t tsrt_arena_planned(const tsrt_model *m) {
  return m ? m->head + m->tail : 0;
}
size_t tsrt_arena_activations(const tsrt_model *m) { return m ? m->head : 0; }
size_t tsrt_arena_persistent(const tsrt_model *m) { return m ? m->tail : 0; }

int tsrt_input_count(const tsrt_model *m) {
  return m && m->ready ? (int)m->n_inputs : 0;
}
int tsrt_output_count(const tsrt_model *m) {
  return m && m->ready ? (int)m->n_outputs : 0;
}

const tsrt_tensor *tsrt_input(const tsrt_model *m, int i) {
  if (!m || !m->ready || i < 0 || i >= m->n_inputs) return NULL;
  return &m->tensors[m->inputs[i]];
}
const tsrt_tensor *tsrt_output(const tsrt_model *m, int i) {
  if (!m || !m->ready || i < 0 || i >= m->n_outputs) return NULL;
  return &m->tensors[m->outputs[i]];
}
void *tsrt_input_data(tsrt_model *m, int i) {
  const tsrt_tensor *t = tsrt_input(m, i);
  return t ? t->data : NULL;
}
void *tsrt_output_data(tsrt_model *m, int i) {
  const tsrt_tensor *t = tsrt_output(m, i);
  return t ? t->data : NULL;
}
size_t tsrt_input_bytes(const tsrt_model *m, int i) {
  const tsrt_tensor *t = tsrt_input(m, i);
  return t ? t->bytes : 0;
}
size_t tsrt_output_bytes(const tsrt_model *m, int i) {
  const tsrt_tensor *t = tsrt_output(m, i);
  return t ? t->bytes : 0;
}
int tsrt_tensor_type(const tsrt_tensor *t) { return t ? t->type : -1; }
int tsrt_tensor_ndims(const tsrt_tensor *t) { return t ? t->ndims : 0; }
int tsrt_tensor_dim(const tsrt_tensor *t, int i) {
  return (t && i >= 0 && i < t->ndims) ? (int)t->dims[i] : 0;
}
float tsrt_tensor_scale(const tsrt_tensor *t) { return t ? t->scale : 0.0f; }
int32_t tsrt_tensor_zero_point(const tsrt_tensor *t) {
  return t ? t->zero_point : 0;
}
