/* Data-dependent divide timing: a native code hook on each divide instruction's address.
 *
 * The block hook (_hook.c) charges a divide its static cost when the block starts. This hook
 * runs just before the divide executes, reads its two operands and adds the cycles the
 * operands cost beyond that: to the block hook's cycle counter and to the accumulator of the
 * block running now (the per-block and per-function profiles read those), so totals stay
 * exact. Nothing runs in Python; instructions other than divides are not hooked.
 *
 * Rules (sources and which parts are assumptions: tinysim/timing/ and docs/timing.md):
 * - Cortex-M4 SDIV/UDIV stall the pipeline 2..12 cycles, ending early by the operands'
 *   leading zeros (signed: of their magnitudes): 2 + floor((clz(|B|) - clz(|A|) + 1) / 3).
 * - SiFive E31 DIV/DIVU/REM/REMU: the result latency is the cycles Rocket's MulDiv unit (the
 *   E31's lineage) spends in its divide states, with its early-out shift; instructions that
 *   do not need the result issue meanwhile, so only the latency the code after the divide
 *   does not hide (decided at decode time per divide, HIDE) is charged.
 *
 * Table (int64, mirrored in _divtiming.py): a header, then one record per hooked divide; each
 * hook's user data points at its record, whose first word is its distance from the table.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

typedef int (*uc_reg_read_fn)(void *uc, int regid, void *value);

/* Header: the block hook's shared array, uc_reg_read, the static cost the block already
 * charged (M4), totals (extra cycles added, divides timed), then the indexes into the block
 * hook's array this hook needs (passed from _native.py's constants, so its layout has one
 * owner). */
enum { D_MAIN, D_REG_READ, D_BASE, D_EXTRA, D_COUNT, D_I_CYCLES, D_I_STOP, D_STOP_SKIP,
       D_I_LAST_ADDR, D_I_NREG, D_I_REGION0, D_I_TABLES0, D_NFIELDS, D_F_ACC_C, D_REC0 = 16 };
/* Record fields: distance back to the table, kind, Unicorn register ids of the dividend and
 * the divisor, cycles of the latency the following code hides (E31). */
enum { R_BACK, R_KIND, R_RN, R_RM, R_HIDE, R_FIELDS };
enum { K_UDIV, K_SDIV, K_DIV, K_DIVU, K_REM, K_REMU };

static inline int clz32(uint32_t x) { return x ? __builtin_clz(x) : 32; }

/* Cortex-M4 SDIV/UDIV cycles. ARM gives the range (TRM DDI 0439B, Table 3-1: 2..12, "early
 * termination depending on the size of the operands") but not the rule; the Cortex-R4 TRM
 * (DDI 0363G, C.8) publishes its divider's: a constant plus (clz(B) - clz(A) + 1) / 2 (two
 * quotient bits a cycle; negative operands negated first, a zero divisor the minimum). Taking
 * that form with the M4's bounds gives three quotient bits a cycle. */
static int64_t m4_cycles(int64_t kind, uint32_t a, uint32_t b)
{
    int n;
    if (b == 0)
        return 2;
    if (kind == K_SDIV) {
        if ((int32_t)a < 0) a = 0u - a;
        if ((int32_t)b < 0) b = 0u - b;
    }
    n = clz32(b) - clz32(a) + 1;
    return 2 + (n > 0 ? n / 3 : 0);
}

/* SiFive E31 divide result latency: rocket-chip's MulDiv (src/main/scala/rocket/
 * Multiplier.scala, divUnroll 1, divEarlyOut) spends one cycle negating signed inputs when
 * either is negative (s_neg_inputs), count = 0..32 cycles in s_div of which the first may
 * skip ahead to eOutPos = ~(log2(dividend) - log2(divisor)) (5-bit wrap; not for a zero
 * divisor), and one cycle negating a result that must be negative (s_neg_output). */
static int64_t e31_latency(int64_t kind, uint32_t a, uint32_t b)
{
    const int sgn = kind == K_DIV || kind == K_REM, hi = kind == K_REM || kind == K_REMU;
    const int ls = sgn && (a >> 31), rs = sgn && (b >> 31);
    const uint32_t ua = ls ? 0u - a : a, ub = rs ? 0u - b : b;
    int neg_out = hi ? ls : ls != rs;
    int64_t c = (ls || rs) ? 1 : 0;
    if (ub == 0) {
        c += 33;
        if (!hi) neg_out = 0;
    } else {
        const int dm = ua ? 31 - __builtin_clz(ua) : 0, vm = 31 - __builtin_clz(ub);
        const int k = 31 - ((dm - vm) & 31);
        c += k >= 1 ? 34 - k : 33;
    }
    return c + neg_out;
}

static int64_t cycles_for(int64_t kind, uint32_t a, uint32_t b, int64_t base, int64_t hide)
{
    int64_t extra;
    if (kind <= K_SDIV)
        extra = m4_cycles(kind, a, b) - base;
    else
        extra = e31_latency(kind, a, b) - hide;
    return extra > 0 ? extra : 0;
}

static void divide_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    int64_t *r = (int64_t *)user, *d = r - r[R_BACK];
    int64_t *st = (int64_t *)(intptr_t)d[D_MAIN], extra;
    uint64_t a = 0, b = 0;
    uc_reg_read_fn rd = (uc_reg_read_fn)(intptr_t)d[D_REG_READ];

    if (st[d[D_I_STOP]] & d[D_STOP_SKIP])    /* the divide trap stopped: it does not run */
        return;
    if (rd(uc, (int)r[R_RN], &a) != 0 || rd(uc, (int)r[R_RM], &b) != 0)
        return;
    extra = cycles_for(r[R_KIND], (uint32_t)a, (uint32_t)b, d[D_BASE], r[R_HIDE]);
    d[D_COUNT]++;
    if (extra == 0)
        return;
    st[d[D_I_CYCLES]] += extra;
    d[D_EXTRA] += extra;
    {
        /* The block running now is the one the block hook counted last. */
        const int64_t last = st[d[D_I_LAST_ADDR]];
        for (int64_t i = 0; i < st[d[D_I_NREG]]; i++) {
            const int64_t *reg = st + d[D_I_REGION0] + 3 * i;
            if (last >= reg[0] && last < reg[0] + reg[1]) {
                st[d[D_I_TABLES0] + (reg[2] + ((last - reg[0]) >> 1)) * d[D_NFIELDS] + d[D_F_ACC_C]] += extra;
                break;
            }
        }
    }
    (void)addr;
    (void)size;
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:K}", "divide_hook", (unsigned long long)(uintptr_t)&divide_hook);
}

/* The rule for Python (tests and documentation tables): kind, dividend, divisor, base, hide. */
static PyObject *py_cycles(PyObject *self, PyObject *args)
{
    long long kind, base, hide;
    unsigned long long a, b;
    if (!PyArg_ParseTuple(args, "LKKLL", &kind, &a, &b, &base, &hide))
        return NULL;
    return PyLong_FromLongLong(cycles_for(kind, (uint32_t)a, (uint32_t)b, base, hide));
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Address of the native divide hook."},
    {"cycles", py_cycles, METH_VARARGS, "Cycles a divide adds beyond its static cost (kind, a, b, base, hide)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_divtime", "Data-dependent divide timing.", -1, methods};

PyMODINIT_FUNC PyInit__divtime(void) { return PyModule_Create(&module); }
