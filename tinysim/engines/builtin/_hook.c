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
       EMU_STOP, DIV_PC, PREV, TSTATE, LAST_REG };
enum { REGION0 = 16, MAX_REGIONS = 5, PEND0 = 32, MAX_PEND = 64, TABLES0 = PEND0 + 2 * MAX_PEND };
/* Fields of a slot's record; records start at TABLES0. */
enum { F_ICNT, F_CYC, F_BSIZE, F_FLAGS, F_ACC_I, F_ACC_C, N_FIELDS };
/* STOP bits: why the hook asked Unicorn to stop. */
enum { STOP_DEADLINE = 1, STOP_NEWBLOCK = 2, STOP_SPIN = 4, STOP_WATCH = 8, STOP_DIV0 = 16 };
/* Per-block FLAGS bits: SPIN, WATCH, POLL (a loop that only polls one register), then how the
 * block ends (bits 4-7), the cycles its conditional branch adds when taken (8-11) and those a
 * taken branch to it adds (12-15);
 * IFLUSH: the block holds FENCE.I; ACCESS (bits 17-31): for a block with a single memory
 * access, 1 + the cycles of the instructions before it (0: none or several). */
enum { FLAG_SPIN = 1, FLAG_WATCH = 2, FLAG_POLL = 8, END_SHIFT = 4, TAKEN_SHIFT = 8, ENTRY_SHIFT = 12,
       FLAG_IFLUSH = 1 << 16, ACCESS_SHIFT = 17, ACCESS_MASK = 0x7FFF };
enum { END_NONE, END_COND, END_JUMP, END_CALL, END_RET, END_INDIRECT, END_ICALL };

/* Timing model state, at st + st[TSTATE] (mirrored in _native.py). */
enum { T_MODEL, T_MISS_PENALTY, T_BHT_N, T_BTB_N, T_RAS_N, T_RAS_TOP, T_RAS_COUNT, T_BTB_NEXT,
       T_BRANCHES, T_MISSES, T_BHT0 };
enum { MODEL_NONE, MODEL_CORTEX_M4, MODEL_E31 };
enum { T_MAX_BHT = 1024, T_MAX_BTB = 64, T_MAX_RAS = 16, T_BTB0 = T_BHT0 + T_MAX_BHT,
       T_RAS0 = T_BTB0 + 2 * T_MAX_BTB, T_WHERE0 = T_RAS0 + T_MAX_RAS, T_WHERE_N = 1024,
       T_CACHE0 = T_WHERE0 + T_WHERE_N };
/* Instruction cache in front of a slow code memory, after the branch model's state: ON (the
 * board has one; 0 while single-stepping), ENABLED (as firmware set it; disabled, every line
 * fetched pays UNCACHED instead), the cached address range, geometry, the cycles a line fill
 * costs, the hit/miss counters (counting while COUNT is set), the victim LFSR, then one tag per
 * (set, way): line number + 1, 0 for invalid. */
enum { C_ON, C_ENABLED, C_BASE, C_END, C_LINE_SHIFT, C_SETS, C_WAYS, C_PENALTY, C_UNCACHED,
       C_COUNT, C_HITS, C_MISSES, C_LFSR, C_EPOCH, C_TAGS0, C_MAX_TAGS = 1024 };
/* EPOCH counts the changes to the tags (fills, invalidations). A block whose lines all hit
 * keeps EPOCH + 1 in its FLAGS' upper half: until the tags change, it hits again and the look-up
 * is skipped (hits are then not counted: only when COUNT is clear). */
enum { STAMP_SHIFT = 32 };

