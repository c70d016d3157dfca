"""The built-in engine on real firmware ELFs built from firmware/ for both boards."""
from __future__ import annotations

import re

import pytest

from tinysim import api
from tinysim.engines.base import engine_class

BOARDS = ["nano33ble", "hifive1"]


def run(fw, board, app, **kw):
    return api.run(board, fw(board, app), **kw)


@pytest.mark.parametrize("board", BOARDS)
def test_hello_boots_and_prints(fw, board):
    r = run(fw, board, "hello", max_time_s=1)
    assert r.exit_reason == "exit" and r.exit_code == 0
    assert f"Hello from tinysim on {board}!" in r.uart
    assert "blinked LED 3 times" in r.uart
    assert r.instructions > 1000 and r.cycles >= r.instructions
    assert r.virtual_time_s == pytest.approx(r.cycles / r.clock_hz)
    assert 0 < r.stack_peak_bytes < r.stack_size_bytes
    assert r.flash_bytes > 0 and r.ram_static_bytes >= r.stack_size_bytes
    assert any(st["toggles"] >= 6 for st in r.leds.values())     # 3 blinks = 6 edges


@pytest.mark.parametrize("board,expected", [("nano33ble", 2004), ("hifive1", 2006)])
def test_instruction_count_known_by_construction(fw, board, expected):
    # firmware/apps/count: li 1000; 1000 x (sub; branch); then the semihosting exit sequence.
    r = run(fw, board, "count")
    assert (r.exit_reason, r.exit_code) == ("exit", 0)
    assert r.instructions == expected


@pytest.mark.parametrize("board", BOARDS)
@pytest.mark.parametrize("app,code,text", [("exitcode", 3, "returning 3 from main"),
                                           ("exit_plain", 0, "exit_plain: SYS_WRITE0")])
def test_semihosting_exit_codes_and_console(fw, board, app, code, text):
    r = run(fw, board, app)
    assert (r.exit_reason, r.exit_code) == ("exit", code)
    assert r.process_exit_code == code
    assert text in r.uart


@pytest.mark.parametrize("board", BOARDS)
def test_timer_interrupts_counted_by_isr(fw, board):
    r = run(fw, board, "timer", max_time_s=1)
    assert (r.exit_reason, r.exit_code) == ("exit", 10)
    assert "ticks=10" in r.uart
    # 10 periods of ~1 ms of virtual time (SysTick 64000 cycles; CLINT 33 ticks of 32768 Hz),
    # plus waiting for the UART to send what was printed (10 bits a byte at 115200 baud; the
    # FE310's FIFO and shift register take 9 bytes without waiting)
    wire = len(r.uart) * 10 / 115108 if board == "nano33ble" else max(0, len(r.uart) - 9) * 27780 / 320e6
    assert 0.009 < r.virtual_time_s - wire < 0.0125


# Moved with the run-time branch model: nano33ble 2 (ldr after the ldr that loads its address)
# + 1 + 1000 + 999 x (1 + P=2) + 1; hifive1 4 csrr/li + 1000 x 2 + 2 mispredicts x 3 (cold BTB)
# + one instruction-cache line filled from the QSPI flash (2328 cycles, docs/timing.md).
@pytest.mark.parametrize("board,cyc,instret", [("nano33ble", 4001, 0), ("hifive1", 2010 + 2328, 2002)])
def test_cycle_counter_reads_match_the_timing_model(fw, board, cyc, instret):
    r = run(fw, board, "cycles")
    m = re.search(r"cycles=(\d+) instret=(\d+)\s+start=(\d+)", r.uart)
    assert m, r.uart
    # 1000 x (subs/addi 1 + conditional branch 2) + the read itself and one setup instruction
    assert int(m.group(1)) == cyc
    assert int(m.group(2)) == instret
    start = int(m.group(3))
    assert 0 < start < r.cycles


def _main_code(b):
    """(address, capstone instruction) for each instruction of main() in the loaded ELF."""
    import capstone
    sym = next(s for s in b.firmware.symbols() if s.name == "main")
    md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB)
    return list(md.disasm(b.read_memory(sym.addr & ~1, sym.size), sym.addr & ~1))


