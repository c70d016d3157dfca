from __future__ import annotations

import dataclasses
import platform as host
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tinysim.elf import Firmware, load_elf
from tinysim.errors import FirmwareError, TinysimError


def patched(src: Path, dst: Path, edits: dict[int, bytes]) -> Path:
    data = bytearray(src.read_bytes())
    for off, b in edits.items():
        data[off:off + len(b)] = b
    dst.write_bytes(bytes(data))
    return dst


def phdrs(path: Path) -> list[int]:
    """File offsets of an ELF32 LE file's program headers."""
    data = path.read_bytes()
    phoff, = struct.unpack_from("<I", data, 28)
    phentsize, phnum = struct.unpack_from("<HH", data, 42)
    return [phoff + i * phentsize for i in range(phnum)]


def elf64_header(machine: int) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HHI", 2, machine, 1) + bytes(64 - 20)


# --------------------------------------------------------------------------- ARM


def test_arm_elf_loads(arm_elf):
    fw = load_elf(arm_elf, expect_arch="arm")
    assert isinstance(fw, Firmware)
    assert fw.path == arm_elf and fw.arch == "arm"
    reset = fw.symbol("Reset_Handler")
    assert fw.entry == reset | 1  # e_entry keeps the Thumb bit
    # The vector table is at the start of flash: initial SP, then the reset vector.
    first = min(fw.segments, key=lambda s: s.paddr)
    sp, pc = struct.unpack_from("<II", first.data, 0)
    assert (first.paddr, sp, pc) == (0, fw.symbol("__StackTop"), reset | 1)


def test_arm_sections(arm_elf):
    fw = load_elf(arm_elf)
    by = {s.name: s for s in fw.sections}
    assert {n: by[n].kind for n in (".text", ".rodata", ".data", ".bss", ".stack")} == \
        {".text": "code", ".rodata": "rodata", ".data": "data", ".bss": "bss", ".stack": "bss"}
    assert by[".ARM.attributes"].kind == "other" and not by[".ARM.attributes"].alloc
    data = by[".data"]
    assert data.addr == 0x20000000
    assert data.load_addr == by[".rodata"].load_addr + by[".rodata"].size  # initial values in flash
    assert by[".bss"].load_addr == by[".bss"].addr  # nothing stored for bss
    assert fw.section(".text") is by[".text"] and fw.section(".nope") is None


def test_segments_by_load_address_match_objcopy(arm_elf, tmp_path):
    """Writing each segment's bytes at its paddr gives exactly the flash image."""
    if shutil.which("arm-none-eabi-objcopy") is None:
        pytest.skip("arm-none-eabi-objcopy not installed")
    out = tmp_path / "fw.bin"
    subprocess.run(["arm-none-eabi-objcopy", "-O", "binary", str(arm_elf), str(out)], check=True)
    expected = out.read_bytes()
    image = bytearray(len(expected))
    for seg in load_elf(arm_elf).segments:
        assert len(seg.data) <= seg.memsz
        image[seg.paddr:seg.paddr + len(seg.data)] = seg.data
    assert bytes(image) == expected


def test_symbols(arm_elf):
    fw = load_elf(arm_elf)
    assert fw.symbol("counter") == 0x20000000
    assert fw.symbol("table") == fw.section(".rodata").addr
    assert fw.symbol("helper") is not None  # a static (local) function
    assert fw.symbol("no_such_symbol") is None
    syms = {s.name: s for s in fw.symbols()}
    assert syms["add"].kind == "func" and syms["add"].size > 0 and syms["add"].addr % 2 == 0
    assert (syms["zeroed"].kind, syms["zeroed"].size) == ("object", 64)
    assert syms["__StackTop"].kind == "other"
    assert not any(n.startswith("$") for n in syms)  # no ARM mapping symbols
    addrs = [s.addr for s in fw.symbols()]
    assert addrs == sorted(addrs)


