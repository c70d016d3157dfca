"""Call profiles (tinysim run --profile): the native call/return tracking, the tree's sums,
and the speedscope / collapsed-stack writers.

The call-graph programs below are hand-written assembly, so each function's instruction
count follows from its code (counted in the comments), independently of the emulator."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tinysim import api, profile
from tinysim.cli import main as cli_main

# -- call-graph programs --------------------------------------------------------------------------
# Thumb: calls (BL), returns (BX LR, POP {pc}), a tail call (B to another function),
# recursion (rec(N): N calls of 6 instructions, the last of 4) and an exception (SVC).
ARM_S = r"""
    .syntax unified
    .cpu cortex-m4
    .thumb
    .section .vectors, "a"
    .word __StackTop
    .word Reset_Handler
    .word Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler
    .word 0, 0, 0, 0
    .word SVC_Handler
    .text
    .macro FUNC name
    .thumb_func
    .global \name
    .type \name, %function
\name:
    .endm
FUNC Reset_Handler          @ 4: bl, movs, ldr, bkpt (semihosting exit)
    bl main
    movs r0, #0x18
    ldr r1, =0x20026
    bkpt 0xab
    .ltorg
FUNC main                   @ 9
    push {lr}
    bl leaf
    bl leaf
    bl mid
    ldr r0, =DEPTH
    bl rec
    bl tail_a
    svc #0
    pop {pc}
    .ltorg
FUNC leaf                   @ 3
    movs r1, #1
    adds r1, r1, #2
    bx lr
FUNC mid                    @ 4 (+ leaf)
    push {lr}
    nop
    bl leaf
    pop {pc}
FUNC rec                    @ 6 per level, 4 at the bottom
    push {r0, lr}
    cmp r0, #0
    beq 1f
    subs r0, r0, #1
    bl rec
1:  pop {r0, pc}
FUNC tail_a                 @ 2, then a tail call
    movs r2, #5
    b tail_b
FUNC tail_b                 @ 2
    movs r3, #1
    bx lr
FUNC SVC_Handler            @ 2
    movs r3, #7
    bx lr
FUNC Default_Handler
    b Default_Handler
"""

ARM_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x00000000, LENGTH = 1M
         RAM (rwx)  : ORIGIN = 0x20000000, LENGTH = 256K }
ENTRY(Reset_Handler)
SECTIONS {
  .text : { KEEP(*(.vectors)) *(.text*) } > FLASH
  .stack (NOLOAD) : { . = ALIGN(8); __StackLimit = .; . += 0x10000; __StackTop = .; } > RAM
}
"""

# RV32IMAC: JAL/JALR calls, compressed c.jal / c.jalr / c.jr, a tail call (j), recursion
# (10 per level, 8 at the bottom) and a machine timer interrupt (mtimecmp = 0, then MIE).
RV_S = r"""
    .option norelax
    .macro FUNC name
    .global \name
    .type \name, @function
\name:
    .endm
    .section .text.init, "ax"
FUNC _start                 # 12: la, li, la, csrw, jal, li, li (2), slli, ebreak (semihosting exit)
    la sp, __stack_top
    li s1, 0
    la t0, trap_handler
    csrw mtvec, t0
    jal ra, main
    li a0, 0x18
    li a1, 0x20026
    .option push
    .option norvc
    slli x0, x0, 0x1f
    ebreak
    srai x0, x0, 7
    .option pop
    .text
FUNC main                   # 20 (22 with WFI_MIDBLOCK)
    addi sp, sp, -16
    sw ra, 12(sp)
    c.jal leaf
    .option push
    .option norvc
    jal ra, leaf
    .option pop
    la t1, mid
    c.jalr t1
    li a0, DEPTH
    jal ra, rec
    jal ra, tail_a
    li t0, 0x02004000
    sw zero, 0(t0)
    sw zero, 4(t0)
    li t0, 0x80
    csrs mie, t0
#ifdef WFI_MIDBLOCK
    wfi                     # the timer is pending: wakes at once; Unicorn's block goes on past
    jal ra, leaf            # the wfi into a call, but stops at the wfi (the call has not run)
#endif
    csrsi mstatus, 8
    csrci mstatus, 8
    lw ra, 12(sp)
    addi sp, sp, 16
    ret
FUNC leaf                   # 3
    li a1, 1
    addi a1, a1, 2
    c.jr ra
FUNC mid                    # 7 (+ leaf)
    addi sp, sp, -16
    sw ra, 12(sp)
    nop
    jal ra, leaf
    lw ra, 12(sp)
    addi sp, sp, 16
    ret
FUNC rec                    # 10 per level, 8 at the bottom
    addi sp, sp, -16
    sw ra, 12(sp)
    sw a0, 8(sp)
    beqz a0, 1f
    addi a0, a0, -1
    jal ra, rec
1:  lw a0, 8(sp)
    lw ra, 12(sp)
    addi sp, sp, 16
    ret
FUNC tail_a                 # 2, then a tail call
    li a2, 5
    j tail_b
FUNC tail_b                 # 2
    li a3, 1
    ret
    .balign 4
FUNC trap_handler           # twice, back to back: 4 (addi, li, blt, mret), then 8
    addi s1, s1, 1          # the first leaves the timer pending: the second is taken
    li t0, 2                # right after the first's mret, before its target runs
    blt s1, t0, 1f
    li t0, 0x02004004
    li t1, -1
    sw t1, 0(t0)
1:  mret
"""

