/* C-level API checks for tsrt, driven by test_errors.py:
 *   api_test <model.tflite>
 * Prints one line per check; overrides the weak tsrt_op_marker hook. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsrt.h"

static int markers[256][2];
static int n_markers;

void tsrt_op_marker(int op_index, int builtin_code) {
  if (n_markers < 256) {
    markers[n_markers][0] = op_index;
    markers[n_markers][1] = builtin_code;
  }
  n_markers++;
}

int main(int argc, char **argv) {
  static tsrt_model m;
  static unsigned char arena[1 << 20] __attribute__((aligned(16)));
  unsigned char *model;
  long len;
  int i, rc;
  FILE *f;
  if (argc < 2) return 2;
  f = fopen(argv[1], "rb");
  if (!f) return 2;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  model = aligned_alloc(16, (size_t)len + 16);
  if (fread(model, 1, (size_t)len, f) != (size_t)len) return 2;
  fclose(f);

  printf("init_null_model %d\n", tsrt_init(&m, NULL, 0, arena, sizeof arena));
  printf("invoke_after_failed_init %d\n", tsrt_invoke(&m));
  printf("init_null_struct %d\n", tsrt_init(NULL, model, (size_t)len, arena, sizeof arena));
  printf("init_null_arena %d\n", tsrt_init(&m, model, (size_t)len, NULL, 0));
  printf("init_misaligned_model %d\n",
         tsrt_init(&m, model + 1, (size_t)len - 1, arena, sizeof arena));
  memset(&m, 0, sizeof m);
  printf("invoke_zeroed_struct %d\n", tsrt_invoke(&m));
  /* unaligned arena start is fine: tsrt aligns it itself */
  rc = tsrt_init(&m, model, (size_t)len, arena + 3, sizeof arena - 3);
  printf("init %d %s\n", rc, tsrt_error(&m));
  if (rc) return 1;
  printf("counts %d %d\n", tsrt_input_count(&m), tsrt_output_count(&m));
  printf("bad_index %p %p %lu\n", (void *)tsrt_input(&m, 5), tsrt_output_data(&m, -1),
         (unsigned long)tsrt_input_bytes(&m, 9));
  {
    const tsrt_tensor *t = tsrt_input(&m, 0);
    printf("input0 type %d ndims %d dims", tsrt_tensor_type(t), tsrt_tensor_ndims(t));
    for (i = 0; i < tsrt_tensor_ndims(t); i++) printf(" %d", tsrt_tensor_dim(t, i));
    printf(" scale %.6g zp %d\n", (double)tsrt_tensor_scale(t), (int)tsrt_tensor_zero_point(t));
    printf("aligned %d\n", (int)(((size_t)tsrt_input_data(&m, 0)) % 16 == 0));
  }
  memset(tsrt_input_data(&m, 0), 0, tsrt_input_bytes(&m, 0));
  n_markers = 0;
  rc = tsrt_invoke(&m);
  printf("invoke %d\n", rc);
  printf("markers");
  for (i = 0; i < n_markers && i < 256; i++) printf(" %d:%d", markers[i][0], markers[i][1]);
  printf("\n");
  printf("op_name %s %s\n", tsrt_op_name(3), tsrt_op_name(114));
  free(model);
  return 0;
}
