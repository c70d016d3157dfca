/* FE310 I2C0 (the OpenCores I2C master) answered natively: both MMIO callbacks of its page.
 *
 * Firmware drives the bus a byte at a time (TXR, then a command in CR, then polls SR.TIP),
 * about twelve register writes per 6-byte sensor read. Through Python each access costs
 * microseconds, so the byte protocol lives here and Python (the slave device model) runs
 * once per transaction instead of once per byte:
 *   - bytes written to the slave are logged and handed to Python at STOP or a repeated START
 *     (END), as the Python model flushed them; a lone register-pointer byte (the write half
 *     of a register read) waits for Python's next call (pending write);
 *   - bytes read come from a read-ahead buffer Python fills with what the addressed slave
 *     would return (FILL: a side-effect-free peek, valid until VALID_UNTIL, the next cycle at
 *     which the slave's data can change); the reads' side effects (register pointer, FIFO
 *     pops) wait for Python's next call (pending reads), which applies them as of the cycle
 *     of the last byte read, before anything later.
 * So a register read (pointer write, repeated START, n reads, STOP) costs one Python call.
 * Which addresses answer (ACK) is a bitmap Python sets up. The state is one int64 array
 * Python owns (snapshots copy it); layout mirrored in peripherals/fe310.py (Fe310I2c).
 *
 * Bus time (TIMED): a command keeps SR.TIP set until the transfer would end on the wire:
 * SCL = clock / (5 * (prescale + 1)) (OpenCores I2C spec), a byte and its ACK 9 SCL periods,
 * START and STOP one more each. RxACK and IF are reported once the transfer has ended.
 *
 * Polling TIP: a byte at 100 kHz is ~29,000 cycles at 320 MHz, thousands of iterations of
 * `while (SR & TIP);`. When the block reading SR is a loop that only reads SR and computes
 * from it (Python checks the code once per block: K_CLASSIFY) and two iterations in a row
 * moved every counter by the same amounts, the iterations still to come until TIP clears are
 * identical: the read adds their counts (instructions, cycles, blocks, the block's profile,
 * the predictor's and cache's counters) at once and answers as the last of them would. It
 * never passes the hook's deadline (the next event or stop), so events and interrupts happen
 * where they would have. Not while single-stepping (the engine counts that instruction
 * itself: the deadline is then INT64_MAX) or while a call profile is recorded (SKIP off).
 */
#include <Python.h>
#include <stdint.h>

typedef uint64_t (*call_fn)(void *uc, uint64_t kind, unsigned size, void *user);