def test_counters_are_exact_at_the_reading_instruction(fw):
    """Single-step to each of the two DWT_CYCCNT loads around the 1000-iteration loop and
    compare what the firmware reads with the engine's own counter at that instruction."""
    with api.open_board("nano33ble", fw("nano33ble", "cycles")) as b:
        code = _main_code(b)
        loop = next(k for k, i in enumerate(code) if i.mnemonic == "movw" and i.op_str == "r3, #0x3e8")
        first, second = code[loop - 1], code[loop + 3]     # ldr; movw; subs; bne; ldr
        assert (first.mnemonic, second.mnemonic) == ("ldr", "ldr")
        seen = []
        for insn in (first, second):
            while b.read_register("pc") != insn.address:
                b.step(1)
            c = b.counters()
            b.step(1)
            seen.append((c.instructions, c.cycles, b.read_register(insn.op_str.split(",")[0])))
        (i0, c0, v0), (i1, c1, v1) = seen
        assert i1 - i0 == 2 + 2 * 1000                     # ldr, movw, 1000 x (subs, bne)
        assert v1 - v0 == c1 - c0                          # CYCCNT follows the engine's count
        assert 0 < v0 < c0                                 # counting since the DWT was enabled
        assert b.run().reason == "exit"


@pytest.mark.parametrize("board", BOARDS)
def test_wfi_with_nothing_pending_idles(fw, board):
    r = run(fw, board, "wfi_idle", max_time_s=1)
    assert r.exit_reason == "idle"
    assert "entering wfi" in r.uart
    assert r.virtual_time_s < 0.01          # it did not sleep until the time limit


@pytest.mark.parametrize("board", BOARDS)
def test_fault_unmapped_read(fw, board):
    r = run(fw, board, "fault_unmapped", max_time_s=1)
    assert r.exit_reason == "fault" and r.process_exit_code == 70
    f = r.fault
    assert f.kind == "unmapped-read" and f.address == 0x60000000
    assert f.function.startswith("main")
    assert "0x60000000" in f.description
    if board == "nano33ble":
        assert {"CFSR.PRECISERR", "CFSR.BFARVALID", "HFSR.FORCED"} <= set(f.decoded)
        assert f.registers["BFAR"] == 0x60000000
    else:
        assert f.registers["mcause"] == 5 and f.registers["mtval"] == 0x60000000


@pytest.mark.parametrize("board", BOARDS)
def test_fault_illegal_instruction(fw, board):
    r = run(fw, board, "fault_illegal", max_time_s=1)
    assert r.exit_reason == "fault"
    assert r.fault.kind == "illegal-instruction"
    assert r.fault.function.startswith("main")
    if board == "nano33ble":
        assert "CFSR.UNDEFINSTR" in r.fault.decoded
    else:
        assert r.fault.registers["mcause"] == 2


@pytest.mark.parametrize("board", BOARDS)
def test_fault_stack_overflow(fw, board):
    r = run(fw, board, "fault_stack", max_time_s=1)
    assert r.exit_reason == "fault"
    assert r.fault.kind == "stack-overflow"
    assert r.fault.function.startswith("recurse")
    assert r.stack_peak_bytes >= r.stack_size_bytes - 64


def test_hardfault_divide_by_zero_decoded(fw):
    r = run(fw, "nano33ble", "fault_hardfault", max_time_s=1)
    assert r.exit_reason == "fault"
    assert r.fault.kind == "divide-by-zero"
    assert {"CFSR.DIVBYZERO", "HFSR.FORCED"} <= set(r.fault.decoded)
    assert r.fault.registers["HFSR"] == 0x40000000
    assert "without a fault" not in r.uart


@pytest.mark.parametrize("board", BOARDS)
def test_time_limit_and_resume(fw, board):
    with api.open_board(board, fw(board, "timer")) as b:
        out = bytearray()
        b.on_uart(lambda p, d: out.extend(d))
        s1 = b.run(max_time_s=0.004)
        assert s1.reason == "time-limit"
        t1 = b.counters().virtual_time_s
        assert t1 == pytest.approx(0.004, abs=1e-5)
        s2 = b.run()
        assert (s2.reason, s2.exit_code) == ("exit", 10)
        assert b"ticks=10" in out