/* SiFive E31 front end (E31 Core Complex Manual, "Instruction Fetch Unit"): a BTB predicts
 * the target of taken control transfers, a BHT of 2-bit counters the direction of conditional
 * branches (consulted on a BTB hit: a branch the BTB does not hold is fetched past), a RAS the
 * target of returns. A correct prediction costs nothing; a wrong one the mispredict penalty.
 * `end` is the address after the previous block (its last instruction's), `to` where it went. */
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Inlined into block_hook, whose hot path then calls nothing and needs no register saves. */
static inline __attribute__((always_inline)) int64_t e31_resolve(int64_t *t, int64_t kind, int64_t end, int64_t to)
{
    const int taken = end != to;
    int64_t *btb = t + T_BTB0, *ras = t + T_RAS0, predicted = end, ok;
    /* The BTB is searched through an index by address (slot + 1, 0 for none) instead of
     * comparing every entry: two live branches 2 KiB apart share an index word, and the
     * older one then counts as evicted. */
    int64_t *where = t + T_WHERE0 + ((end >> 1) & (T_WHERE_N - 1));
    int64_t hit = *where - 1;

    if (hit >= 0 && btb[2 * hit] != end)
        hit = -1;
    if (kind == END_COND) {
        int64_t *c = t + T_BHT0 + ((end >> 1) & (t[T_BHT_N] - 1));
        if (hit >= 0 && *c >= 2)
            predicted = btb[2 * hit + 1];
        if (taken) { if (*c < 3) (*c)++; } else if (*c > 0) (*c)--;
    } else {
        if (hit >= 0)
            predicted = btb[2 * hit + 1];
        if (kind == END_RET && t[T_RAS_COUNT] > 0) {
            if (hit >= 0)
                predicted = ras[t[T_RAS_TOP]];
            t[T_RAS_TOP] = (t[T_RAS_TOP] + t[T_RAS_N] - 1) % t[T_RAS_N];
            t[T_RAS_COUNT]--;
        } else if (kind == END_CALL || kind == END_ICALL) {
            t[T_RAS_TOP] = (t[T_RAS_TOP] + 1) % t[T_RAS_N];
            ras[t[T_RAS_TOP]] = end;
            if (t[T_RAS_COUNT] < t[T_RAS_N]) t[T_RAS_COUNT]++;
        }
    }
    ok = predicted == to;
    if (taken) {
        if (hit < 0) {                       /* allocate round robin */
            hit = t[T_BTB_NEXT];
            t[T_BTB_NEXT] = (hit + 1) % t[T_BTB_N];
            if (btb[2 * hit] >= 0) {         /* the evicted branch is no longer found */
                int64_t *old = t + T_WHERE0 + ((btb[2 * hit] >> 1) & (T_WHERE_N - 1));
                if (*old == hit + 1) *old = 0;
            }
            btb[2 * hit] = end;
            *where = hit + 1;
        }
        btb[2 * hit + 1] = to;
    }
    t[T_BRANCHES]++;
    if (ok)
        return 0;
    t[T_MISSES]++;
    return t[T_MISS_PENALTY];
}

/* Cycles the previous block's control transfer adds now that its successor is known: `prev`
 * is that block's FLAGS, `end` the address after it, `to` where it went, `fl` the FLAGS of
 * the block there. */
static inline __attribute__((always_inline)) int64_t resolve(int64_t *st, int64_t prev, int64_t fl, int64_t end, int64_t to)
{
    int64_t *t = st + st[TSTATE];
    const int64_t kind = (prev >> END_SHIFT) & 15;

    if (t[T_MODEL] == MODEL_CORTEX_M4) {
        /* Cortex-M4: the static cost holds 1 per branch (+P when always taken); a taken
         * conditional branch adds P, a target needing a second fetch one more. */
        if (end == to || kind == END_NONE)
            return 0;
        return (kind == END_COND ? (prev >> TAKEN_SHIFT) & 15 : 0) + ((fl >> ENTRY_SHIFT) & 15);
    }
    if (t[T_MODEL] == MODEL_E31 && kind != END_NONE)
        return e31_resolve(t, kind, end, to);
    return 0;
}

/* Cycles fetching the block at `a` (`size` bytes) adds: each cache line it spans (one to three)
 * is looked up; a miss fills the line (an invalid way first, else one picked by a 16-bit
 * Fibonacci LFSR, as pseudo-random replacement) and costs the line fill. Code outside the
 * cached range (tightly integrated RAM) costs nothing more. */
