/*
 * infer - the prebuilt inference firmware: runs whatever .tflite model the emulator
 * placed in the model partition, on the input(s) placed in the input partition.
 *
 * Partitions (linker script symbols), both filled at load time by the host:
 *   model: struct part_header {"TSM1", size, crc32, 0} + flatbuffer (16-byte aligned)
 *   input: struct part_header {"TSI1", size, count, 0} + count x (all inputs' bytes, in order)
 * Results go to the RAM struct `tsrt_results` (read by the host after the run) and a
 * summary to the UART. Exit code: 0 ok, 2 bad partition, 3 model rejected, 4 invoke failed.
 */
#include "tinysim.h"      /* memcpy, memcmp, strlen (firmware/common/string.c) */
#include "tsrt.h"

#ifndef ARENA_SIZE
#error "the board's Makefile sets ARENA_SIZE"
#endif
#define MAX_OUTPUTS 8

struct part_header {
    char magic[4];
    uint32_t size;
    uint32_t word2;
    uint32_t reserved;
};

struct tsrt_output_desc {
    uint32_t addr;
    uint32_t size;
    int32_t type;
    int32_t reserved;
};

/* Read by the host: keep the layout in step with tinysim/inference.py. */
struct tsrt_results {
    char magic[4];                  /* "TSR1" once filled */
    int32_t status;                 /* 0 ok, else the exit code */
    uint32_t arena_planned;
    uint32_t arena_size;
    uint32_t inferences;
    uint32_t n_outputs;
    struct tsrt_output_desc out[MAX_OUTPUTS];
    char error[128];
};

extern const uint8_t __model_partition_start__[], __model_partition_end__[];
extern const uint8_t __input_partition_start__[], __input_partition_end__[];

volatile struct tsrt_results tsrt_results;
static uint8_t arena[ARENA_SIZE] __attribute__((aligned(16), section(".noinit.arena")));
static tsrt_model model;

static int fail(int status, const char *what, const char *why)
{
    tsrt_results.status = status;
    size_t n = strlen(why);
    if (n >= sizeof tsrt_results.error) n = sizeof tsrt_results.error - 1;
    memcpy((void *)tsrt_results.error, why, n);
    tsrt_results.error[n] = 0;
    memcpy((void *)tsrt_results.magic, "TSR1", 4);
    console_printf("@tsrt error %s: %s\n", what, why);
    return status;
}

int main(void)
{
    board_init();
    const struct part_header *mh = (const struct part_header *)__model_partition_start__;
    const struct part_header *ih = (const struct part_header *)__input_partition_start__;
    size_t model_room = (size_t)(__model_partition_end__ - __model_partition_start__) - sizeof *mh;
    if (memcmp(mh->magic, "TSM1", 4) != 0 || mh->size > model_room)
        return fail(2, "model partition", "no model (header magic TSM1 missing or size too large)");
    if (memcmp(ih->magic, "TSI1", 4) != 0)
        return fail(2, "input partition", "no input (header magic TSI1 missing)");

    const uint8_t *fb = (const uint8_t *)(mh + 1);
    if (tsrt_init(&model, fb, mh->size, arena, sizeof arena) != 0)
        return fail(3, "model", tsrt_error(&model));
    tsrt_results.arena_planned = (uint32_t)tsrt_arena_planned(&model);
    tsrt_results.arena_size = ARENA_SIZE;
    console_printf("model: %u bytes, arena planned %u of %u bytes\n", (unsigned)mh->size,
                   (unsigned)tsrt_results.arena_planned, (unsigned)ARENA_SIZE);

    size_t in_bytes = 0;
    for (int i = 0; i < tsrt_input_count(&model); i++)
        in_bytes += tsrt_input_bytes(&model, i);
    uint32_t count = ih->word2;
    if (in_bytes * count > ih->size)
        return fail(2, "input partition", "fewer input bytes than the model's inputs need");

    const uint8_t *src = (const uint8_t *)(ih + 1);
    for (uint32_t n = 0; n < count; n++) {
        for (int i = 0; i < tsrt_input_count(&model); i++) {
            size_t sz = tsrt_input_bytes(&model, i);
            memcpy(tsrt_input_data(&model, i), src, sz);
            src += sz;
        }
        if (tsrt_invoke(&model) != 0)
            return fail(4, "invoke", tsrt_error(&model));
        tsrt_results.inferences = n + 1;
    }
    int nout = tsrt_output_count(&model);
    if (nout > MAX_OUTPUTS) nout = MAX_OUTPUTS;
    tsrt_results.n_outputs = (uint32_t)nout;
    for (int i = 0; i < nout; i++) {
        tsrt_results.out[i].addr = (uint32_t)(uintptr_t)tsrt_output_data(&model, i);
        tsrt_results.out[i].size = (uint32_t)tsrt_output_bytes(&model, i);
        tsrt_results.out[i].type = tsrt_tensor_type(tsrt_output(&model, i));
    }
    tsrt_results.status = 0;
    memcpy((void *)tsrt_results.magic, "TSR1", 4);
    console_printf("inferences: %u, outputs: %d\n", (unsigned)count, nout);
    return 0;
}