@pytest.mark.parametrize("board", BOARDS)
def test_snapshot_restore_reproduces_the_run(fw, board):
    with api.open_board(board, fw(board, "timer")) as b:
        out = bytearray()
        b.on_uart(lambda p, d: out.extend(d))
        b.run(max_time_s=0.003)
        snap = b.snapshot()
        mark = len(out)
        b.run()
        first = (b.counters(), bytes(out[mark:]))
        b.restore(snap)
        del out[mark:]
        b.run()
        assert (b.counters(), bytes(out[mark:])) == first


@pytest.mark.parametrize("board,entry,counter,width", [("nano33ble", "Reset_Handler", "r0", 4),
                                                        ("hifive1", "_start", "t0", 4)])
def test_single_step_runs_one_instruction(fw, board, entry, counter, width):
    # firmware/apps/count: li 1000, then the loop (sub; branch). Five steps are the li and two
    # iterations: the PC is back at the loop head and the counter is 998.
    with api.open_board(board, fw(board, "count")) as b:
        loop = (b.firmware.symbol(entry) & ~1) + width
        b.step(5)
        assert (b.read_register("pc"), b.read_register(counter)) == (loop, 998)
        b.step(1)                                          # the sub
        assert (b.read_register("pc"), b.read_register(counter)) == (loop + 2 if board == "nano33ble"
                                                                     else loop + 4, 997)
        assert b.counters().instructions == 6
        assert b.run().reason == "exit"
        assert b.counters().instructions == (2004 if board == "nano33ble" else 2006)


def test_memory_and_registers(fw):
    with api.open_board("nano33ble", fw("nano33ble", "hello")) as b:
        assert b.read_register("sp") == 0x20002000           # initial SP from the vector table
        b.write_memory(0x20010000, b"\x01\x02\x03\x04")
        assert b.read_memory(0x20010000, 4) == b"\x01\x02\x03\x04"
        b.write_register("r0", 1234)
        assert b.read_register("r0") == 1234


def test_runs_are_deterministic(fw):
    a = run(fw, "nano33ble", "timer").to_dict()
    b = run(fw, "nano33ble", "timer").to_dict()
    for d in (a, b):
        d.pop("wall_time_s")
        d.pop("mips")
    assert a == b


def test_engine_capabilities_are_flags():
    cls = engine_class("builtin")
    assert cls.capabilities.snapshot and cls.capabilities.exact_counters


def test_run_for_a_span_of_virtual_time(fw):
    with api.open_board("hifive1", fw("hifive1", "timer")) as b:
        b.run(for_time_s=0.002)
        b.run(for_time_s=0.002)
        assert b.counters().virtual_time_s == pytest.approx(0.004, abs=1e-6)


def test_pause_from_a_callback_returns_paused(fw):
    whole = api.run("nano33ble", fw("nano33ble", "hello"))
    with api.open_board("nano33ble", fw("nano33ble", "hello")) as b:
        out = bytearray()
        b.on_uart(lambda port, data: (out.extend(data), b.pause()))
        reasons = [b.run().reason]
        while reasons[-1] == "paused":
            before = len(out)
            reasons.append(b.run().reason)
            assert len(out) > before or reasons[-1] == "exit"    # each resume makes progress
        counters = b.counters()
    # a pause at every UART write, then the exit; pausing changes nothing the firmware does
    assert reasons[0] == "paused" and reasons[-1] == "exit"
    assert set(reasons[:-1]) == {"paused"} and len(reasons) > 3
    assert bytes(out).decode() == whole.uart
    assert (counters.instructions, counters.cycles) == (whole.instructions, whole.cycles)


@pytest.mark.parametrize("board", BOARDS)
def test_watch_function_sees_exact_counters_and_args(fw, board):
    calls = []
    with api.open_board(board, fw(board, "hello")) as b:
        assert b.watch_function("console_printf", lambda i, c, a: calls.append((i, a[0])))
        assert not b.watch_function("no_such_function", lambda *a: None)
        b.run()
        # the first argument is the format string: read it back from the firmware's memory
        formats = [b.read_memory(a, 64).split(b"\0")[0].decode() for _, a in calls]
    assert formats == ["Hello from tinysim on %s!\n", "core: %s (%s)\n", "clock: %u Hz\n",
                       "blinked LED %d times\n"]
    # the instruction count at each entry, checked by single-stepping to the same entries
    with api.open_board(board, fw(board, "hello")) as b:
        entry = b.firmware.symbol("console_printf") & ~1
        for i, _ in calls[:2]:
            b.step(1)
            while b.read_register("pc") != entry:
                b.step(1)
            assert b.counters().instructions == i


