"""The built-in engine: Unicorn CPU emulation with peripherals modelled in Python.

Instruction counting and cycle estimation run in a native block hook (``_native``); Python
runs only at peripheral accesses, at events (timers, semihosting, exceptions) and the first
time a translated block is seen.
"""
from __future__ import annotations

import contextlib
import heapq
import signal
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from unicorn import UC_HOOK_INTR, Uc, UcError

from ...elf import Firmware
from ...errors import EngineError
from ...platform import Platform
from ...timing import load_timing
from ..base import Capabilities, Counters, Engine, Fault, StopInfo
from ... import _gc
from . import _native as N
from ._decode import Block, DecodeCache, Decoder, StepContext
from ._memguard import guard_tail
from .peripherals import create as create_peripheral

PAINT = 0xA5                 # stack paint byte
UNTIL = 0xFFFF_FFFF          # never a valid (even) PC: emu_start runs until we stop it


@dataclass
class _Event:
    cycle: int
    seq: int
    fn: Callable[[], None]
    cancelled: bool = False

    def __lt__(self, other):
        return (self.cycle, self.seq) < (other.cycle, other.seq)


class Machine:
    """Unicorn plus the board: memory, peripherals, core support, events, counters."""
    SKIP_POLLS = True       # count identical iterations of register-poll loops at once (_hook.c)
    NATIVE_STORE = True     # configuration registers (Peripheral.STORE) written natively

    def __init__(self, engine: "BuiltinEngine", platform: Platform, firmware: Firmware):
        self.engine = engine
        self.platform = platform
        self.firmware = firmware
        self.clock_hz = platform.clock_hz
        self.timing = load_timing(platform.timing)
        self.decoder = Decoder(platform.arch, self.timing)
        self.decode_cache = DecodeCache(platform.arch, self.timing,
                                        [(s.paddr, bytes(s.data)) for s in firmware.segments])
        self.blocks: dict[tuple[int, int], Block] = {}
        self._events: list[_Event] = []
        self._seq = 0
        self._stop_requested = False
        self._pause = threading.Event()
        self.led_states: dict[str, bool] = {}
        self.led_toggles: dict[str, int] = {}
        self.uart_bytes = 0
        self.profiler = None                 # a _calltree.CallTree while --profile is on

        if platform.arch == "arm":
            from .cortexm import CortexM as CoreCls
        else:
            from .riscv import Riscv as CoreCls
        self.uc = Uc(*CoreCls.UC_MODE)
        CoreCls.select_model(self.uc)
        self._map_memory()
        self.counter = N.BlockCounter(self._code_regions())
        self.counter.set_model(self.timing)
        self.step_context = StepContext()
        self.counter.attach(self.uc)
        self.core = CoreCls(self)
        self.plic = None
        self._mmio_keep: list = []           # native MMIO tables and callbacks live as long as Unicorn
        self._shadowed: list = []            # peripherals with registers answered natively
        self._shadow_maps: list = []         # their native tables (ShadowedMmio)
        self.shadows_stale = True            # a model changed outside an MMIO access
        self.peripherals = {p.name: create_peripheral(self, p) for p in platform.peripherals}
        self.plic = next((p for p in self.peripherals.values() if p.model == "sifive.plic"), None)
        self.core.map_peripherals()
        self._map_peripherals()
        self.uc.hook_add(UC_HOOK_INTR, self._on_intr)
        self._load(firmware)
        self.stack_region = self._stack_region()
        self._paint_stack()
        self._install_cached_blocks()
        self.core.reset()

    # -- memory ---------------------------------------------------------------------------
    def _map_memory(self):
        self.mem: dict[str, np.ndarray] = {}
        for r in self.platform.memory:
            size = (r.size + 0xFFF) & ~0xFFF
            buf = np.zeros(size, dtype=np.uint8)
            if r.kind in ("flash", "rom"):
                buf[:] = 0xFF                      # erased flash
            self.mem[r.name] = buf
            self.uc.mem_map_ptr(r.base, size, 7, buf.ctypes.data)
            guard_tail(self, r.base, r.size, size)        # page rounding: the rest must fault

    def _code_regions(self) -> list[tuple[int, int]]:
        # Code can run from flash (where the ELF put it) and from any RAM.
        regions = []
        for r in self.platform.memory:
            if r.kind in ("flash", "rom"):
                lo = min((s.paddr for s in self.firmware.segments if r.contains(s.paddr)), default=None)
                hi = max((s.paddr + len(s.data) for s in self.firmware.segments if r.contains(s.paddr)),
                         default=None)
                if lo is None:
                    continue
                regions.append((lo & ~0xFFF, min(r.end, (hi + 0xFFF) & ~0xFFF) - (lo & ~0xFFF)))
            else:
                regions.append((r.base, r.size))
        return regions

    def _load(self, fw: Firmware):
        for seg in fw.segments:
            if not seg.data:
                continue
            lo, hi = seg.paddr, seg.paddr + len(seg.data)
            region = self.platform.region_at(lo)
            if region is None or hi > region.end:
                raise EngineError(
                    f"{fw.path}: segment at {lo:#010x}-{hi:#010x} lies outside the memory of "
                    f"platform {self.platform.name}",
                    hint="check the linker script's MEMORY against the platform file: " +
                    ", ".join(f"{m.name} {m.base:#010x}+{m.size:#x}" for m in self.platform.memory))
            self.uc.mem_write(lo, seg.data)

    def read(self, addr: int, size: int) -> bytes:
        return bytes(self.uc.mem_read(addr, size))

    def write(self, addr: int, data: bytes) -> None:
        self.uc.mem_write(addr, bytes(data))

    def read_u32(self, addr: int) -> int:
        return int.from_bytes(self.uc.mem_read(addr, 4), "little")

    def write_u32(self, addr: int, value: int) -> None:
        self.uc.mem_write(addr, (value & 0xFFFFFFFF).to_bytes(4, "little"))

    def dma_read(self, addr: int, size: int, who: str) -> bytes:
        try:
            return self.read(addr, size)
        except UcError:
            raise EngineError(f"{who}: DMA read of {size} bytes at {addr:#010x} is outside memory")

    # -- stack ------------------------------------------------------------------------------
    def _stack_region(self) -> tuple[int, int] | None:
        fw = self.firmware
        for lo_name, hi_name in (("__stack_bottom", "__stack_top"), ("_sstack", "_estack"),
                                 ("__StackLimit", "__StackTop")):
            lo, hi = fw.symbol(lo_name), fw.symbol(hi_name)
            if lo is not None and hi is not None and hi > lo:
                self.platform.check_stack(str(fw.path), (lo_name, hi_name), lo, hi)
                return lo, hi
        return None

    def _paint_stack(self):
        if self.stack_region:
            lo, hi = self.stack_region
            self.write(lo, bytes([PAINT]) * (hi - lo))

    def stack_peak(self) -> int | None:
        if not self.stack_region:
            return None
        lo, hi = self.stack_region
        data = np.frombuffer(self.read(lo, hi - lo), dtype=np.uint8)
        used = np.flatnonzero(data != PAINT)
        return int(hi - lo - used[0]) if used.size else 0

    def paint(self, lo: int, hi: int) -> None:
        """Fill [lo, hi) with the paint byte; painted_peak() later finds how much was written."""
        self.write(lo, bytes([PAINT]) * (hi - lo))

    def painted_peak(self, lo: int, hi: int) -> int:
        """Bytes of [lo, hi) the firmware used: all but the longest untouched run of paint
        (an arena fills from both ends: activations from the head, persistent data from the
        tail)."""
        data = np.frombuffer(self.read(lo, hi - lo), dtype=np.uint8)
        painted = np.concatenate(([0], (data == PAINT).astype(np.int8), [0]))
        edges = np.flatnonzero(np.diff(painted))
        longest = int((edges[1::2] - edges[0::2]).max()) if edges.size else 0
        return int(len(data) - longest)

    # -- peripherals --------------------------------------------------------------------------
    def _map_peripherals(self):
        # One mapping per run of 4 KB pages that hold the same peripherals (a 64 MB PLIC is
        # one mapping, not 16k).
        # Page-aligned spans; between two consecutive span edges the set of peripherals is
        # constant, so walk the edges rather than every page.
        spans = [(p.base & ~0xFFF, (p.base + p.size + 0xFFF) & ~0xFFF, p) for p in self.peripherals.values()]
        edges = sorted({e for lo, hi, _ in spans for e in (lo, hi)})
        runs: list[list] = []                      # [start, end, peripherals]
        for lo, hi in zip(edges, edges[1:]):
            covering = [p for a, b, p in spans if a <= lo and hi <= b]
            if not covering:
                continue
            if runs and runs[-1][1] == lo and runs[-1][2] == covering:
                runs[-1][1] = hi
            else:
                runs.append([lo, hi, covering])
        for start, end, periphs in runs:
            self.map_mmio(start, end - start, periphs)

    def map_mmio(self, base: int, size: int, periphs: list):
        """Map ``size`` bytes at ``base``; accesses go to the peripheral covering the address."""
        def find(addr):
            for p in periphs:
                if p.base <= addr < p.base + p.size:
                    return p
            return None

        if len(periphs) == 1:                # the usual case: no search per access
            only, lo, hi = periphs[0], periphs[0].base, periphs[0].base + periphs[0].size

            def find(addr):                  # noqa: F811
                return only if lo <= addr < hi else None

        if len(periphs) == 1 and hasattr(periphs[0], "map_native"):
            native = periphs[0].map_native(self.uc, base, size)     # both callbacks in C
            if native is not None:
                self._mmio_keep.append(native)
                return
        # answered natively in part: polled registers, timers, configuration registers
        shadowed = [p for p in periphs if any(getattr(p, k, ()) for k in ("FAST", "TIME", "STORE"))]

        def on_read(uc, off, size_, _ud):
            addr = base + off
            p = find(addr)
            if p is None:
                return self._unmodelled(addr, size_, None)
            v = p.read(addr - p.base, size_) & ((1 << (8 * size_)) - 1)
            if shadowed:
                p.touched(addr - p.base, False)
            return v

        def on_write(uc, off, size_, value, _ud):
            addr = base + off
            p = find(addr)
            if p is None:
                self._unmodelled(addr, size_, value)
                return
            p.write(addr - p.base, size_, value)
            if shadowed:
                p.touched(addr - p.base, True)

        if not shadowed:
            self.uc.mmio_map(base, size, on_read, None, on_write, None)
            return
        mapping = N.ShadowedMmio(self.uc, base, size, on_read, on_write, self.counter.buf.ctypes.data,
                                 self.poll_counters())
        self._mmio_keep.append(mapping)
        self._shadow_maps.append(mapping)
        timed = next((p for p in shadowed if p.TIME), None)       # one timer per mapping
        for p in shadowed:
            p._shadow = (mapping.words, N.M_WORDS0 + (p.base - base) // 4)
            if p is timed:
                p._timer = mapping
                for off, kind in p.TIME.items():
                    mapping.words[p._shadow[1] + off // 4] = kind
            if p.STORE and self.NATIVE_STORE:
                p.keep_stored_natively(mapping.words, p._shadow[1])
                for off in p.STORE:
                    mapping.words[p._shadow[1] + mapping.n + off // 4] = N.W_STORE
            p.changed()
            self._shadowed.append(p)

    def poll_counters(self) -> list[int]:
        """Addresses of the counters one iteration of a skipped poll loop moves, instructions
        and cycles first (_hook.c and _i2c.c skip identical iterations at once)."""
        c = self.counter
        hdr = c.buf.ctypes.data
        ts = hdr + 8 * int(c.hdr[N.TSTATE])
        return [hdr + 8 * N.INSNS, hdr + 8 * N.CYCLES, hdr + 8 * N.BLOCKS,
                ts + 8 * N.T_BRANCHES, ts + 8 * N.T_MISSES,
                ts + 8 * (N.T_CACHE0 + N.C_HITS), ts + 8 * (N.T_CACHE0 + N.C_MISSES)]

    def refresh_shadows(self):
        """Bring the native copies of polled registers up to date (events, host input and
        snapshots change models between run slices)."""
        self.shadows_stale = False
        for p in self._shadowed:
            p.changed()

    def _unmodelled(self, addr, size, value):
        # Inside a modelled peripheral's page but no register there: reads as zero, like
        # reserved space on the real chips.
        return 0

    # -- time and events ----------------------------------------------------------------------
    @property
    def cycles(self) -> int:
        return int(self.counter.hdr[N.CYCLES])

    @property
    def insns(self) -> int:
        return int(self.counter.hdr[N.INSNS])

    def now(self, addr: int) -> tuple[int, int]:
        """(instructions, cycles) retired before the instruction running now (exact at MMIO)."""
        return self.core.exact_counters(addr)

    def schedule(self, cycle: int, fn: Callable[[], None]) -> _Event:
        self._seq += 1
        ev = _Event(int(cycle), self._seq, fn)
        heapq.heappush(self._events, ev)
        # Stop where the run loop would have set its deadline for this event anyway: an
        # event that is not due yet costs no extra round trip through Python.
        hdr = self.counter.hdr
        if ev.cycle < hdr[N.DEADLINE]:
            hdr[N.DEADLINE] = ev.cycle
        return ev

    def next_event_cycle(self) -> int | None:
        while self._events and self._events[0].cancelled:
            heapq.heappop(self._events)
        return self._events[0].cycle if self._events else None

    def fire_due_events(self):
        while self._events and (self._events[0].cancelled or self._events[0].cycle <= self.cycles):
            ev = heapq.heappop(self._events)
            if not ev.cancelled:
                ev.fn()
                self._after_event(ev.fn)

    def _after_event(self, fn) -> None:
        # A model's own event refreshes that model's shadow; the built-in models push
        # what they change in others themselves (GPIO input pins call changed()). Anything
        # else may have touched any model.
        owner = getattr(fn, "__self__", None)
        if hasattr(owner, "_shadow"):
            owner.changed()
        elif not (owner is not None and type(owner).__module__.startswith(__name__)):
            self.shadows_stale = True

    def advance_idle(self, to_cycle: int, spin_block: Block | None = None):
        """Let virtual time pass with the core asleep (WFI) or spinning in a one-block loop."""
        delta = to_cycle - self.cycles
        if delta <= 0:
            return
        if spin_block is not None and spin_block.cycles:
            # Whole iterations, as running the loop would: the hook stops at the first block
            # that starts at or after to_cycle.
            n = -(-delta // spin_block.cycles)
            self.counter.hdr[N.CYCLES] += n * spin_block.cycles
            self.counter.hdr[N.INSNS] += n * spin_block.icount
            slot = self.counter.slot(spin_block.addr)
            if slot >= 0:
                self.counter.acc_i[slot] += n * spin_block.icount
                self.counter.acc_c[slot] += n * spin_block.cycles
        else:
            self.counter.hdr[N.CYCLES] += delta

    def request_stop(self):
        """Stop emulation at the end of the next block to start (safe from any hook).

        Not uc.emu_stop(): called from an MMIO callback it stops *at* the accessing
        instruction, which then runs a second time on resume."""
        self._stop_requested = True
        self.counter.hdr[N.DEADLINE] = -1

    def raise_irq(self, irq: int):
        self.core.set_irq_pending(irq)
        self.request_stop()

    # -- outputs ------------------------------------------------------------------------------
    def emit_uart(self, port: str, data: bytes):
        self.uart_bytes += len(data)
        self.engine._emit_uart(port, data)

    def led_changed(self, name: str, on: bool):
        if self.led_states.get(name) != on:
            if name in self.led_states:
                self.led_toggles[name] = self.led_toggles.get(name, 0) + 1
                # An LED change is an event a caller may wait for (run(until=...)): end the
                # slice at the next block so it is seen there, however long the slice.
                self.request_stop()
            self.led_states[name] = on

    # -- blocks -------------------------------------------------------------------------------
    def block(self, addr: int, size: int) -> Block:
        key = (addr, size)
        b = self.blocks.get(key)
        if b is None:
            try:
                code = self.read(addr, size)
            except UcError:
                code = b""
            b = self.decode_cache.get(addr, code)
            if b is None:
                b = self.decoder.decode(code, addr)
                self.decode_cache.put(addr, code, b)
            self.blocks[key] = b
        return b

    def _install_block(self, b: Block):
        c = self.counter
        slot = c.slot(b.addr)
        if slot < 0:
            return
        c.icnt[slot] = max(b.icount, 1)
        c.cyc[slot] = b.cycles
        c.bsize[slot] = b.size
        c.flags[slot] = (N.FLAG_SPIN if b.spin else 0) | (N.FLAG_WATCH if b.watch else 0) | \
            (N.FLAG_POLL if b.poll else 0) | b.timing_flags | b.access_flags

    def _install_cached_blocks(self):
        """Blocks an earlier run of this image decoded go straight into the native tables,
        so the hook does not stop for each of them again. Only code whose bytes are in
        memory now (the ELF's) qualifies; a block Unicorn cuts differently this run still
        stops the hook (it checks the size) and is decoded then."""
        for (addr, code), b in self.decode_cache.blocks.items():
            if self.counter.slot(addr) < 0:
                continue
            try:
                if self.read(addr, len(code)) != code:
                    continue
            except UcError:
                continue
            self.blocks[(addr, b.size)] = b
            self._install_block(b)

    def install_pending(self):
        """Decode the blocks the native hook met for the first time (they have not run yet)."""
        for addr, size in self.counter.take_pending():
            b = self.block(addr, size)
            self.core.on_new_block(b)
            self._install_block(b)

    def unretire_tail(self, fault_pc: int):
        """The last block stopped on an error at ``fault_pc``: take back the instructions
        from there to the block's end, which did not retire."""
        c = self.counter
        addr, size = int(c.hdr[N.LAST_ADDR]), int(c.hdr[N.LAST_SIZE])
        if not (addr <= fault_pc < addr + size):
            return
        b = self.block(addr, size)
        k = b.index_of(fault_pc)
        n, cyc = b.icount - k, sum(x.cost for x in b.insns[k:])
        c.hdr[N.INSNS] -= n
        c.hdr[N.CYCLES] -= cyc
        slot = c.slot(addr)
        if slot >= 0:
            c.acc_i[slot] -= n
            c.acc_c[slot] -= cyc
        c.hdr[N.LAST_SIZE] = fault_pc - addr           # so a second call takes nothing back

    def current_block(self) -> Block:
        """The block executing now (already counted by the hook)."""
        c = self.counter
        return self.block(int(c.hdr[N.LAST_ADDR]), int(c.hdr[N.LAST_SIZE]))

    def retired_before(self, b: Block, k: int) -> tuple[int, int]:
        """(instructions, cycles) retired before instruction ``k`` of the current block ``b``:
        the hook counted the whole block when it started."""
        return self.insns - b.icount + k, self.cycles - b.cycles + sum(x.cost for x in b.insns[:k])

    # -- interrupts from Unicorn ------------------------------------------------------------------
    def _on_intr(self, uc, intno, _ud):
        self.core.on_intr(intno)

    def symbolize(self, addr: int) -> str | None:
        hit = self.firmware.function_at(addr)
        if hit is None:
            return None
        name, off = hit
        return f"{name}+{off:#x}" if off else name


class BuiltinEngine(Engine):
    name = "builtin"
    capabilities = Capabilities(snapshot=True, single_step=True, exact_counters=True,
                                cycle_model=True, memory_peaks=True, block_profile=True,
                                sensor_streams=True, region_paint=True, function_watch=True,
                                code_costs=True, leds=True, call_profile=True)

    def __init__(self, platform: Platform, firmware: Firmware):
        super().__init__(platform, firmware)
        if firmware.arch != platform.arch:
            raise EngineError(f"{firmware.path} is a {firmware.arch} ELF but platform "
                              f"{platform.name} has a {platform.arch} core")
        self.m = Machine(self, platform, firmware)
        self._final: StopInfo | None = None
        self.wall_time_s = 0.0
        self.fault: Fault | None = None

    # -- running --------------------------------------------------------------------------------
    def run(self, *, max_time_s=None, wall_limit_s=None, until=None, for_time_s=None) -> StopInfo:
        if self._final is not None:
            return self._final
        _gc.end_of_startup()
        m = self.m
        limit = None if max_time_s is None else int(round(max_time_s * m.clock_hz))
        if for_time_s is not None:
            span = m.cycles + int(round(for_time_s * m.clock_hz))
            limit = span if limit is None else min(limit, span)
            max_time_s = limit / m.clock_hz
        slice_cycles = max(m.clock_hz // 10, 100_000)     # return to Python ~10x per virtual s
        t0 = time.perf_counter()
        m._pause.clear()
        m.shadows_stale = True          # the host may have changed models since the last run
        for mapping in m._shadow_maps:  # a call profile's hook must see every iteration
            mapping.array[N.M_P_SKIP] = int(m.SKIP_POLLS and m.profiler is None)
            mapping.array[N.M_P_ADDR] = -1      # no last poll: a restore may have moved the counters
        if getattr(self, "_stepping", False):
            m.uc.ctl_flush_tb()             # drop the blocks translated for stepping (see step)
            self._stepping = False
        try:
            with self._ctrl_c_stops_at_a_block() as interrupted:
                return self._run_slices(m, limit, max_time_s, wall_limit_s, until, slice_cycles, t0,
                                        interrupted)
        except BaseException:         # EngineError, Ctrl-C: the wall time spent still counts
            self.wall_time_s += time.perf_counter() - t0
            raise

    @contextlib.contextmanager
    def _ctrl_c_stops_at_a_block(self):
        """Ctrl-C during a run: a KeyboardInterrupt raised inside a Unicorn callback (an MMIO
        read) is printed and lost by ctypes, and the run goes on. Instead the handler stops the
        run at the next block, as pause() does, and the run raises KeyboardInterrupt there."""
        flag = threading.Event()
        if threading.current_thread() is not threading.main_thread() or \
                signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
            yield flag                  # not ours to change (a worker that ignores Ctrl-C, a host app)
            return

        def on_sigint(_signum, _frame):
            flag.set()
            self.m.counter.hdr[N.DEADLINE] = -1
        signal.signal(signal.SIGINT, on_sigint)
        try:
            yield flag
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def _run_slices(self, m, limit, max_time_s, wall_limit_s, until, slice_cycles, t0, interrupted):
        while True:
            now = m.cycles
            deadline = now + slice_cycles
            nxt = m.next_event_cycle()
            if nxt is not None:
                deadline = min(deadline, nxt)
            if limit is not None:
                deadline = min(deadline, limit)
            m.counter.hdr[N.DEADLINE] = max(deadline, now + 1)
            m.counter.hdr[N.WATCH] = int(m.core.has_masked_pending())
            m._stop_requested = False
            if m.shadows_stale:
                m.refresh_shadows()
            err = None
            if m.profiler is not None:
                m.profiler.flush()
            if interrupted.is_set():
                raise KeyboardInterrupt
            try:
                m.uc.emu_start(m.core.resume_pc(), UNTIL)
            except UcError as e:
                err = e
            stop_bits = m.counter.take_stop()
            stop = m.core.after_run(err, stop_bits, m._stop_requested)
            if stop is not None and stop.reason in ("exit", "fault", "breakpoint"):
                return self._finish(stop, t0)
            m.fire_due_events()
            m.core.service_interrupts()
            if stop is not None:                      # idle, hang: maybe time passes
                stop = m.core.sleep(stop, limit)
                if stop is not None:
                    return self._finish(stop, t0)
            if limit is not None and m.cycles >= limit:
                return self._finish(StopInfo("time-limit", detail=f"{max_time_s:g} s of virtual time"), t0)
            if wall_limit_s is not None and time.perf_counter() - t0 > wall_limit_s:
                return self._finish(StopInfo("wall-limit", detail=f"{wall_limit_s:g} s of wall time"), t0,
                                    final=False)
            if m._pause.is_set():
                return self._finish(StopInfo("paused"), t0, final=False)
            if until is not None and until():
                return self._finish(StopInfo("event"), t0, final=False)

    def _finish(self, stop: StopInfo, t0: float, final: bool | None = None) -> StopInfo:
        self.wall_time_s += time.perf_counter() - t0
        if stop.fault is not None:
            self.fault = stop.fault
        if final is None:
            final = stop.reason in ("exit", "fault", "idle", "hang", "breakpoint")
        if final:
            self._final = stop
            self.m.decode_cache.save()
        return stop

    def close(self) -> None:
        self.m.decode_cache.save()

    def pause(self) -> None:
        self.m._pause.set()
        self.m.counter.hdr[N.DEADLINE] = -1

    def step(self, count: int = 1) -> StopInfo:
        """Execute ``count`` instructions one at a time (interrupts are taken between them)."""
        m = self.m
        c = m.counter
        if not getattr(self, "_stepping", False):
            # Blocks run() translated lack Unicorn's instruction-count check, so count=1 would
            # not stop (a polling loop then spins forever): translate afresh for stepping.
            m.uc.ctl_flush_tb()
            self._stepping = True
        for _ in range(count):
            if self._final is not None:
                return self._final
            slept = False
            for _attempt in range(3):       # the first try may only meet a new block
                pc0 = m.core.pc()
                i0, c0 = m.insns, m.cycles
                e0 = m.div_timing.extra_cycles          # a divide's operand-dependent cycles
                err = None
                m._stop_requested = False
                c.hdr[N.DEADLINE] = np.iinfo(np.int64).max
                m.refresh_shadows()
                prev, prev_end = int(c.hdr[N.PREV]), int(c.hdr[N.LAST_ADDR] + c.hdr[N.LAST_SIZE])
                model = c.pause_model()
                try:
                    m.uc.emu_start(m.core.resume_pc(), UNTIL, count=1)
                except UcError as e:
                    err = e
                finally:
                    c.resume_model(model)
                bits = c.take_stop()
                ran = err is None and not (bits & (N.STOP_NEWBLOCK | N.STOP_SPIN)) or m.insns != i0
                # Under count=1 Unicorn may still report the whole block to the hook: count
                # exactly the one instruction that ran.
                if ran and err is None:
                    ran_insns = m.decoder.decode(m.read(pc0, 4), pc0).insns[:1]
                    if ran_insns[0].name.startswith("it") and m.core.pc() != pc0 + ran_insns[0].size:
                        # Unicorn steps over an IT instruction and the ones it predicates at once
                        mask = m.read(pc0, 1)[0] & 0xF        # IT's mask: its lowest set bit ends the block
                        n_it = 1 + 4 - ((mask & -mask).bit_length() - 1)
                        ran_insns = m.decoder.decode(m.read(pc0, 2 + 4 * n_it), pc0).insns[:n_it]
                    # Cost as in run()'s blocks (StepContext), plus the branch that led here
                    # (resolved here: the hook's resolution is paused while stepping).
                    size = sum(x.size for x in ran_insns)
                    here = m.decoder.decode(m.read(pc0, size), pc0).timing_flags
                    penalty = (c.resolve(prev, here, prev_end, pc0) if prev else 0) + c.fetch(pc0, size, here)
                    c.hdr[N.INSNS] = i0 + len(ran_insns)
                    c.hdr[N.CYCLES] = c0 + penalty + m.step_context.cost(m.decoder, m.read, pc0, ran_insns) + \
                        m.div_timing.extra_cycles - e0
                    c.hdr[N.LAST_ADDR] = pc0
                    c.hdr[N.LAST_SIZE] = size
                    c.hdr[N.PREV] = here
                    slept = len(ran_insns) == 1 and m.core.is_wfi_before(pc0 + ran_insns[0].size)
                stop = m.core.after_run(err, bits, True)
                if err is not None:
                    c.hdr[N.INSNS], c.hdr[N.CYCLES] = i0, c0
                if stop is not None and stop.reason in ("exit", "fault", "breakpoint"):
                    return self._finish(stop, time.perf_counter())
                if ran or err is not None or stop is not None:
                    break
            if slept:
                # Stepping over WFI sleeps to the next event, as the core would; stepping the
                # sleep loop again and again would otherwise never let virtual time pass.
                if m.core.sleep(StopInfo("idle"), None) is not None:
                    return self._finish(StopInfo("idle", detail="WFI with nothing pending: nothing can "
                                                 "wake the core"), time.perf_counter())
            m.fire_due_events()
            m.core.service_interrupts()
        return StopInfo("paused")

    # -- snapshots ----------------------------------------------------------------------------------
    def snapshot(self):
        m = self.m
        return {
            "context": m.uc.context_save(),
            "core": m.core.get_state(),
            "mem": {k: v.copy() for k, v in m.mem.items() if self._writable(k)},
            "counter": m.counter.buf.copy(),
            "periph": {k: p.get_state() for k, p in m.peripherals.items()},
            "events": [(e.cycle, e.seq, e.fn, e.cancelled) for e in m._events],
            "leds": (dict(m.led_states), dict(m.led_toggles)),
            "final": self._final,
        }

    def _writable(self, region_name: str) -> bool:
        return any(r.name == region_name and r.kind == "ram" for r in self.platform.memory)

    def restore(self, snap) -> None:
        m = self.m
        m.uc.context_restore(snap["context"])
        m.core.set_state(snap["core"])
        for k, v in snap["mem"].items():
            m.mem[k][:] = v
        # Keep translated-block tables (they describe code, not state); restore the counts.
        m.counter.restore_counts(snap["counter"])
        for k, st in snap["periph"].items():
            m.peripherals[k].set_state(st)
        m._events = [_Event(c, s, f, x) for c, s, f, x in snap["events"]]
        heapq.heapify(m._events)
        m.led_states, m.led_toggles = dict(snap["leds"][0]), dict(snap["leds"][1])
        self._final = snap["final"]

    # -- state ----------------------------------------------------------------------------------------
    def read_memory(self, addr, size):
        try:
            return self.m.read(addr, size)
        except UcError:
            raise EngineError(f"cannot read {size} bytes at {addr:#010x}: not mapped") from None

    def write_memory(self, addr, data):
        try:
            self.m.write(addr, data)
        except UcError:
            raise EngineError(f"cannot write {len(data)} bytes at {addr:#010x}: not mapped") from None

    def read_register(self, name):
        return self.m.core.read_reg(name)

    def write_register(self, name, value):
        self.m.core.write_reg(name, value)

    def counters(self) -> Counters:
        m = self.m
        return Counters(m.insns, m.cycles, m.cycles / m.clock_hz)

    def stack_peak(self):
        return self.m.stack_peak()

    def on_uart_rx(self, port: str, data: bytes) -> None:
        p = self.m.peripherals.get(port)
        if p is None or not hasattr(p, "rx"):
            raise EngineError(f"no UART named {port!r} that can receive")
        if hasattr(p, "receive"):
            p.receive(data)                 # the model raises its RX interrupt
        else:
            p.rx.extend(data)

    def sensors(self) -> dict:
        """Sensor devices on the board's buses, by name."""
        out = {}
        for p in self.m.peripherals.values():
            for d in getattr(p, "devices", {}).values():
                out[d.name] = d
            if hasattr(p, "attach"):                 # a peripheral that is a sensor (PDM)
                out[p.name_for_streams] = p
        return out

    def attach_stream(self, sensor: str, channel: str, data, rate_hz: float) -> None:
        devs = self.sensors()
        if sensor not in devs:
            raise EngineError(f"no sensor named {sensor!r} on {self.platform.name}",
                              hint="sensors: " + (", ".join(sorted(devs)) or "none"))
        try:
            devs[sensor].attach(channel, data, rate_hz)
        except KeyError:
            raise EngineError(f"sensor {sensor!r} has no channel {channel!r}") from None

    def sensor_report(self) -> dict:
        return {name: {"lost_samples": d.lost_samples()} for name, d in sorted(self.sensors().items())}

    def watch_function(self, name: str, callback: Callable[[int, int, tuple[int, ...]], None]) -> bool:
        """Call ``callback(instructions, cycles, (arg0, arg1, arg2))`` each time the firmware
        enters function ``name``, with the counters exact at its first instruction. False if
        the ELF has no such symbol. A one-address hook: nothing runs elsewhere."""
        from unicorn import UC_HOOK_CODE
        addr = self.firmware.symbol(name)
        if addr is None:
            return False
        addr &= ~1
        m = self.m
        args = m.core.ARG_REGS

        def on_entry(uc, a, size, _ud):
            b = m.current_block()
            callback(*m.retired_before(b, b.index_of(a)), tuple(uc.reg_read(r) for r in args))
        m.uc.hook_add(UC_HOOK_CODE, on_entry, begin=addr, end=addr)
        m.uc.ctl_remove_cache(addr, addr + 4)
        return True

    def profile(self) -> list[tuple[int, int, int]]:
        """(address, instructions, cycles) for every block start that executed."""
        c = self.m.counter
        slots = np.flatnonzero(c.acc_i)
        return [(c.slot_addr(int(s)), int(c.acc_i[s]), int(c.acc_c[s])) for s in slots]

    def start_profile(self) -> None:
        from ._calltree import CallTree
        if self.m.profiler is None:
            self.m.profiler = CallTree(self.m)

    def call_profile(self) -> dict:
        if self.m.profiler is None:
            raise EngineError("no call profile: start_profile() was not called before the run")
        return self.m.profiler.read()

    def sensor_status(self) -> dict:
        """Per sensor, for live views: output data rate in Hz (None where the model has no
        single ODR), entries waiting in its FIFO, samples lost so far."""
        out = {}
        for name, d in sorted(self.sensors().items()):
            feed = getattr(d, "accel", None)
            out[name] = {"odr_hz": float(feed.odr) if feed is not None else None,
                         "fifo": len(getattr(d, "fifo", None) or ()), "lost_samples": d.lost_samples()}
        return out

    # -- the rest of the contract (engines/base.py) ---------------------------------------------------
    def first_fault(self):
        return self.fault or self.m.core.fault

    def leds(self):
        m = self.m
        return {k: {"on": v, "toggles": m.led_toggles.get(k, 0)} for k, v in sorted(m.led_states.items())}

    def paint(self, lo, hi):
        self.m.paint(lo, hi)

    def painted_peak(self, lo, hi):
        return self.m.painted_peak(lo, hi)

    def code_cost(self, addr, size):
        b = self.m.decoder.decode(self.read_memory(addr, size), addr)
        return b.icount, b.cycles

    def call_cost(self):
        return 1, self.m.timing.cost("bl" if self.platform.arch == "arm" else "jal")

    def count_notes(self):
        core, notes = self.m.core, []
        if core.unlocated_accesses:
            notes.append(f"{core.unlocated_accesses} peripheral access(es) could not be matched to the "
                         "instruction making them: a counter (CYCCNT, SysTick, mtime) read there "
                         "returned its value at the start of that basic block")
        from ._semihost import notes as semihost_notes
        notes += semihost_notes(self.m)             # calls the firmware made that tinysim lacks
        return tuple(notes)
