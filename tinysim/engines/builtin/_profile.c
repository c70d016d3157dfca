/* Call-graph profile: a second native block hook, registered only when profiling is on.
 *
 * It runs after the counting hook (_hook.c) on every block that executes and keeps a
 * calling-context tree in arrays Python owns (numpy) and reads at the end. Python never
 * runs per block; it only tells this hook about exception entries and (Cortex-M) returns,
 * which the engine performs itself.
 *
 * Attribution: at each block, the instructions and cycles the counting hook added since
 * this hook last ran (deltas of its INSNS and CYCLES words; the counting hook has already
 * counted this block) go to the context the block runs in. How the previous block ended
 * (call, return, tail call, ...) decides that context; the hook classifies each block's
 * last instruction once, by reading the code, and keeps the result per 2-byte slot.
 *
 * Layout (mirrored in _calltree.py; keep both in step): one int64 array
 *   header | exception-entry queue | frame stack | context-tree nodes
 * and one int32 array of per-slot block descriptions (kind | ENTRY | size << 8).
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

typedef int (*uc_mem_read_fn)(void *uc, uint64_t address, void *bytes, uint64_t size);

/* Header words. */
enum {
    H_MAIN,          /* the counting hook's shared array */
    H_I_INSNS,       /* index of its instruction counter */
    H_I_CYCLES,      /* index of its cycle counter */
    H_MEM_READ,      /* uc_mem_read */
    H_SLOTS,         /* the int32 per-slot table */
    H_ARCH,          /* 0 Thumb, 1 RISC-V */
    H_LAST_I, H_LAST_C,      /* counters when this hook last attributed */
    H_CUR,           /* current context node */
    H_DEPTH,         /* frames on the stack */
    H_LOST,          /* calls beyond the stack's capacity (their returns pop nothing) */
    H_PEND_KIND, H_PEND_RET, /* how the last block ended, and its end address */
    H_PEND_START,    /* the last block's start */
    H_NEXC,          /* exception entries queued by Python since the last block */
    H_EXC_RET,       /* exception returns done by Python since the last block */
    H_NNODES, H_MAX_NODES, H_MAX_STACK, H_MAX_TREE_DEPTH,
    H_TRUNC_DEPTH,   /* calls flattened into their caller: the tree was too deep */
    H_TRUNC_NODES,   /* calls flattened into their caller: the node table was full */
    H_UNMATCHED,     /* returns to an address no frame on the stack expected */
    H_MAX_SEEN,      /* deepest stack seen */
    H_BLOCKS,        /* blocks this hook saw */
    H_LOST_TOTAL,    /* calls ever beyond the stack's capacity */
    H_NREG,
    H_REGION0,       /* MAX_REGIONS x (base, size, first slot) */
    H_EXCQ0 = H_REGION0 + 3 * 5,   /* MAX_EXCQ return PCs of queued exception entries */
    MAX_EXCQ = 8,
    H_STACK0 = H_EXCQ0 + MAX_EXCQ, /* then MAX_STACK frames, then MAX_NODES nodes */
};
/* A frame on the stack. */
enum { S_NODE, S_RET, S_EXC, S_SAVED_KIND, S_SAVED_RET, S_SAVED_START, S_FIELDS };
/* A context-tree node. Node 0 is the root: no function. */
enum { N_PARENT, N_FUNC, N_CHILD, N_SIBLING, N_SELF_I, N_SELF_C, N_CALLS, N_DEPTH, N_FIELDS };
/* How a block ends. */
enum { K_UNKNOWN, K_OTHER, K_CALL, K_RETURN, K_JUMP_IND, K_EXC_RET };
/* Per-slot word: kind in bits 0-3, ENTRY (a function starts here), block size from bit 8. */
#define SLOT_KIND 0xF
#define SLOT_ENTRY 0x10

#define STACK(p) ((p) + H_STACK0)
#define NODES(p) ((p) + H_STACK0 + (p)[H_MAX_STACK] * S_FIELDS)

static int32_t *slot_of(int64_t *p, int64_t a)
{
    for (int64_t r = 0; r < p[H_NREG]; r++) {
        const int64_t base = p[H_REGION0 + 3 * r];
        if (a >= base && a < base + p[H_REGION0 + 3 * r + 1])
            return (int32_t *)(intptr_t)p[H_SLOTS] + p[H_REGION0 + 3 * r + 2] + ((a - base) >> 1);
    }
    return NULL;
}