static __attribute__((noinline)) int64_t fetch_lines(int64_t *c, int64_t a, int64_t size)
{
    int64_t extra = 0;
    if (a < c[C_BASE] || a >= c[C_END])
        return 0;
    const int64_t shift = c[C_LINE_SHIFT], last = (a + size - 1) >> shift;
    for (int64_t line = a >> shift; line <= last; line++) {
        if (!c[C_ENABLED]) {
            extra += c[C_UNCACHED];
            continue;
        }
        int64_t *set = c + C_TAGS0 + (line & (c[C_SETS] - 1)) * c[C_WAYS], victim = -1, hit = 0;
        for (int64_t w = 0; w < c[C_WAYS]; w++) {
            if (set[w] == line + 1) { hit = 1; break; }
            if (set[w] == 0 && victim < 0) victim = w;
        }
        if (hit) {
            if (c[C_COUNT]) c[C_HITS]++;
            continue;
        }
        if (victim < 0) {
            const uint64_t l = (uint64_t)c[C_LFSR];
            c[C_LFSR] = (int64_t)((l >> 1) | ((((l >> 0) ^ (l >> 2) ^ (l >> 3) ^ (l >> 5)) & 1) << 15));
            victim = c[C_LFSR] % c[C_WAYS];
        }
        set[victim] = line + 1;
        c[C_EPOCH]++;
        if (c[C_COUNT]) c[C_MISSES]++;
        extra += c[C_PENALTY];
    }
    return extra;
}

