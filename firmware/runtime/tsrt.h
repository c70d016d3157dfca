/* tsrt: tinysim runtime, a TensorFlow-Lite-Micro compatible interpreter.
 *
 * Portable C99, no malloc, no globals except constant tables. The caller owns
 * every byte: the model struct, the flatbuffer and the tensor arena.
 *
 *   static tsrt_model m;
 *   static uint8_t arena[32 * 1024] __attribute__((aligned(16)));
 *   if (tsrt_init(&m, model_tflite, model_len, arena, sizeof arena) != TSRT_OK)
 *       puts(tsrt_error(&m));
 *   memcpy(tsrt_input_data(&m, 0), pixels, tsrt_input_bytes(&m, 0));
 *   tsrt_invoke(&m);
 *   const int8_t *scores = tsrt_output_data(&m, 0);
 *
 * The flatbuffer must stay valid (and unchanged) for the life of the model:
 * constant tensors point into it. It must be 4-byte aligned; constant buffers
 * read as int16/int32/float/int64 must be aligned to their element size
 * (TFLite converters align buffers to 16), otherwise tsrt_init fails.
 * Results are bit-exact with TFLM's reference kernels.
 */
#ifndef TSRT_H
#define TSRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes (negative = error; tsrt_error() has the message). */
#define TSRT_OK 0
#define TSRT_ERR_MODEL (-1)       /* corrupt / malformed flatbuffer */
#define TSRT_ERR_UNSUPPORTED_OP (-2)
#define TSRT_ERR_UNSUPPORTED_TYPE (-3)
#define TSRT_ERR_ARENA (-4)       /* arena too small (message: needed vs available) */
#define TSRT_ERR_INVALID (-5)     /* shapes / parameters TFLM would reject */
#define TSRT_ERR_STATE (-6)       /* invoke before a successful init, bad index */

/* Tensor element types: the TFLite schema's TensorType values. */
#define TSRT_FLOAT32 0
#define TSRT_INT32 2
#define TSRT_UINT8 3
#define TSRT_INT64 4
#define TSRT_BOOL 6
#define TSRT_INT16 7
#define TSRT_INT8 9

#define TSRT_ERR_LEN 160

/* Runtime view of one tensor (lives in the arena's persistent part). */
typedef struct tsrt_tensor {
  void *data;            /* into the model (constants) or the arena */
  const int32_t *dims;   /* into the flatbuffer */
  uint32_t bytes;        /* data size in bytes */
  float scale;           /* first (or only) scale; 0 if not quantized */
  int32_t zero_point;    /* first (or only) zero point */
  const float *scales;   /* per-channel scales (into the flatbuffer) or NULL */
  uint16_t nscales;
  uint8_t type;          /* TSRT_INT8 ... */
  uint8_t ndims;
  uint8_t quant_dim;
  uint8_t flags;         /* TSRT_TF_* */
  int16_t first_use, last_use; /* planner lifetimes (operator indices) */
} tsrt_tensor;

#define TSRT_TF_CONST 1
#define TSRT_TF_VARIABLE 2
#define TSRT_TF_PLANNED 4

struct tsrt_op;

/* Per-model state. Treat as opaque; documented so it can be placed
 * statically (sizeof(tsrt_model) is small: the big parts live in the arena). */
typedef struct tsrt_model {
  const uint8_t *fb;
  size_t fb_size;
  uint8_t *arena;        /* 16-byte aligned start actually used */
  size_t arena_size;     /* usable bytes from `arena` */
  size_t head;           /* planned (non-persistent) bytes at the arena start */
  size_t tail;           /* persistent bytes at the arena end */
  tsrt_tensor *tensors;
  struct tsrt_op *ops;
  const int32_t *inputs; /* subgraph input tensor indices (into flatbuffer) */
  const int32_t *outputs;
  int32_t n_tensors, n_ops, n_inputs, n_outputs;
  int32_t ready;
  int32_t status;
  char err[TSRT_ERR_LEN];
} tsrt_model;

/* Parse, validate, prepare every operator and plan the arena. The arena
 * holds activations, scratch and persistent runtime data (tensor and op
 * records, per-channel multipliers, variable tensors, LUTs). */
int tsrt_init(tsrt_model *m, const uint8_t *flatbuffer, size_t size,
              uint8_t *arena, size_t arena_size);

/* Bytes of arena the model needs (planned activations + persistent part). */
size_t tsrt_arena_planned(const tsrt_model *m);
/* Its two parts. */
size_t tsrt_arena_activations(const tsrt_model *m);
size_t tsrt_arena_persistent(const tsrt_model *m);

int tsrt_input_count(const tsrt_model *m);
int tsrt_output_count(const tsrt_model *m);
const tsrt_tensor *tsrt_input(const tsrt_model *m, int i);
const tsrt_tensor *tsrt_output(const tsrt_model *m, int i);
void *tsrt_input_data(tsrt_model *m, int i);
void *tsrt_output_data(tsrt_model *m, int i);
size_t tsrt_input_bytes(const tsrt_model *m, int i);
size_t tsrt_output_bytes(const tsrt_model *m, int i);
/* Accessors on a tensor from tsrt_input()/tsrt_output(). */
int tsrt_tensor_type(const tsrt_tensor *t);
int tsrt_tensor_ndims(const tsrt_tensor *t);
int tsrt_tensor_dim(const tsrt_tensor *t, int i);
float tsrt_tensor_scale(const tsrt_tensor *t);
int32_t tsrt_tensor_zero_point(const tsrt_tensor *t);

/* Run the graph once. Variable tensors (e.g. SVDF state) persist between
 * calls; tsrt_reset_state() zeroes them as TFLM's ResetVariableTensors. */
int tsrt_invoke(tsrt_model *m);
void tsrt_reset_state(tsrt_model *m);

const char *tsrt_error(const tsrt_model *m);
const char *tsrt_op_name(int builtin_code);

/* Profiling hook: called before each operator (op_index, builtin code) and
 * once more with op_index == -1 after the last one. Weak no-op by default;
 * the firmware/emulator overrides it. */
void tsrt_op_marker(int op_index, int builtin_code);

#ifdef __cplusplus
}
#endif
#endif