/* The last instruction of a Thumb block. */
static int classify_thumb(const uint8_t *b, uint32_t n)
{
    uint32_t pos = 0, last = 0, len = 2;
    while (pos + 2 <= n) {
        const unsigned hw = b[pos] | (unsigned)b[pos + 1] << 8;
        len = ((hw >> 11) >= 0x1D) ? 4 : 2;
        last = pos;
        pos += len;
    }
    if (pos != n || n < 2)
        return K_OTHER;
    const unsigned hw = b[last] | (unsigned)b[last + 1] << 8;
    if (len == 2) {
        if ((hw & 0xFF87) == 0x4700)                      /* BX Rm */
            return ((hw >> 3) & 0xF) == 14 ? K_RETURN : K_JUMP_IND;
        if ((hw & 0xFF87) == 0x4780)                      /* BLX Rm */
            return K_CALL;
        if ((hw & 0xFF00) == 0xBD00)                      /* POP {..., pc} */
            return K_RETURN;
        if ((hw & 0xFF87) == 0x4687)                      /* MOV pc, Rm */
            return ((hw >> 3) & 0xF) == 14 ? K_RETURN : K_JUMP_IND;
        if ((hw & 0xFF87) == 0x4487)                      /* ADD pc, Rm: a jump table */
            return K_JUMP_IND;
        return K_OTHER;
    }
    const unsigned hw2 = b[last + 2] | (unsigned)b[last + 3] << 8;
    if ((hw & 0xF800) == 0xF000 && (hw2 & 0xD000) == 0xD000)        /* BL */
        return K_CALL;
    if ((hw & 0xFFD0) == 0xE890 || (hw & 0xFFD0) == 0xE910) {       /* LDMIA/LDMDB */
        if (hw2 & 0x8000)
            return (hw & 0xF) == 13 ? K_RETURN : K_JUMP_IND;
        return K_OTHER;
    }
    if ((hw & 0xFFF0) == 0xF8D0 || (hw & 0xFFF0) == 0xF850) {       /* LDR(.W) */
        if ((hw2 >> 12) == 0xF)
            return (hw & 0xF) == 13 ? K_RETURN : K_JUMP_IND;
        return K_OTHER;
    }
    if ((hw & 0xFFF0) == 0xE8D0 && (hw2 & 0xFFE0) == 0xF000)        /* TBB/TBH */
        return K_JUMP_IND;
    return K_OTHER;
}

/* x1 (ra) and x5 (t0) are the link registers (RISC-V unprivileged spec, JALR hints). */
#define LINK(r) ((r) == 1 || (r) == 5)

static int classify_riscv(const uint8_t *b, uint32_t n)
{
    uint32_t pos = 0, last = 0, len = 2;
    while (pos + 2 <= n) {
        const unsigned hw = b[pos] | (unsigned)b[pos + 1] << 8;
        len = (hw & 3) == 3 ? 4 : 2;
        last = pos;
        pos += len;
    }
    if (pos != n || n < 2)
        return K_OTHER;
    if (len == 2) {
        const unsigned hw = b[last] | (unsigned)b[last + 1] << 8;
        const unsigned rs1 = (hw >> 7) & 31;
        if ((hw & 0xE003) == 0x2001)                      /* c.jal (RV32) */
            return K_CALL;
        if ((hw & 0xF07F) == 0x8002 && rs1)               /* c.jr */
            return LINK(rs1) ? K_RETURN : K_JUMP_IND;
        if ((hw & 0xF07F) == 0x9002 && rs1)               /* c.jalr */
            return K_CALL;
        return K_OTHER;
    }
    const uint32_t w = b[last] | (uint32_t)b[last + 1] << 8 | (uint32_t)b[last + 2] << 16 |
                       (uint32_t)b[last + 3] << 24;
    const unsigned op = w & 0x7F, rd = (w >> 7) & 31, rs1 = (w >> 15) & 31;
    if (op == 0x6F)                                       /* JAL */
        return LINK(rd) ? K_CALL : K_OTHER;
    if (op == 0x67) {                                     /* JALR */
        if (LINK(rd))
            return K_CALL;
        return LINK(rs1) ? K_RETURN : K_JUMP_IND;
    }
    if (w == 0x30200073)                                  /* MRET */
        return K_EXC_RET;
    return K_OTHER;
}

static int classify(int64_t *p, void *uc, uint64_t addr, uint32_t size)
{
    uint8_t buf[4096];
    if (size == 0 || size > sizeof buf)
        return K_OTHER;
    if (((uc_mem_read_fn)(intptr_t)p[H_MEM_READ])(uc, addr, buf, size) != 0)
        return K_OTHER;
    return p[H_ARCH] ? classify_riscv(buf, size) : classify_thumb(buf, size);
}

/* The child of `parent` for the function at `func`, made if new. Returns `parent` itself
 * (the call is flattened into it, and counted) when the tree is too deep or full. */