enum {
    I_CYCLES,          /* address of the block hook's cycle counter (int64) */
    I_CALL,            /* C-callable Python callback: (uc, kind, 0, NULL) */
    I_CTR, I_TXR, I_RXR, I_SR,
    I_STARTED,         /* a START was issued: the next WR sends the address byte */
    I_ADDR,            /* 7-bit address of the slave that ACKed, -1 for none */
    I_READING,         /* the address byte had R/W = 1 */
    I_NW,              /* bytes in the write log */
    I_SERVED, I_AVAIL, /* read-ahead bytes handed to firmware / filled by Python */
    I_VALID_UNTIL,     /* the read-ahead holds until this cycle (exclusive) */
    I_LAST_READ,       /* cycle of the last byte handed to firmware */
    I_TIMED,           /* 1: transfers take bus time */
    I_DONE_AT,         /* cycle at which the current transfer ends */
    I_SR_DONE,         /* SR once the current transfer has ended (RxACK, IF) */
    I_PRESENT0, I_PRESENT1,          /* addresses 0-63, 64-127 that ACK */
    I_AHEAD,           /* bytes of the read-ahead Python applied already (devices without peek) */
    I_SPILLED,         /* Python holds written bytes of this transaction (the log overflowed) */
    I_P_READS, I_P_ADDR, I_P_AT,     /* pending reads: count, slave, cycle of the last */
    I_P_WLEN, I_P_WADDR, I_P_WBYTE,  /* pending write: length (0/1), slave, the byte */
    I_SKIP,            /* 1: poll loops may be skipped ahead */
    I_DEADLINE, I_LAST_ADDR, I_LAST_SIZE,       /* addresses of the block hook's header words */
    I_NCTR,            /* counters a skipped iteration moves: their addresses at I_CTR0.. */
    I_PL_ADDR, I_PL_SIZE, I_PL_DONE, I_PL_DELTA_OK,   /* the last TIP read: block, transfer */
    I_CTR0 = 64, I_MAX_CTR = 16,
    I_PL_VAL0 = I_CTR0 + I_MAX_CTR,                   /* counters at the last TIP read */
    I_PL_D0 = I_PL_VAL0 + I_MAX_CTR + 2,              /* their deltas over the last iteration */
    I_CLS_ADDR = I_PL_D0 + I_MAX_CTR + 2, I_CLS_SIZE,  /* the block K_CLASSIFY asks about */
    I_POLL0 = 128, I_POLL_N = 64,  /* blocks classified: (addr, size, acc_i address or 0) */
    I_REGS0 = I_POLL0 + 3 * I_POLL_N,   /* one word per 32-bit register of the page */
    I_NREGS = 1024,
    I_WLOG0 = I_REGS0 + I_NREGS, I_WLOG_N = 64,
    I_RBUF0 = I_WLOG0 + I_WLOG_N, I_RBUF_N = 64,
    I_SIZE = I_RBUF0 + I_RBUF_N
};
/* Python callback kinds. */
enum { K_FILL = 1, K_END = 2, K_SPILL = 3, K_FLUSH = 4, K_CLASSIFY = 5 };
enum { PRERLO = 0x00, PRERHI = 0x04, CTR = 0x08, TXR_RXR = 0x0C, CR_SR = 0x10 };
enum { CR_STA = 0x80, CR_STO = 0x40, CR_RD = 0x20, CR_WR = 0x10 };
enum { SR_RXACK = 0x80, SR_TIP = 0x02, SR_IF = 0x01 };

static inline int64_t now(int64_t *s) { return *(int64_t *)(intptr_t)s[I_CYCLES]; }

static inline void call(void *uc, int64_t *s, uint64_t kind)
{
    ((call_fn)(intptr_t)s[I_CALL])(uc, kind, 0, NULL);
}

#define W(a) (*(int64_t *)(intptr_t)(a))

/* The block reading SR is a pure poll loop: the address of its profile accumulator (icount;
 * cycles follow), 0 if not. */
static int64_t poll_verdict(void *uc, int64_t *s, int64_t addr, int64_t size)
{
    int64_t *e = s + I_POLL0 + 3 * (((addr >> 1) ^ (addr >> 7)) & (I_POLL_N - 1));
    if (e[0] != addr || e[1] != size) {
        s[I_CLS_ADDR] = addr;
        s[I_CLS_SIZE] = size;
        e[0] = addr; e[1] = size; e[2] = 0;
        call(uc, s, K_CLASSIFY);               /* sets e[2] */
    }
    return e[2];
}

/* SR read with TIP set at cycle t: skip the poll loop's remaining identical iterations.
 * Counters: I_CTR0.. (0: instructions, 1: cycles, then the others), then the block's two
 * profile accumulators. */