def test_function_at(arm_elf):
    fw = load_elf(arm_elf)
    add = fw.symbol("add")
    assert fw.function_at(add) == ("add", 0)
    assert fw.function_at(add + 4) == ("add", 4)
    assert fw.function_at((add + 4) | 1) == ("add", 4)  # a Thumb LR value
    main = next(s for s in fw.symbols() if s.name == "main")
    assert fw.function_at(main.addr + main.size) != ("main", main.size)
    # Default_Handler has no .size: it still owns its code up to the next function/section end.
    dh = fw.symbol("Default_Handler")
    assert fw.function_at(dh + 2) == ("Default_Handler", 2)
    assert fw.function_at(0) is None  # vector table: data, not a function
    assert fw.function_at(fw.symbol("table")) is None
    assert fw.function_at(0x20000000) is None


def test_firmware_is_immutable(arm_elf):
    fw = load_elf(arm_elf)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fw.entry = 0  # type: ignore[misc]
    assert isinstance(fw.segments, tuple) and isinstance(fw.sections, tuple)


def test_stripped_elf_loads_without_symbols(arm_elf, tmp_path):
    if shutil.which("arm-none-eabi-strip") is None:
        pytest.skip("arm-none-eabi-strip not installed")
    out = tmp_path / "stripped.elf"
    subprocess.run(["arm-none-eabi-strip", "-o", str(out), str(arm_elf)], check=True)
    fw = load_elf(out)
    assert fw.symbols() == () and fw.symbol("main") is None and fw.function_at(0x20) is None
    assert fw.segments


# --------------------------------------------------------------------------- RISC-V


def test_riscv_elf_loads(riscv_elf):
    fw = load_elf(riscv_elf, expect_arch="riscv")
    assert fw.arch == "riscv"
    assert fw.entry == fw.symbol("_start") == 0x20010000
    assert fw.function_at(fw.symbol("add") + 2) == ("add", 2)
    by = {s.name: s for s in fw.sections}
    assert by[".data"].addr == 0x80000000 and 0x20010000 < by[".data"].load_addr < 0x20400000


# --------------------------------------------------------------------------- wrong architecture


def test_riscv_elf_for_arm_platform(riscv_elf):
    with pytest.raises(FirmwareError) as info:
        load_elf(riscv_elf, expect_arch="arm", platform_name="nano33ble")
    assert f"{riscv_elf}: RISC-V ELF, but platform nano33ble needs an ARM (EM_ARM) ELF" in str(info.value)
    assert "arm-none-eabi-gcc" in info.value.hint


def test_arm_elf_for_riscv(arm_elf):
    with pytest.raises(FirmwareError, match=r"ARM ELF, but tinysim needs a 32-bit RISC-V \(EM_RISCV\) ELF"):
        load_elf(arm_elf, expect_arch="riscv")


def test_x86_64_elf(tmp_path):
    path = tmp_path / "x86.elf"
    path.write_bytes(elf64_header(62))
    with pytest.raises(FirmwareError) as info:
        load_elf(path, expect_arch="arm", platform_name="nano33ble")
    assert info.value.message == f"{path}: x86-64 ELF, but platform nano33ble needs an ARM (EM_ARM) ELF"


def test_rv64_elf(tmp_path):
    path = tmp_path / "rv64.elf"
    path.write_bytes(elf64_header(243))
    with pytest.raises(FirmwareError, match="64-bit RISC-V ELF"):
        load_elf(path)


def test_host_executable_is_rejected():
    exe = Path("/bin/ls")
    if not exe.exists():
        pytest.skip("no /bin/ls")
    with pytest.raises(FirmwareError) as info:
        load_elf(exe)
    if host.machine() == "x86_64":
        assert "x86-64 ELF, but tinysim needs" in str(info.value)
    assert "ELF, but tinysim needs a 32-bit ARM (EM_ARM) or RISC-V (EM_RISCV) ELF" in str(info.value)