static int64_t child(int64_t *p, int64_t parent, int64_t func)
{
    int64_t *nodes = NODES(p), *pn = nodes + parent * N_FIELDS;
    for (int64_t c = pn[N_CHILD]; c >= 0; c = nodes[c * N_FIELDS + N_SIBLING])
        if (nodes[c * N_FIELDS + N_FUNC] == func)
            return c;
    if (pn[N_DEPTH] >= p[H_MAX_TREE_DEPTH]) {
        p[H_TRUNC_DEPTH]++;
        return parent;
    }
    if (p[H_NNODES] >= p[H_MAX_NODES]) {
        p[H_TRUNC_NODES]++;
        return parent;
    }
    const int64_t c = p[H_NNODES]++;
    int64_t *cn = nodes + c * N_FIELDS;
    cn[N_PARENT] = parent;
    cn[N_FUNC] = func;
    cn[N_CHILD] = -1;
    cn[N_SIBLING] = pn[N_CHILD];
    cn[N_SELF_I] = cn[N_SELF_C] = cn[N_CALLS] = 0;
    cn[N_DEPTH] = pn[N_DEPTH] + 1;
    pn[N_CHILD] = c;
    return c;
}

static void push(int64_t *p, int64_t func, int64_t ret, int exc, int64_t saved_kind, int64_t saved_ret,
                 int64_t saved_start)
{
    if (p[H_DEPTH] >= p[H_MAX_STACK]) {
        p[H_LOST]++;
        p[H_LOST_TOTAL]++;
        return;
    }
    const int64_t node = child(p, p[H_CUR], func);
    int64_t *f = STACK(p) + p[H_DEPTH] * S_FIELDS;
    f[S_NODE] = node;
    f[S_RET] = ret;
    f[S_EXC] = exc;
    f[S_SAVED_KIND] = saved_kind;
    f[S_SAVED_RET] = saved_ret;
    f[S_SAVED_START] = saved_start;
    p[H_DEPTH]++;
    if (p[H_DEPTH] > p[H_MAX_SEEN])
        p[H_MAX_SEEN] = p[H_DEPTH];
    p[H_CUR] = node;
    NODES(p)[node * N_FIELDS + N_CALLS]++;
}

static void set_depth(int64_t *p, int64_t d)
{
    p[H_DEPTH] = d;
    p[H_CUR] = d > 0 ? STACK(p)[(d - 1) * S_FIELDS + S_NODE] : 0;
}

/* Pop the innermost exception frame (and anything above it); its saved ending applies next. */
static void pop_exception(int64_t *p, int64_t *kind, int64_t *ret, int64_t *start)
{
    const int64_t *s = STACK(p);
    *kind = K_OTHER;
    *ret = *start = -1;
    for (int64_t d = p[H_DEPTH] - 1; d >= 0; d--) {
        if (s[d * S_FIELDS + S_EXC]) {
            *kind = s[d * S_FIELDS + S_SAVED_KIND];
            *ret = s[d * S_FIELDS + S_SAVED_RET];
            *start = s[d * S_FIELDS + S_SAVED_START];
            set_depth(p, d);
            return;
        }
    }
    p[H_UNMATCHED]++;
}

/* A return to `to`: pop to the frame that expected it (returns never cross an exception
 * frame). `search` limits how far down to look. */
static int pop_to(int64_t *p, int64_t to, int64_t search)
{
    const int64_t *s = STACK(p);
    for (int64_t d = p[H_DEPTH] - 1; d >= 0 && d >= p[H_DEPTH] - search; d--) {
        if (s[d * S_FIELDS + S_RET] == to) {
            set_depth(p, d);
            return 1;
        }
        if (s[d * S_FIELDS + S_EXC])
            break;
    }
    return 0;
}