RV_LD = """
MEMORY { FLASH (rx) : ORIGIN = 0x20010000, LENGTH = 0x3F0000
         RAM (rwx)  : ORIGIN = 0x80000000, LENGTH = 16K }
ENTRY(_start)
SECTIONS {
  .text : { *(.text.init) *(.text*) } > FLASH
  .stack (NOLOAD) : { . = ALIGN(16); __stack_bottom = .; . += 0x2000; __stack_top = .; } > RAM
}
"""

BOARDS = {"nano33ble": ("arm-none-eabi-gcc", ["-mcpu=cortex-m4", "-mthumb"], ARM_S, ARM_LD),
          "hifive1": ("riscv64-unknown-elf-gcc", ["-march=rv32imac_zicsr", "-mabi=ilp32"], RV_S, RV_LD)}


def expected(board: str, depth: int) -> dict[str, int]:
    """Instructions per calling context, from the code above."""
    if board == "nano33ble":
        root, main, leaf, mid, rec, rec0, tail, handler = "Reset_Handler", 9, 3, 4, 6, 4, 2, "SVC_Handler"
        out = {root: 4, f"{root};main;{handler}": 2}
    else:
        root, main, leaf, mid, rec, rec0, tail, handler = "_start", 20, 3, 7, 10, 8, 2, "trap_handler"
        out = {root: 12, f"{root};main;{handler}": 4 + 8}
    m = f"{root};main"
    out |= {m: main, f"{m};leaf": 2 * leaf, f"{m};mid": mid, f"{m};mid;leaf": leaf,
            f"{m};tail_a": tail, f"{m};tail_b": 2}
    for level in range(depth + 1):
        out[m + ";rec" * (level + 1)] = rec if level < depth else rec0
    return out


@pytest.fixture(scope="module")
def callgraph(tmp_path_factory):
    """callgraph(board, depth) -> ELF path (built once per board and depth)."""
    built: dict = {}

    def get(board: str, depth: int = 3, *defines: str) -> Path:
        gcc, flags, asm, ld = BOARDS[board]
        if shutil.which(gcc) is None:
            pytest.skip(f"{gcc} not installed (needed to build the call-graph test ELF)")
        if (board, depth, defines) not in built:
            d = tmp_path_factory.mktemp(f"cg_{board}_{depth}")
            (d / "cg.S").write_text(asm)
            (d / "link.ld").write_text(ld)
            cmd = [gcc, *flags, f"-DDEPTH={depth}", *(f"-D{d}" for d in defines), "-nostdlib", "-T",
                   "link.ld", "cg.S", "-o", "cg.elf"]
            r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
            assert r.returncode == 0, r.stderr
            built[(board, depth, defines)] = d / "cg.elf"
        return built[(board, depth, defines)]
    return get