static void skip_polls(void *uc, int64_t *s, int64_t t)
{
    const int64_t addr = W(s[I_LAST_ADDR]), size = W(s[I_LAST_SIZE]), deadline = W(s[I_DEADLINE]);
    const int64_t n = s[I_NCTR];
    int64_t d[I_MAX_CTR + 2], v[I_MAX_CTR + 2], same, acc, k, kmax, dc;

    if (deadline == INT64_MAX || n < 5 || n > I_MAX_CTR) {
        s[I_PL_ADDR] = -1;
        return;
    }
    acc = poll_verdict(uc, s, addr, size);
    same = acc && addr == s[I_PL_ADDR] && size == s[I_PL_SIZE] && s[I_DONE_AT] == s[I_PL_DONE];
    for (int64_t i = 0; i < n + 2; i++) {
        v[i] = i < n ? W(s[I_CTR0 + i]) : acc ? W(acc + 8 * (i - n)) : 0;
        d[i] = v[i] - s[I_PL_VAL0 + i];
    }
    if (same && s[I_PL_DELTA_OK]) {
        for (int64_t i = 0; i < n + 2; i++)
            same &= d[i] == s[I_PL_D0 + i];
        dc = d[1];
        /* The branch went as predicted (the predictor is not still learning: a 2-bit counter
         * 0 -> 1 -> 2 mispredicts twice with equal counts, then predicts right): counter 4 is
         * the mispredicts (Machine.poll_counters); counter 2, the blocks, says nothing else ran. */
        if (same && dc > 0 && d[2] == 1 && d[4] == 0 && deadline > t) {
            k = (s[I_DONE_AT] - t + dc - 1) / dc;          /* iterations until TIP reads clear */
            kmax = (deadline - t + dc - 1) / dc;           /* ... that start before the deadline */
            if (k > kmax)
                k = kmax;
            for (int64_t i = 0; i < n; i++)
                W(s[I_CTR0 + i]) += k * d[i];
            W(acc) += k * d[n];
            W(acc + 8) += k * d[n + 1];
            for (int64_t i = 0; i < n + 2; i++)
                v[i] += k * d[i];
        }
    }
    for (int64_t i = 0; i < n + 2; i++) {
        s[I_PL_VAL0 + i] = v[i];
        s[I_PL_D0 + i] = d[i];
    }
    s[I_PL_DELTA_OK] = acc && addr == s[I_PL_ADDR] && size == s[I_PL_SIZE] && s[I_DONE_AT] == s[I_PL_DONE];
    s[I_PL_ADDR] = addr;
    s[I_PL_SIZE] = size;
    s[I_PL_DONE] = s[I_DONE_AT];
}

static uint64_t i2c_read(void *uc, uint64_t off, unsigned size, void *user)
{
    int64_t *s = (int64_t *)user;
    uint64_t v;

    if (off & 3)
        return 0;                              /* no register there: reads as zero */
    if (off == TXR_RXR)
        v = (uint64_t)s[I_RXR];
    else if (off == CR_SR) {
        if (s[I_TIMED] && s[I_SKIP] && now(s) < s[I_DONE_AT])
            skip_polls(uc, s, now(s));
        if (s[I_TIMED] && now(s) < s[I_DONE_AT])
            v = (uint64_t)(s[I_SR] | SR_TIP);
        else
            v = (uint64_t)s[I_SR_DONE];
    } else if ((off >> 2) < I_NREGS)
        v = (uint64_t)s[I_REGS0 + (off >> 2)];
    else
        v = 0;
    return size >= 4 ? v & 0xFFFFFFFFu : v & ((1ull << (8 * size)) - 1);
}

/* The transaction ends (STOP, repeated START). Reads become pending; a lone pointer byte
 * becomes the pending write; anything else goes to Python now (K_END), after what is pending.
 * Pending reads always precede a pending write: any read transaction calls Python (FILL). */
static void end_transaction(void *uc, int64_t *s)
{
    if (s[I_ADDR] >= 0 && s[I_READING]) {
        if (s[I_SERVED] > s[I_AHEAD] && (s[I_P_READS] > 0 || s[I_P_WLEN] > 0))
            call(uc, s, K_FLUSH);              /* not expected: keep the order regardless */
        if (s[I_SERVED] > s[I_AHEAD]) {
            s[I_P_READS] = s[I_SERVED] - s[I_AHEAD];
            s[I_P_ADDR] = s[I_ADDR];
            s[I_P_AT] = s[I_LAST_READ];
        }
    } else if (s[I_ADDR] >= 0 && (s[I_NW] > 0 || s[I_SPILLED])) {
        if (s[I_NW] == 1 && !s[I_SPILLED] && s[I_P_WLEN] == 0) {
            s[I_P_WLEN] = 1;
            s[I_P_WADDR] = s[I_ADDR];
            s[I_P_WBYTE] = s[I_WLOG0];
        } else
            call(uc, s, K_END);
    }
    s[I_NW] = s[I_SERVED] = s[I_AVAIL] = s[I_AHEAD] = s[I_SPILLED] = 0;
    s[I_VALID_UNTIL] = 0;
}