/* Enter the block at `a` after the block [start, end) that ended as `kind`. */
static void transition(int64_t *p, int64_t kind, int64_t start, int64_t end, int64_t a, int entry)
{
    if (a > start && a < end && kind != K_EXC_RET)
        return;     /* that block stopped part-way (WFI, a fault) and resumes: it did not end */
    switch (kind) {
    case K_CALL:
        if (a != end)                      /* a conditional call not taken falls through */
            push(p, a, end, 0, K_OTHER, -1, -1);
        return;
    case K_RETURN:
        if (p[H_LOST] > 0) {               /* returning from a call the stack had no room for */
            p[H_LOST]--;
            return;
        }
        if (pop_to(p, a, 64) || a == end)  /* a == end: a conditional return not taken */
            return;
        p[H_UNMATCHED]++;
        break;
    case K_JUMP_IND:
        if (p[H_LOST] == 0 && p[H_DEPTH] > 0 && pop_to(p, a, 1))
            return;                        /* a return through another register */
        break;
    case K_EXC_RET: {
        int64_t k, r, s0;
        pop_exception(p, &k, &r, &s0);
        transition(p, k == K_EXC_RET ? K_OTHER : k, s0, r, a, entry);
        return;
    }
    default:
        break;
    }
    if (p[H_DEPTH] == 0) {
        push(p, a, -1, 0, K_OTHER, -1, -1);
        return;
    }
    if (entry && p[H_LOST] == 0) {
        /* A jump to the start of another function: a tail call. It replaces the frame and
         * returns where the frame would have. */
        int64_t *f = STACK(p) + (p[H_DEPTH] - 1) * S_FIELDS;
        const int64_t *nodes = NODES(p);
        if (nodes[f[S_NODE] * N_FIELDS + N_FUNC] != a) {
            const int64_t ret = f[S_RET], exc = f[S_EXC], sk = f[S_SAVED_KIND], sr = f[S_SAVED_RET],
                          ss = f[S_SAVED_START];
            set_depth(p, p[H_DEPTH] - 1);
            push(p, a, ret, (int)exc, sk, sr, ss);
        }
    }
}

static void profile_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    int64_t *p = (int64_t *)user;
    const int64_t *st = (const int64_t *)(intptr_t)p[H_MAIN];
    const int64_t a = (int64_t)addr;
    const int64_t ni = st[p[H_I_INSNS]], nc = st[p[H_I_CYCLES]];
    int64_t kind = p[H_PEND_KIND], end = p[H_PEND_RET], start = p[H_PEND_START];
    int32_t *slot = slot_of(p, a), word;
    int mine, entry;

    if (slot != NULL) {
        word = *slot;
        if ((word & SLOT_KIND) == K_UNKNOWN || (word >> 8) != (int32_t)size) {
            word = (word & SLOT_ENTRY) | classify(p, uc, addr, size) | (int32_t)size << 8;
            *slot = word;
        }
        mine = word & SLOT_KIND;
        entry = (word & SLOT_ENTRY) != 0;
    } else {
        mine = classify(p, uc, addr, size);
        entry = 0;
    }

    if (p[H_EXC_RET] > 0) {
        /* The engine returned from an exception (Cortex-M EXC_RETURN): the handler's last
         * block ended in a branch to EXC_RETURN, not to this block. */
        for (int64_t i = 0; i < p[H_EXC_RET]; i++)
            pop_exception(p, &kind, &end, &start);
        p[H_EXC_RET] = 0;
        if (kind == K_EXC_RET)
            kind = K_OTHER;
    }
    if (p[H_NEXC] > 0) {
        /* Exceptions entered before this block: one frame each, named after its handler (the
         * next one's return address is this handler's first instruction; the last handler
         * is this block). The interrupted block's ending applies when they return. */
        const int64_t n = p[H_NEXC];
        if (kind == K_EXC_RET) {
            /* RISC-V: an mret whose target never ran (the next interrupt was taken first). */
            pop_exception(p, &kind, &end, &start);
            if (kind == K_EXC_RET)
                kind = K_OTHER;
        }
        for (int64_t i = 0; i < n; i++) {
            const int64_t func = i + 1 < n ? p[H_EXCQ0 + i + 1] : a;
            push(p, func, p[H_EXCQ0 + i], 1, kind, end, start);
            kind = K_OTHER;
            end = start = -1;
        }
        p[H_NEXC] = 0;
    } else {
        transition(p, kind, start, end, a, entry);
    }

    int64_t *node = NODES(p) + p[H_CUR] * N_FIELDS;
    node[N_SELF_I] += ni - p[H_LAST_I];
    node[N_SELF_C] += nc - p[H_LAST_C];
    p[H_LAST_I] = ni;
    p[H_LAST_C] = nc;
    p[H_PEND_KIND] = mine;
    p[H_PEND_RET] = a + size;
    p[H_PEND_START] = a;
    p[H_BLOCKS]++;
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:K}", "profile_hook", (unsigned long long)(uintptr_t)&profile_hook);
}

static PyObject *layout(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:i,s:i,s:i,s:i,s:i,s:i}", "region0", (int)H_REGION0, "stack0", (int)H_STACK0,
                         "max_excq", (int)MAX_EXCQ,
                         "excq0", (int)H_EXCQ0, "s_fields", (int)S_FIELDS, "n_fields", (int)N_FIELDS);
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Address of the native profile hook."},
    {"layout", layout, METH_NOARGS, "Offsets of the shared array's parts."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_profile", "Native call-graph profile hook.", -1, methods};

PyMODINIT_FUNC PyInit__profile(void) { return PyModule_Create(&module); }
