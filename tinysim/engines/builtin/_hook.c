/* Native callbacks registered with Unicorn through its C API (uc_hook_add, uc_mmio_map).
 *
 * Built by setuptools at `pip install` (see setup.py), so no process pays a JIT compile.
 * The functions take all their state from the user-data pointer Python passes at
 * registration: a shared int64 array that Python owns (numpy) and reads between runs. The
 * layout constants are mirrored in _native.py; keep both in step.
 *
 * Block hook: exact instruction counts and estimated cycles per executed translated block.
 *   header | pending blocks | one record per slot (icount, cycles, block size, flags,
 *   accumulated instructions, accumulated cycles): a block touches one cache line of them.
 * A slot is a 2-byte granule of a code region (Thumb and RVC instructions are 2-byte
 * aligned). Unicorn checks for a stop request right after the block hook returns: a block
 * the hook stops at does NOT execute, so it is counted only when it is let run.
 *
 * MMIO read: registers without read side effects (GPIO input, event and status registers)
 * are answered from a shadow table the peripheral models keep current, so firmware that
 * polls them runs at native speed. Every other access goes to the Python model.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef int (*uc_emu_stop_fn)(void *uc);
typedef uint64_t (*mmio_read_fn)(void *uc, uint64_t offset, unsigned size, void *user);

/* Header words (mirrored in _native.py). */
enum { INSNS, CYCLES, DEADLINE, STOP, LAST_ADDR, LAST_SIZE, NPEND, BLOCKS, NSLOTS, NREG, WATCH,
       EMU_STOP, DIV_PC };
enum { REGION0 = 16, MAX_REGIONS = 5, PEND0 = 32, MAX_PEND = 64, TABLES0 = PEND0 + 2 * MAX_PEND };
/* Fields of a slot's record; records start at TABLES0. */
enum { F_ICNT, F_CYC, F_BSIZE, F_FLAGS, F_ACC_I, F_ACC_C, N_FIELDS };
/* STOP bits: why the hook asked Unicorn to stop. */
enum { STOP_DEADLINE = 1, STOP_NEWBLOCK = 2, STOP_SPIN = 4, STOP_WATCH = 8, STOP_DIV0 = 16 };
/* Per-block FLAGS bits. */
enum { FLAG_SPIN = 1, FLAG_WATCH = 2 };

static void block_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    int64_t *st = (int64_t *)user;
    const int64_t a = (int64_t)addr;
    int64_t slot = -1, fl, ni, nc, *rec = NULL;

    if (st[CYCLES] >= st[DEADLINE]) {
        st[STOP] |= STOP_DEADLINE;
        ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
        return;
    }
    for (int64_t r = 0; r < st[NREG]; r++) {
        const int64_t base = st[REGION0 + 3 * r];
        if (a >= base && a < base + st[REGION0 + 3 * r + 1]) {
            slot = st[REGION0 + 3 * r + 2] + ((a - base) >> 1);
            break;
        }
    }
    if (slot >= 0)
        rec = st + TABLES0 + slot * N_FIELDS;
    if (rec == NULL || rec[F_BSIZE] != (int64_t)size || rec[F_ICNT] <= 0) {
        /* First sight of this block (or of this size of it): Python decodes it first. */
        const int64_t n = st[NPEND];
        if (n < MAX_PEND) {
            st[PEND0 + 2 * n] = a;
            st[PEND0 + 2 * n + 1] = size;
            st[NPEND] = n + 1;
        }
        st[STOP] |= STOP_NEWBLOCK;
        ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
        return;
    }
    fl = rec[F_FLAGS];
    if (fl & FLAG_SPIN) {
        st[STOP] |= STOP_SPIN;
        ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
        return;
    }
    ni = rec[F_ICNT];
    nc = rec[F_CYC];
    st[INSNS] += ni;
    st[CYCLES] += nc;
    rec[F_ACC_I] += ni;
    rec[F_ACC_C] += nc;
    st[LAST_ADDR] = a;
    st[LAST_SIZE] = size;
    st[BLOCKS] += 1;
    if ((fl & FLAG_WATCH) && st[WATCH] != 0) {
        /* It may unmask interrupts: stop before the next block to take a pending one. */
        st[STOP] |= STOP_WATCH;
        st[DEADLINE] = -1;
    }
}