@pytest.mark.parametrize("board,handler,period,spin_cycles", [
    ("nano33ble", "SysTick_Handler", 6400, 3),      # LOAD 6399; `b .` = B, 1 + 2 refill
    ("hifive1", "mtimer_handler", None, None)])
def test_a_spin_loop_waiting_for_an_interrupt_counts_as_if_run(fw, board, handler, period,
                                                               spin_cycles, monkeypatch):
    """firmware/apps/spin_irq: main waits in `b .` / `j .` for timer interrupts. The engine
    skips such a loop to the next event; the counts must be those of running it."""
    import dataclasses

    from tinysim.engines.builtin import Machine

    def entries():
        calls = []
        with api.open_board(board, fw(board, "spin_irq")) as b:
            b.watch_function(handler, lambda i, c, a: calls.append((i, c)))
            stop = b.run(max_time_s=1)
            c = b.counters()
        assert (stop.reason, stop.exit_code) == ("exit", 5)
        return calls, (c.instructions, c.cycles)

    skipped = entries()
    block = Machine.block
    monkeypatch.setattr(Machine, "block",
                        lambda self, addr, size: dataclasses.replace(block(self, addr, size), spin=False))
    run = entries()                                 # the loop emulated iteration by iteration
    assert skipped == run
    calls = skipped[0]
    assert len(calls) == 5
    if period:
        # each tick is taken at the first loop iteration boundary after the SysTick wrap
        gaps = [b[1] - a[1] for a, b in zip(calls, calls[1:])]
        assert all(abs(g - period) < spin_cycles for g in gaps), gaps


# Code written into RAM and run from there: what the load-time view of the ELF cannot see.
# Thumb: enable DWT (DEMCR.TRCENA, DWT_CTRL.CYCCNTENA), r2 = &CYCCNT; ldr r4,[r2]; 3 x nop;
# ldmia r2!,{r5}; b .
_THUMB_CYCCNT_LDM = bytes.fromhex("4ef6fc52 cef20002 4ff08073 1360 41f20002 cef20002 0123 1360"
                                  "0432 1468 00bf 00bf 00bf 20ca fee7".replace(" ", ""))


def test_a_register_list_load_of_a_peripheral_reads_the_count_at_that_instruction(fw):
    """LDM has no single memory operand: the access must still be matched to it, not to the
    block's first instruction."""
    with api.open_board("nano33ble", fw("nano33ble", "hello")) as b:
        x = 0x20030000
        b.write_memory(x, _THUMB_CYCCNT_LDM)
        b.write_register("pc", x | 1)
        assert b.run(max_time_s=0.001).reason == "hang"                  # at the b .
        r4, r5 = b.read_register("r4"), b.read_register("r5")
        # adds r2 + ldr r4 + 3 nops, less the adds: the adds's result addresses the ldr, which
        # stalls a cycle (Cortex-M4 TRM 3.3.2), so the ldr's cost depends on it
        between = b.code_cost(x + 0x1A, 10)
        assert between[0] == 5
        assert r5 - r4 == between[1] - 1
        assert b.read_register("r2") == 0xE0001008                       # the writeback happened
        assert b.count_notes() == ()


def test_an_unmatched_peripheral_access_is_reported(fw, monkeypatch):
    from tinysim.engines.builtin.cortexm import CortexM
    monkeypatch.setattr(CortexM, "effective_address", lambda self, insn, mem, read: None)
    r = run(fw, "nano33ble", "cycles")
    assert r.exit_reason == "exit"
    assert len(r.notes) == 1 and "could not be matched to the instruction" in r.notes[0]