static int64_t read_byte(void *uc, int64_t *s)
{
    if (s[I_SERVED] >= s[I_AVAIL] || now(s) >= s[I_VALID_UNTIL])
        call(uc, s, K_FILL);
    if (s[I_SERVED] >= s[I_AVAIL])             /* Python failed (its error stops the run) */
        return 0xFF;
    s[I_LAST_READ] = now(s);
    return s[I_RBUF0 + s[I_SERVED]++] & 0xFF;
}

static void i2c_write(void *uc, uint64_t off, unsigned size, uint64_t value, void *user)
{
    int64_t *s = (int64_t *)user;
    int64_t ack = 0, bits = 0, t;

    value &= 0xFF;
    if (off & 3)
        return;
    if (off == TXR_RXR) {
        s[I_TXR] = (int64_t)value;
        return;
    }
    if (off != CR_SR) {
        if ((off >> 2) < I_NREGS)
            s[I_REGS0 + (off >> 2)] = (int64_t)value;
        return;
    }
    if (!(s[I_REGS0 + (CTR >> 2)] & 0x80))     /* core disabled: commands are ignored */
        return;
    if (value & CR_STA) {                      /* (repeated) START */
        end_transaction(uc, s);
        s[I_STARTED] = 1;
        bits += 1;
    }
    if (value & CR_WR) {
        const int64_t txr = s[I_TXR];
        if (s[I_STARTED]) {                    /* the address byte */
            const int64_t a = txr >> 1;
            s[I_STARTED] = 0;
            s[I_READING] = txr & 1;
            s[I_ADDR] = (s[a < 64 ? I_PRESENT0 : I_PRESENT1] >> (a & 63)) & 1 ? a : -1;
            ack = s[I_ADDR] >= 0 ? 0 : SR_RXACK;
            s[I_NW] = s[I_SERVED] = s[I_AVAIL] = s[I_AHEAD] = s[I_SPILLED] = 0;
        } else if (s[I_ADDR] >= 0 && !s[I_READING]) {
            if (s[I_NW] >= I_WLOG_N) {
                call(uc, s, K_SPILL);          /* Python keeps the log so far; NW back to 0 */
                s[I_SPILLED] = 1;
            }
            s[I_WLOG0 + s[I_NW]++] = txr;
        } else
            ack = SR_RXACK;
        bits += 9;
    }
    if (value & CR_RD) {
        s[I_RXR] = s[I_ADDR] >= 0 && s[I_READING] ? read_byte(uc, s) : 0xFF;
        bits += 9;
    }
    if (value & CR_STO) {
        end_transaction(uc, s);
        s[I_ADDR] = -1;
        bits += 1;
    }
    s[I_SR_DONE] = ack | ((value & (CR_WR | CR_RD)) ? SR_IF : 0);
    if (s[I_TIMED] && bits) {
        /* Commands issued while a transfer is on the wire follow it. */
        const int64_t prescale = s[I_REGS0 + (PRERLO >> 2)] | s[I_REGS0 + (PRERHI >> 2)] << 8;
        t = now(s);
        if (s[I_DONE_AT] > t)
            t = s[I_DONE_AT];
        s[I_DONE_AT] = t + bits * 5 * (prescale + 1);
        s[I_SR] = 0;                           /* while in progress: TIP only (added on read) */
    } else
        s[I_SR] = s[I_SR_DONE];
}

static PyObject *addresses(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{s:K,s:K,s:n,s:n,s:n,s:n}", "read", (unsigned long long)(uintptr_t)&i2c_read,
                         "write", (unsigned long long)(uintptr_t)&i2c_write, "size", (Py_ssize_t)I_SIZE,
                         "cls_addr", (Py_ssize_t)I_CLS_ADDR, "poll0", (Py_ssize_t)I_POLL0,
                         "last_fixed", (Py_ssize_t)I_PL_DELTA_OK);
}

static PyMethodDef methods[] = {
    {"addresses", addresses, METH_NOARGS, "Addresses of the native I2C MMIO callbacks, and the state size."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_i2c", "Native FE310 I2C master.", -1, methods};

PyMODINIT_FUNC PyInit__i2c(void) { return PyModule_Create(&module); }