def run_profiled(board, elf, **kw):
    box = []

    def prepare(eng):
        eng.start_profile()
        box.append(eng)
    r = api.run(board, elf, prepare=prepare, **kw)
    eng = box[0]
    return r, eng.call_profile(), profile.build(eng.call_profile(), eng.firmware)


def parse_folded(text: str) -> dict[str, int]:
    out = {}
    for line in text.splitlines():
        m = re.fullmatch(r"(\S+) (\d+)", line)
        assert m, f"not a collapsed-stack line: {line!r}"
        assert m.group(1) not in out
        out[m.group(1)] = int(m.group(2))
    return out


def check_sums(p: profile.CallProfile, instructions: int, cycles: int):
    """self + children = total at every context; the selves add up to the run's totals."""
    si = sc = 0
    for _, node in p.walk():
        assert node.total_instructions == node.self_instructions + sum(c.total_instructions for c in node.children)
        assert node.total_cycles == node.self_cycles + sum(c.total_cycles for c in node.children)
        si += node.self_instructions
        sc += node.self_cycles
    assert (si, sc) == (instructions, cycles)
    assert (p.instructions, p.cycles) == (instructions, cycles)


# -- tests -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_known_call_tree(board, callgraph):
    elf = callgraph(board, 3)
    r, raw, p = run_profiled(board, elf)
    assert r.exit_reason == "exit" and r.exit_code == 0
    want = expected(board, 3)
    assert parse_folded(profile.collapsed(p, "instructions")) == want
    assert r.instructions == sum(want.values())
    check_sums(p, r.instructions, r.cycles)
    assert p.truncated == {"folded_calls_depth": 0, "folded_calls_nodes": 0, "lost_frames": 0,
                           "unmatched_returns": 0}
    assert p.max_depth == 6                        # root, main, rec x 4
    rows = {f.name: f for f in p.functions}
    assert rows["leaf"].calls == 3 and rows["rec"].calls == 4
    # Recursion: rec's total counts the outermost call once, not once per level.
    assert rows["rec"].total_instructions == rows["rec"].self_instructions == 3 * want[f"{p.roots[0].name};main;rec"] + (
        8 if board == "hifive1" else 4)


def test_wfi_inside_a_block(callgraph):
    """RISC-V: Unicorn's block runs past a wfi into a call, but execution stops at the wfi
    and resumes after it: the call that ends the block has not happened then."""
    r, _, p = run_profiled("hifive1", callgraph("hifive1", 3, "WFI_MIDBLOCK"))
    check_sums(p, r.instructions, r.cycles)
    want = expected("hifive1", 3)
    want["_start;main;leaf"] += 3
    got = parse_folded(profile.collapsed(p, "instructions"))
    assert set(got) == set(want)                   # no frame named after the wfi's successor
    assert {k: v for k, v in got.items() if k != "_start;main"} == {k: v for k, v in want.items() if k != "_start;main"}
    assert {f.name: f.calls for f in p.functions}["leaf"] == 4
    assert p.truncated["unmatched_returns"] == 0


def test_wfi_inside_a_block_counts_once(callgraph):
    r, _, p = run_profiled("hifive1", callgraph("hifive1", 3, "WFI_MIDBLOCK"))
    assert parse_folded(profile.collapsed(p, "instructions"))["_start;main"] == 22


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_counts_unchanged_by_profiling(board, callgraph):
    elf = callgraph(board, 3)
    plain = api.run(board, elf)
    r, _, _ = run_profiled(board, elf)
    assert (r.instructions, r.cycles) == (plain.instructions, plain.cycles)


@pytest.mark.parametrize("board", ["nano33ble", "hifive1"])
def test_deep_recursion_is_capped_and_reported(board, callgraph):
    from tinysim.engines.builtin._calltree import MAX_TREE_DEPTH
    depth = 400                                    # deeper than the tree keeps
    r, raw, p = run_profiled(board, callgraph(board, depth))
    assert r.exit_reason == "exit"
    check_sums(p, r.instructions, r.cycles)
    # rec contexts exist down to the depth limit (root is depth 1, main 2); the rest fold.
    assert p.truncated["folded_calls_depth"] == (depth + 1) - (MAX_TREE_DEPTH - 2)
    assert p.max_depth == depth + 3
    rows = {f.name: f for f in p.functions}
    per, last = (6, 4) if board == "nano33ble" else (10, 8)
    assert rows["rec"].self_instructions == per * depth + last
    assert rows["main"].self_instructions == expected(board, 0)[f"{p.roots[0].name};main"]