/* The end of block_hook once the block's cycles `nc` are known: add them and remember the block. */
static inline __attribute__((always_inline)) void account(int64_t *st, int64_t *rec, int64_t fl, int64_t nc,
                                                          int64_t a, int64_t size)
{
    const int64_t ni = rec[F_ICNT];
    st[PREV] = fl;
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

/* The block's lines are looked up in the cache (its stamp is stale). Out of line and reached by a
 * tail call, so that block_hook's common path makes no call and saves no registers. */
static __attribute__((noinline)) void fetch_then_account(int64_t *st, int64_t *rec, int64_t fl, int64_t nc,
                                                         int64_t a, int64_t size)
{
    int64_t *c = st + st[TSTATE] + T_CACHE0;
    const int64_t extra = fetch_lines(c, a, size);
    nc += extra;
    /* all hits (or nothing cached): the same until the tags change */
    if (extra == 0 && c[C_ENABLED])
        rec[F_FLAGS] = (fl & 0xFFFFFFFF) | (((c[C_EPOCH] & 0x7FFFFFFF) + 1) << STAMP_SHIFT);
    account(st, rec, fl, nc, a, size);
}

/* The slot of code address `a`, -1 outside the code regions. Most blocks are in the region the
 * last one was in: it is tried first. LAST_REG is only a hint (a snapshot may carry any value),
 * so it is bounds-checked and the search follows. */
static inline __attribute__((always_inline)) int64_t slot_of(int64_t *st, int64_t a)
{
    const uint64_t h = (uint64_t)st[LAST_REG];
    const int64_t *reg = st + REGION0 + 3 * h;
    if (LIKELY(h < (uint64_t)st[NREG]) && (uint64_t)(a - reg[0]) < (uint64_t)reg[1] && a >= reg[0])
        return reg[2] + ((a - reg[0]) >> 1);
    for (int64_t r = 0; r < st[NREG]; r++) {
        const int64_t base = st[REGION0 + 3 * r];
        if (a >= base && a < base + st[REGION0 + 3 * r + 1]) {
            st[LAST_REG] = r;
            return st[REGION0 + 3 * r + 2] + ((a - base) >> 1);
        }
    }
    return -1;
}

static void block_hook(void *uc, uint64_t addr, uint32_t size, void *user)
{
    int64_t *st = (int64_t *)user;
    const int64_t a = (int64_t)addr;
    int64_t slot = -1, fl, nc, *rec = NULL;

    if (UNLIKELY(st[CYCLES] >= st[DEADLINE])) {
        st[STOP] |= STOP_DEADLINE;
        ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
        return;
    }
    slot = slot_of(st, a);
    if (slot >= 0)
        rec = st + TABLES0 + slot * N_FIELDS;
    if (UNLIKELY(rec == NULL || rec[F_BSIZE] != (int64_t)size || rec[F_ICNT] <= 0)) {
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
    if (UNLIKELY(fl & FLAG_SPIN)) {
        st[STOP] |= STOP_SPIN;
        ((uc_emu_stop_fn)(intptr_t)st[EMU_STOP])(uc);
        return;
    }
    nc = rec[F_CYC];
    if (st[PREV])
        nc += resolve(st, st[PREV], fl, st[LAST_ADDR] + st[LAST_SIZE], a);
    {
        int64_t *c = st + st[TSTATE] + T_CACHE0;
        if (c[C_ON]) {
            if (UNLIKELY(fl & FLAG_IFLUSH)) {          /* FENCE.I: the block refetches after the flush */
                for (int64_t i = 0; i < c[C_SETS] * c[C_WAYS]; i++) c[C_TAGS0 + i] = 0;
                c[C_EPOCH]++;
            }
            const int64_t stamp = (c[C_EPOCH] & 0x7FFFFFFF) + 1;
            if (UNLIKELY((fl >> STAMP_SHIFT) != stamp || c[C_COUNT])) {
                fetch_then_account(st, rec, fl, nc, a, size);   /* a tail call */
                return;
            }
        }
    }
    account(st, rec, fl, nc, a, size);
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
 * callback), FALLBACK_USER, NWORDS, the block hook's array, the timer and the poll skipper
 * (below), then one entry per 32-bit word of the mapping: a value 0..0xFFFFFFFF is what the
 * register reads; SLOW (-1) sends the read to Python; TIME_LO/TIME_HI (-2/-3) read the low/high
 * word of a counter that runs with virtual time: floor(cycle * NUM / DEN) + OFFSET, at the cycle
 * of the reading instruction (the CLINT's mtime, which firmware polls in delay loops). */
enum { M_FALLBACK, M_FALLBACK_USER, M_NWORDS, M_STATE, M_T_NUM, M_T_DEN, M_T_OFFSET,
       M_P_SKIP, M_P_NCTR, M_P_ADDR, M_P_SIZE, M_P_WORD, M_P_VALUE, M_P_DELTA_OK,
       M_P_CTR0, M_P_MAX_CTR = 8, M_P_VAL0 = M_P_CTR0 + M_P_MAX_CTR,
       M_P_D0 = M_P_VAL0 + M_P_MAX_CTR + 2, M_WFALLBACK = M_P_D0 + M_P_MAX_CTR + 2, M_WFALLBACK_USER,
       M_WORDS0 };
/* After the NWORDS read entries, one write mode per word: W_PYTHON, or W_STORE for a register
 * whose writes only keep the value (configuration: addresses, pointers, counts), which is then
 * kept in its read entry without a trip through Python (Peripheral.STORE). */
enum { W_PYTHON, W_STORE };
typedef void (*mmio_write_fn)(void *uc, uint64_t offset, unsigned size, uint64_t value, void *user);
/* The counters a poll loop's iteration moves (Machine.poll_counters): instructions, cycles,
 * blocks, branches, mispredicts, instruction-cache hits and misses. */
enum { P_INSNS, P_CYCLES, P_BLOCKS, P_BRANCHES, P_MISPREDICTS, P_CACHE_HITS, P_CACHE_MISSES };
#define SLOW (-1)
#define TIME_LO (-2)
#define TIME_HI (-3)

/* The record of the block running now (the last the hook counted), NULL if its slot holds
 * another size of it. */
static int64_t *current_record(int64_t *st)
{
    const int64_t slot = slot_of(st, st[LAST_ADDR]);
    int64_t *rec = slot >= 0 ? st + TABLES0 + slot * N_FIELDS : NULL;
    return rec != NULL && rec[F_BSIZE] == st[LAST_SIZE] ? rec : NULL;
}

/* Cycles retired before the instruction accessing memory now, when the block running now has
 * a single memory access (decode put the cycles before it, + 1, in FLAGS at ACCESS_SHIFT):
 * the block hook counted the whole block when it started, so this is the counter minus the
 * block's cost plus the cost of what precedes the access, as Python's exact counters compute
 * it. -1 if not known here (Python then answers). */
static int64_t access_cycle(int64_t *st)
{
    const int64_t *rec = current_record(st);
    const int64_t before = rec ? (rec[F_FLAGS] >> ACCESS_SHIFT) & ACCESS_MASK : 0;
    return before ? st[CYCLES] - rec[F_CYC] + before - 1 : -1;
}

/* A shadowed register polled by a loop that does nothing else (FLAG_POLL, decided at decode:
 * one load, register ALU work on what it read, a conditional branch back to its start) reads
 * the same value until the hook's deadline: only Python changes shadows, and Python runs at
 * stops. Once two iterations in a row (the block ran again, and nothing else: one block apart)
 * read the same value and moved every counter (M_P_CTR0..: instructions, cycles, blocks, then
 * the others; then the block's two accumulators) by the same amounts, the iterations still to
 * start before the deadline are identical: their counts are
 * added at once, as in _i2c.c's TIP polls. Never while single-stepping (deadline INT64_MAX) or
 * with a call profile recorded (SKIP off). */
static void skip_polls(int64_t *t, int64_t w, int64_t value)
{
    int64_t *st = (int64_t *)(intptr_t)t[M_STATE];
    int64_t *rec = current_record(st);
    const int64_t n = t[M_P_NCTR], deadline = st[DEADLINE], now = st[CYCLES];
    int64_t d[M_P_MAX_CTR + 2], v[M_P_MAX_CTR + 2], same;

    if (rec == NULL || !(rec[F_FLAGS] & FLAG_POLL) || deadline == INT64_MAX || n <= P_MISPREDICTS ||
        n > M_P_MAX_CTR) {
        t[M_P_ADDR] = -1;
        return;
    }
    same = st[LAST_ADDR] == t[M_P_ADDR] && st[LAST_SIZE] == t[M_P_SIZE] && w == t[M_P_WORD] &&
           value == t[M_P_VALUE];
    for (int64_t i = 0; i < n + 2; i++) {
        v[i] = i < n ? *(int64_t *)(intptr_t)t[M_P_CTR0 + i] : rec[F_ACC_I + (i - n)];
        d[i] = v[i] - t[M_P_VAL0 + i];
    }
    if (same && t[M_P_DELTA_OK]) {
        int64_t steady = 1;
        for (int64_t i = 0; i < n + 2; i++)
            steady &= d[i] == t[M_P_D0 + i];
        /* Nothing but the loop ran between the two reads (one block), and its branch went as
         * predicted: equal counts alone could hide a predictor still learning (a 2-bit counter
         * 0 -> 1 -> 2 mispredicts twice, then predicts right). */
        if (steady && d[1] > 0 && d[P_BLOCKS] == 1 && d[P_MISPREDICTS] == 0 && deadline > now) {
            const int64_t k = (deadline - now + d[1] - 1) / d[1];   /* iterations that start before it */
            for (int64_t i = 0; i < n; i++)
                *(int64_t *)(intptr_t)t[M_P_CTR0 + i] += k * d[i];
            rec[F_ACC_I] += k * d[n];
            rec[F_ACC_C] += k * d[n + 1];
            for (int64_t i = 0; i < n + 2; i++)
                v[i] += k * d[i];
        }
    }
    for (int64_t i = 0; i < n + 2; i++) {
        t[M_P_VAL0 + i] = v[i];
        t[M_P_D0 + i] = d[i];
    }
    t[M_P_DELTA_OK] = same;
    t[M_P_ADDR] = st[LAST_ADDR];
    t[M_P_SIZE] = st[LAST_SIZE];
    t[M_P_WORD] = w;
    t[M_P_VALUE] = value;
}

static uint64_t mmio_read(void *uc, uint64_t offset, unsigned size, void *user)
{
    int64_t *t = (int64_t *)user;
    const uint64_t w = offset >> 2;
    if (w < (uint64_t)t[M_NWORDS]) {
        int64_t v = t[M_WORDS0 + w];
        if ((v == TIME_LO || v == TIME_HI) && t[M_T_DEN] > 0) {
            const int64_t cyc = access_cycle((int64_t *)(intptr_t)t[M_STATE]);
            if (cyc >= 0) {
                const uint64_t now = (uint64_t)((__int128)cyc * t[M_T_NUM] / t[M_T_DEN]) + (uint64_t)t[M_T_OFFSET];
                v = (int64_t)(v == TIME_LO ? now & 0xFFFFFFFFu : now >> 32);
            }
        } else if (v >= 0 && t[M_P_SKIP])
            skip_polls(t, (int64_t)w, v);
        if (v >= 0) {
            const unsigned shift = (unsigned)(offset & 3) * 8;
            const uint64_t mask = size >= 4 ? 0xFFFFFFFFull : ((1ull << (8 * size)) - 1);
            if (shift + 8 * size <= 32)
                return ((uint64_t)v >> shift) & mask;
        }
    }
    return ((mmio_read_fn)(intptr_t)t[M_FALLBACK])(uc, offset, size, (void *)(intptr_t)t[M_FALLBACK_USER]);
}

static void mmio_write(void *uc, uint64_t offset, unsigned size, uint64_t value, void *user)
{
    int64_t *t = (int64_t *)user;
    const uint64_t w = offset >> 2;
    if (size == 4 && !(offset & 3) && w < (uint64_t)t[M_NWORDS] && t[M_WORDS0 + t[M_NWORDS] + w] == W_STORE) {
        t[M_WORDS0 + w] = (int64_t)(value & 0xFFFFFFFFu);
        return;
    }
    ((mmio_write_fn)(intptr_t)t[M_WFALLBACK])(uc, offset, size, value, (void *)(intptr_t)t[M_WFALLBACK_USER]);
}

/* resolve() for Python (single-stepping, where the hook's own resolution is paused): the
 * shared array's address, then prev, fl, end, to as above. */
static PyObject *py_resolve(PyObject *self, PyObject *args)
{
    unsigned long long buf;
    long long prev, fl, end, to;
    if (!PyArg_ParseTuple(args, "KLLLL", &buf, &prev, &fl, &end, &to))
        return NULL;
    return PyLong_FromLongLong(resolve((int64_t *)(uintptr_t)buf, prev, fl, end, to));
}

/* fetch_lines() for Python (single-stepping): the shared array's address, addr, size. */
static PyObject *py_fetch(PyObject *self, PyObject *args)
{
    unsigned long long buf;
    long long a, size;
    if (!PyArg_ParseTuple(args, "KLL", &buf, &a, &size))
        return NULL;
    int64_t *st = (int64_t *)(uintptr_t)buf;
    return PyLong_FromLongLong(fetch_lines(st + st[TSTATE] + T_CACHE0, a, size));
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:K,s:K,s:K,s:K}", "block_hook", (unsigned long long)(uintptr_t)&block_hook,
                         "mmio_read", (unsigned long long)(uintptr_t)&mmio_read,
                         "mmio_write", (unsigned long long)(uintptr_t)&mmio_write,
                         "div_hook", (unsigned long long)(uintptr_t)&div_hook);
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Addresses of the native callbacks, by name."},
    {"resolve", py_resolve, METH_VARARGS, "Cycles a resolved control transfer adds (and the predictor's update)."},
    {"fetch", py_fetch, METH_VARARGS, "Cycles fetching a block through the instruction cache adds (and the cache's update)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_hook", "Native Unicorn callbacks.", -1, methods};

PyMODINIT_FUNC PyInit__hook(void) { return PyModule_Create(&module); }