/* Divide trap (Cortex-M CCR.DIV_0_TRP): a code hook on each SDIV/UDIV address. Unicorn's
 * divides return 0 for a zero divisor; this hook reads the divisor and, only when it is zero,
 * records the PC in the block hook's header (DIV_PC), sets STOP_DIV0 and stops Unicorn before
 * the divide runs; Python then raises the UsageFault. A non-zero divide costs no Python.
 * Its table (mirrored in _native.py): the block hook's shared array, uc_reg_read, uc_mem_read,
 * ENABLED (CCR.DIV_0_TRP now), SEEN (divides checked), then Unicorn's register ids of R0..R15. */
typedef int (*uc_reg_read_fn)(void *uc, int regid, void *value);
typedef int (*uc_mem_read_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);
enum { D_STATE, D_REG_READ, D_MEM_READ, D_ENABLED, D_SEEN, D_REGS0 };

static void div_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    int64_t *d = (int64_t *)user;
    int64_t *st = (int64_t *)(intptr_t)d[D_STATE];
    uint8_t b[4];
    uint64_t divisor = 0;
    unsigned hw1, hw2;

    if (!d[D_ENABLED] || size != 4)
        return;
    d[D_SEEN] += 1;
    if (((uc_mem_read_fn)(intptr_t)d[D_MEM_READ])(uc, addr, b, 4) != 0)
        return;
    hw1 = b[0] | (unsigned)b[1] << 8;
    hw2 = b[2] | (unsigned)b[3] << 8;
    /* T32 SDIV/UDIV: 1111 1011 1001/1011 Rn | 1111 Rd 1111 Rm. Anything else (code rewritten
     * since the scan) is left alone. */
    if ((hw1 & 0xFFD0) != 0xFB90 || (hw2 & 0xF0F0) != 0xF0F0)
        return;
    if (((uc_reg_read_fn)(intptr_t)d[D_REG_READ])(uc, (int)d[D_REGS0 + (hw2 & 0xF)], &divisor) != 0)
        return;
    if ((uint32_t)divisor != 0)
        return;
    st[DIV_PC] = (int64_t)addr;
    st[STOP] |= STOP_DIV0;
    ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
}

/* MMIO table (mirrored in _native.py): FALLBACK (a C-callable pointer to the Python read
 * callback), FALLBACK_USER, NWORDS, then one entry per 32-bit word of the mapping: a value
 * 0..0xFFFFFFFF is what the register reads; SLOW (-1) sends the read to Python. */
enum { M_FALLBACK, M_FALLBACK_USER, M_NWORDS, M_WORDS0 };
#define SLOW (-1)

static uint64_t mmio_read(void *uc, uint64_t offset, unsigned size, void *user)
{
    int64_t *t = (int64_t *)user;
    const uint64_t w = offset >> 2;
    if (w < (uint64_t)t[M_NWORDS]) {
        const int64_t v = t[M_WORDS0 + w];
        if (v != SLOW) {
            const unsigned shift = (unsigned)(offset & 3) * 8;
            const uint64_t mask = size >= 4 ? 0xFFFFFFFFull : ((1ull << (8 * size)) - 1);
            if (shift + 8 * size <= 32)
                return ((uint64_t)v >> shift) & mask;
        }
    }
    return ((mmio_read_fn)(intptr_t)t[M_FALLBACK])(uc, offset, size, (void *)(intptr_t)t[M_FALLBACK_USER]);
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:K,s:K,s:K}", "block_hook", (unsigned long long)(uintptr_t)&block_hook,
                         "mmio_read", (unsigned long long)(uintptr_t)&mmio_read,
                         "div_hook", (unsigned long long)(uintptr_t)&div_hook);
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Addresses of the native callbacks, by name."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hook", "Native Unicorn callbacks.", -1, methods};

PyMODINIT_FUNC PyInit__hook(void) { return PyModule_Create(&module); }