def _rv(imm, rs1, f3, rd, op):
    return ((imm << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op).to_bytes(4, "little")


def test_counter_csrs_read_from_code_in_ram_follow_the_engine(fw):
    """mcycle/minstret read by code the ELF did not hold at load time (copied to RAM)."""
    code = (_rv(5, 0, 0, 6, 0x13) + _rv(1, 6, 0, 6, 0x13)         # addi t1,x0,5; addi t1,t1,1
            + _rv(0xB00, 0, 2, 10, 0x73) + _rv(0xB02, 0, 2, 11, 0x73)   # csrr a0,mcycle; a1,minstret
            + (0x6F).to_bytes(4, "little"))                        # j .
    with api.open_board("hifive1", fw("hifive1", "hello")) as b:
        x = 0x80003000
        b.write_memory(x, code)
        b.write_register("pc", x)
        assert b.run(max_time_s=0.001).reason == "hang"
        cycles_two_addi = b.code_cost(x, 8)[1]
        assert (b.read_register("a0"), b.read_register("a1")) == (cycles_two_addi, 3)


def test_divide_by_zero_trapping_needs_no_note(fw):
    r = run(fw, "nano33ble", "fault_hardfault", max_time_s=1)
    assert r.exit_reason == "fault" and r.notes == ()


def _divide_without_fault(fw, count_in_python: bool):
    """fault_hardfault with its denominator set to 7 (once .bss is cleared, at console_puts):
    CCR.DIV_0_TRP is set and every divide it runs has a non-zero divisor."""
    from unicorn import UC_HOOK_CODE, Uc
    b = api.open_board("nano33ble", fw("nano33ble", "fault_hardfault"))
    denominator = b.m.firmware.symbol("denominator")
    b.watch_function("console_puts",
                     lambda i, c, args: b.write_memory(denominator, (7).to_bytes(4, "little")))
    divides = [0]
    if count_in_python:       # the reference: a Python hook on every divide in the image
        for seg in b.m.firmware.segments:
            if seg.flags & 1:
                for ins in b.m.decoder.disasm(seg.data, seg.paddr):
                    if ins.insn_name() in ("sdiv", "udiv"):
                        Uc.hook_add(b.m.uc, UC_HOOK_CODE, lambda *a: divides.__setitem__(0, divides[0] + 1),
                                    begin=ins.address, end=ins.address)
    out = bytearray()
    b.on_uart(lambda p, d: out.extend(d))
    stop = b.run(max_time_s=1)
    return b, stop, bytes(out), divides[0]


def test_divide_trap_runs_no_python_per_divide(fw, monkeypatch):
    """Divides by non-zero with CCR.DIV_0_TRP set are checked by the native trap: no Python
    code hook is registered for them, and the counts are those of the same run with each
    divide counted by a Python hook."""
    from unicorn import UC_HOOK_CODE, Uc
    ref, ref_stop, ref_out, n_div = _divide_without_fault(fw, count_in_python=True)
    code_hooks = []
    add = Uc.hook_add

    def recording(self, htype, cb, *a, **k):
        if htype == UC_HOOK_CODE:
            code_hooks.append(k.get("begin"))
        return add(self, htype, cb, *a, **k)
    monkeypatch.setattr(Uc, "hook_add", recording)
    b, stop, out, _ = _divide_without_fault(fw, count_in_python=False)
    assert b"42 / 0 = 6 without a fault!" in out and out == ref_out      # the text says "/ 0"
    assert (stop.reason, stop.exit_code) == (ref_stop.reason, ref_stop.exit_code) == ("exit", 1)
    assert code_hooks == [b.m.firmware.symbol("console_puts")]      # watch_function's only
    trap = b.m.div_trap
    assert len(trap.addresses) == 5 and trap.seen == n_div
    assert n_div >= 3          # main's sdiv and printf's digit loop ("42", "6")
    assert (b.counters().instructions, b.counters().cycles) == \
        (ref.counters().instructions, ref.counters().cycles)
    b.close()
    ref.close()


@pytest.mark.parametrize("board,app", [("nano33ble", "hello"), ("nano33ble", "timer"),
                                       ("nano33ble", "imu"), ("nano33ble", "mic"),
                                       ("nano33ble", "magic_wand"), ("hifive1", "hello"),
                                       ("hifive1", "timer"), ("hifive1", "accel"),
                                       ("hifive1", "vibration"), ("hifive1", "magic_wand")])
def test_every_peripheral_access_is_matched_to_its_instruction(fw, board, app):
    """Counter reads are exact only where each MMIO access is matched to the instruction
    making it (compressed RISC-V loads and register-list loads included)."""
    r = run(fw, board, app, max_time_s=0.05)
    assert r.notes == ()