def test_recursion_beyond_the_stack_unwinds(callgraph, monkeypatch):
    """Frames beyond the tracked stack are counted as lost; their returns pop nothing, so
    the callers' contexts are right again once the recursion unwinds."""
    from tinysim.engines.builtin import _calltree
    monkeypatch.setattr(_calltree, "MAX_STACK", 64)
    depth = 100
    r, raw, p = run_profiled("nano33ble", callgraph("nano33ble", depth))
    check_sums(p, r.instructions, r.cycles)
    assert p.truncated["lost_frames"] == (depth + 3) - 64
    assert p.truncated["unmatched_returns"] == 0
    folded = parse_folded(profile.collapsed(p, "instructions"))
    assert folded["Reset_Handler;main"] == 9 and folded["Reset_Handler;main;SVC_Handler"] == 2
    assert folded["Reset_Handler;main;tail_b"] == 2


def test_speedscope_json_against_schema(callgraph, tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    r, _, p = run_profiled("nano33ble", callgraph("nano33ble", 3))
    files = profile.write(p, tmp_path / "out.json")
    assert [f.name for f in files] == ["out.json", "out.folded"]
    doc = json.loads(files[0].read_text())
    # The parts of https://www.speedscope.app/file-format-schema.json a sampled file uses.
    schema = {
        "type": "object", "required": ["$schema", "shared", "profiles"],
        "properties": {
            "$schema": {"const": "https://www.speedscope.app/file-format-schema.json"},
            "shared": {"type": "object", "required": ["frames"], "properties": {"frames": {
                "type": "array", "items": {"type": "object", "required": ["name"],
                                           "properties": {"name": {"type": "string"}}}}}},
            "profiles": {"type": "array", "items": {
                "type": "object",
                "required": ["type", "name", "unit", "startValue", "endValue", "samples", "weights"],
                "properties": {"type": {"const": "sampled"}, "name": {"type": "string"},
                               "unit": {"enum": ["none", "nanoseconds", "microseconds", "milliseconds",
                                                 "seconds", "bytes"]},
                               "startValue": {"type": "number"}, "endValue": {"type": "number"},
                               "samples": {"type": "array", "items": {"type": "array",
                                                                      "items": {"type": "number"}}},
                               "weights": {"type": "array", "items": {"type": "number"}}}}},
            "activeProfileIndex": {"type": "number"}, "exporter": {"type": "string"},
            "name": {"type": "string"}}}
    jsonschema.validate(doc, schema)
    frames = [f["name"] for f in doc["shared"]["frames"]]
    cyc, ins = doc["profiles"]
    assert sum(cyc["weights"]) == cyc["endValue"] == r.cycles
    assert sum(ins["weights"]) == ins["endValue"] == r.instructions
    stacks = {";".join(frames[i] for i in s): w for s, w in zip(ins["samples"], ins["weights"])}
    assert stacks == expected("nano33ble", 3)
    assert parse_folded(files[1].read_text()) == parse_folded(profile.collapsed(p, "cycles"))
    assert sum(parse_folded(files[1].read_text()).values()) == r.cycles


def test_perfetto_trace_nests(callgraph):
    """Chrome trace events: every context a complete slice inside its caller's, lasting its
    total cycles at the clock; the slices of a caller's callees do not overlap."""
    r, _, p = run_profiled("hifive1", callgraph("hifive1", 3))
    tr = profile.chrome_trace(p, 1e6)              # 1 MHz: one cycle is one microsecond
    ev = tr["traceEvents"]
    assert all(e["ph"] == "X" and e["pid"] == e["tid"] == 1 for e in ev)
    assert len(ev) == sum(1 for _ in p.walk())
    by_stack = {}
    for (stack, node), e in zip(p.walk(), ev):      # events follow the depth-first walk
        assert e["name"] == stack[-1] and e["dur"] == node.total_cycles
        by_stack[stack] = e
        if len(stack) > 1:
            parent = by_stack[stack[:-1]]
            assert parent["ts"] <= e["ts"] and e["ts"] + e["dur"] <= parent["ts"] + parent["dur"]
    assert ev[0]["ts"] == 0 and ev[0]["dur"] == r.cycles
    kids = [e for s, e in by_stack.items() if len(s) == 3]
    kids.sort(key=lambda e: e["ts"])
    assert all(a["ts"] + a["dur"] <= b["ts"] for a, b in zip(kids, kids[1:]))


def test_summary_top_n(callgraph):
    # nano33ble: zero-wait-state fetches, so the ranking follows the instructions above (on
    # hifive1 the first function to touch each instruction-cache line pays its fill)
    r, _, p = run_profiled("nano33ble", callgraph("nano33ble", 3))
    s = profile.summary(p, n=3)
    assert [f["name"] for f in s["top_total"]] == ["Reset_Handler", "main", "rec"]
    assert len(s["top_self"]) == 3
    assert s["top_self"][0]["self_cycles"] == max(f.self_cycles for f in p.functions)
    json.dumps(s)                                  # plain data


def test_cli_profile_text_and_json(callgraph, tmp_path, capsys):
    elf = callgraph("nano33ble", 3)
    out = tmp_path / "prof" / "run.json"
    assert cli_main(["run", "-p", "nano33ble", "-f", str(elf), "-q", "--profile", str(out)]) == 0
    text = capsys.readouterr().out
    assert "── profile: top 10 functions" in text
    assert re.search(r"^  rec +\d[\d,]* +[\d.]+% +\d[\d,]* +[\d.]+% +22 +4$", text, re.M), text
    assert out.is_file() and out.with_suffix(".folded").is_file()
    trace = json.loads((out.parent / "run.perfetto.json").read_text())
    assert trace["traceEvents"][0]["name"] == "Reset_Handler"
    assert trace["traceEvents"][0]["dur"] == pytest.approx(trace["otherData"]["cycles"] / 64e6 * 1e6)
    assert cli_main(["run", "-p", "nano33ble", "-f", str(elf), "--json", "--profile", str(out)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"]["instructions"] == d["instructions"] == 54
    assert d["profile"]["cycles"] == d["cycles"]
    assert {f["name"] for f in d["profile"]["top_self"]} >= {"rec", "main", "SVC_Handler"}


def test_cli_profile_unwritable_path(callgraph, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = cli_main(["run", "-p", "nano33ble", "-f", str(callgraph("nano33ble", 3)), "-q",
                     "--profile", str(blocker / "out.json")])
    err = capsys.readouterr().err
    assert code == 2
    assert "--profile: cannot write" in err and "Traceback" not in err


def test_scenario_profile_with_interrupts(build_dir, tmp_path, capsys):
    """The magic wand scenario (SysTick interrupts, WFI sleep, the inference runtime): exact
    sums, handler and sleep frames."""
    scenario = Path(__file__).resolve().parent.parent / "scenarios" / "magic_wand_ring.yaml"
    out = tmp_path / "s.json"
    code = cli_main(["run", str(scenario), "--json", "--profile", str(out)])
    d = json.loads(capsys.readouterr().out)
    assert code == 0, d
    assert d["profile"]["instructions"] == d["run"]["instructions"]
    assert d["profile"]["cycles"] == d["run"]["cycles"]
    folded = parse_folded(out.with_suffix(".folded").read_text())
    assert sum(folded.values()) == d["run"]["cycles"]
    assert "Reset_Handler;main;(sleep)" in folded
    assert "Reset_Handler;main;SysTick_Handler" in folded
    assert "Reset_Handler;main;tsrt_invoke;tsrt_eval_conv_opt" in folded
    assert d["profile"]["truncated"]["unmatched_returns"] == 0


def test_engine_without_call_profile_is_refused():
    """An engine without the capability: a clear message, before anything runs."""
    from types import SimpleNamespace

    from tinysim.cli import UsageError, _Profiling
    from tinysim.engines.base import Capabilities
    eng = SimpleNamespace(name="renode", capabilities=Capabilities())
    with pytest.raises(UsageError, match="renode engine cannot profile calls"):
        _Profiling("out.json").prepare(eng)