def test_big_endian_is_rejected(arm_elf, tmp_path):
    path = patched(arm_elf, tmp_path / "be.elf", {5: b"\x02", 18: struct.pack(">H", 40)})
    with pytest.raises(FirmwareError, match="big-endian ARM ELF; tinysim supports little-endian only"):
        load_elf(path)


def test_bad_expect_arch(arm_elf):
    with pytest.raises(ValueError):
        load_elf(arm_elf, expect_arch="x86")


# --------------------------------------------------------------------------- unusable files


def test_missing_file(tmp_path):
    with pytest.raises(FirmwareError) as info:
        load_elf(tmp_path / "nope.elf")
    assert "nope.elf: firmware file not found" in info.value.message and info.value.hint


def test_directory(tmp_path):
    with pytest.raises(FirmwareError, match="is a directory"):
        load_elf(tmp_path)


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "the file is empty"),
    (b"hello world\n", "not 7f 45 4c 46"),
    (b":10000000000000200100000000000000000000D4\n", "Intel HEX"),
    (struct.pack("<II", 0x20040000, 0x101), "raw binary"),
])
def test_not_an_elf(tmp_path, content, fragment):
    path = tmp_path / "fw.bin"
    path.write_bytes(content)
    with pytest.raises(FirmwareError) as info:
        load_elf(path)
    assert f"{path}: not an ELF file" in info.value.message and fragment in info.value.message
    assert "linker" in info.value.hint


@pytest.mark.parametrize("cut", [3, 10, 30, 60, 200, 0.5, -1])
def test_truncated(arm_elf, tmp_path, cut):
    data = arm_elf.read_bytes()
    n = int(len(data) * cut) if isinstance(cut, float) else (len(data) + cut if cut < 0 else cut)
    path = tmp_path / "cut.elf"
    path.write_bytes(data[:n])
    with pytest.raises(FirmwareError, match="corrupt or truncated ELF"):
        load_elf(path)


def test_segment_outside_file(arm_elf, tmp_path):
    first = phdrs(arm_elf)[0]
    path = patched(arm_elf, tmp_path / "bad.elf", {first + 4: struct.pack("<I", 0x7FFFFF00)})
    with pytest.raises(FirmwareError, match="corrupt or truncated ELF.*segment 0"):
        load_elf(path)


def test_random_corruption_never_escapes(arm_elf, tmp_path):
    """Whatever pyelftools makes of damaged headers, only FirmwareError comes out."""
    rng = random.Random(1234)
    data = arm_elf.read_bytes()
    header_end = max(phdrs(arm_elf)) + 32
    shoff, = struct.unpack_from("<I", data, 32)
    path = tmp_path / "fuzz.elf"
    for _ in range(300):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            # Hit the ELF/program headers and the section header table, where parsing happens.
            off = rng.randrange(0, header_end) if rng.random() < 0.5 else rng.randrange(shoff, len(data))
            mutated[off] = rng.randrange(256)
        path.write_bytes(bytes(mutated))
        try:
            load_elf(path)
        except TinysimError as e:
            assert isinstance(e, FirmwareError)


def test_no_load_segments(arm_elf, tmp_path):
    edits = {off: struct.pack("<I", 4) for off in phdrs(arm_elf)}  # every PT_LOAD -> PT_NOTE
    path = patched(arm_elf, tmp_path / "noload.elf", edits)
    with pytest.raises(FirmwareError, match="no loadable \\(PT_LOAD\\) segments"):
        load_elf(path)


def test_relocatable_object(tmp_path):
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc not installed")
    (tmp_path / "a.c").write_text("int f(int x) { return x + 1; }\n")
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb", "-c", "a.c", "-o", "a.o"],
                   cwd=tmp_path, check=True)
    with pytest.raises(FirmwareError, match="relocatable object file"):
        load_elf(tmp_path / "a.o")
