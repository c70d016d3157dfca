/* Host harness: tsrt_run <model.tflite> <input.bin> <output.bin> [--arena N]
 *
 * input.bin holds the model inputs concatenated in graph order, raw bytes.
 * If it holds K times that size, the model is invoked K times (state such as
 * SVDF's carries over) and output.bin gets K copies of the concatenated
 * outputs. Prints the planned arena and, on failure, the runtime's error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tsrt.h"

static unsigned char *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  unsigned char *buf;
  long len;
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  len = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = (unsigned char *)aligned_alloc(16, ((size_t)len + 31) & ~(size_t)15);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  if (len && fread(buf, 1, (size_t)len, f) != (size_t)len) {
    fclose(f);
    free(buf);
    return NULL;
  }
  fclose(f);
  *n = (size_t)len;
  return buf;
}

int main(int argc, char **argv) {
  static tsrt_model m;
  size_t model_len = 0, in_len = 0, arena_size = 64u << 20, in_total = 0;
  unsigned char *model, *input, *arena;
  FILE *out;
  int i, rc, reps, r, status = 0;
  if (argc < 4) {
    fprintf(stderr,
            "usage: %s <model.tflite> <input.bin> <output.bin> [--arena N]\n",
            argv[0]);
    return 2;
  }
  for (i = 4; i + 1 < argc; i += 2)
    if (!strcmp(argv[i], "--arena")) arena_size = (size_t)strtoull(argv[i + 1], NULL, 0);
  model = slurp(argv[1], &model_len);
  input = slurp(argv[2], &in_len);
  arena = (unsigned char *)aligned_alloc(16, (arena_size + 31) & ~(size_t)15);
  if (!model || !input || !arena) {
    fprintf(stderr, "cannot read %s / %s or allocate the arena\n", argv[1], argv[2]);
    status = 2;
    goto done;
  }
  rc = tsrt_init(&m, model, model_len, arena, arena_size);
  if (rc != TSRT_OK) {
    printf("error %d: %s\n", rc, tsrt_error(&m));
    status = 3;
    goto done;
  }
  printf("arena_planned %lu activations %lu persistent %lu\n",
         (unsigned long)tsrt_arena_planned(&m),
         (unsigned long)tsrt_arena_activations(&m),
         (unsigned long)tsrt_arena_persistent(&m));
  for (i = 0; i < tsrt_input_count(&m); i++) in_total += tsrt_input_bytes(&m, i);
  if (in_total == 0 ? in_len != 0 : (in_len == 0 || in_len % in_total != 0)) {
    printf("error: input.bin has %lu bytes, inputs need a multiple of %lu\n",
           (unsigned long)in_len, (unsigned long)in_total);
    status = 2;
    goto done;
  }
  reps = in_total ? (int)(in_len / in_total) : 1;
  out = fopen(argv[3], "wb");
  if (!out) {
    status = 2;
    goto done;
  }
  for (r = 0; r < reps; r++) {
    size_t off = (size_t)r * in_total;
    for (i = 0; i < tsrt_input_count(&m); i++) {
      memcpy(tsrt_input_data(&m, i), input + off, tsrt_input_bytes(&m, i));
      off += tsrt_input_bytes(&m, i);
    }
    rc = tsrt_invoke(&m);
    if (rc != TSRT_OK) {
      printf("error %d: %s\n", rc, tsrt_error(&m));
      status = 4;
      break;
    }
    for (i = 0; i < tsrt_output_count(&m); i++)
      fwrite(tsrt_output_data(&m, i), 1, tsrt_output_bytes(&m, i), out);
  }
  fclose(out);
done:
  free(arena);
  free(input);
  free(model);
  return status;
}
