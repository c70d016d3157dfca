"""Inference runs: a .tflite model on the prebuilt inference firmware, checked against TFLM.

The model goes into the firmware's model partition and the input(s) into its input
partition at load time, as an over-the-air update would; no firmware rebuild. The host
reference is TensorFlow Lite Micro itself (PyPI ``tflite-micro``), on the same input bytes.
"""
from __future__ import annotations

import os
import re
import struct
import tempfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .cache import derived
from .errors import ModelError

# TFLite TensorType -> numpy dtype, for the types the runtime handles.
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16,
           9: np.int8}
_TYPE_CODES = {np.dtype(v).name: k for k, v in _DTYPES.items()}
SUPPORTED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D",
                 "MAX_POOL_2D", "ADD", "MUL", "SUB", "RESHAPE", "SQUEEZE", "SOFTMAX", "LOGISTIC",
                 "TANH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE", "CONCATENATION", "MEAN", "PAD",
                 "SVDF", "STRIDED_SLICE"}
MODEL_MAGIC, INPUT_MAGIC, RESULT_MAGIC = b"TSM1", b"TSI1", b"TSR1"
_SOURCE = Path(__file__).read_bytes()        # cached graphs are re-read when this code changes


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    return s


def op_names() -> dict[int, str]:
    s = _schema()
    return {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}


def _op_codes(model) -> list[int]:
    """Builtin code per operator-code entry (new files keep codes above 127 in BuiltinCode,
    old ones only in DeprecatedBuiltinCode: the larger of the two is the real one)."""
    return [max(model.OperatorCodes(i).BuiltinCode(), model.OperatorCodes(i).DeprecatedBuiltinCode())
            for i in range(model.OperatorCodesLength())]


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str
    shape: tuple[int, ...]
    scale: float | None
    zero_point: int | None

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    @property
    def type_code(self) -> int:
        """The TFLite TensorType number (what the firmware publishes for each output)."""
        return _TYPE_CODES[self.dtype]


@dataclass(frozen=True)
class ModelInfo:
    path: str
    size: int
    ops: tuple[tuple[int, str], ...]          # (index in the graph, builtin name)
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]

    @property
    def unsupported(self) -> tuple[tuple[int, str], ...]:
        return tuple(op for op in self.ops if op[1] not in SUPPORTED_OPS)


def inspect_model(path: str | Path, data: bytes | None = None) -> ModelInfo:
    """Read a .tflite flatbuffer's graph; a corrupt file is a ModelError, not a traceback."""
    path = Path(path)
    if data is None:
        if not path.is_file():
            raise ModelError(f"{path}: model file not found")
        data = path.read_bytes()
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(f"{path}: not a TensorFlow Lite model (no TFL3 identifier)",
                         hint="pass the .tflite file the converter wrote")
    # The graph, once per model file (the generated flatbuffer schema alone takes ~50 ms to import).
    ops, inputs, outputs = derived("models", b"graph|" + _SOURCE + data, lambda: _read_graph(path, data))
    return ModelInfo(str(path), len(data), ops, inputs, outputs)


def _read_graph(path: Path, data: bytes):
    s = _schema()
    names = op_names()
    try:
        model = s.Model.GetRootAs(data, 0)
        sg = model.Subgraphs(0)
        codes = _op_codes(model)
        ops = tuple((i, names.get(codes[sg.Operators(i).OpcodeIndex()], f"CODE_{codes[sg.Operators(i).OpcodeIndex()]}"))
                    for i in range(sg.OperatorsLength()))

        def tensor(ti):
            t = sg.Tensors(ti)
            q = t.Quantization()
            scale = zp = None
            if q is not None and q.ScaleLength():
                scale, zp = float(q.Scale(0)), int(q.ZeroPoint(0))
            dtype = _DTYPES.get(t.Type())
            if dtype is None:
                raise ModelError(f"{path}: tensor {ti} has TFLite type {t.Type()}, which tinysim does not support")
            return TensorInfo(ti, (t.Name() or b"").decode(), np.dtype(dtype).name,
                              tuple(int(x) for x in t.ShapeAsNumpy()) if t.ShapeLength() else (),
                              scale, zp)
        inputs = tuple(tensor(sg.Inputs(i)) for i in range(sg.InputsLength()))
        outputs = tuple(tensor(sg.Outputs(i)) for i in range(sg.OutputsLength()))
    except ModelError:
        raise
    except Exception as e:              # flatbuffers raises assorted errors on corrupt data
        raise ModelError(f"{path}: corrupt flatbuffer ({type(e).__name__}: {e})") from None
    return ops, inputs, outputs


def count_macs(data: bytes) -> dict[int, int]:
    """Multiply-accumulates per operator index (CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED),
    from the tensor shapes: the figure cycles-per-MAC comparisons use."""
    s = _schema()
    model = s.Model.GetRootAs(data, 0)
    sg = model.Subgraphs(0)
    names = op_names()
    codes = _op_codes(model)

    def shape(ti):
        t = sg.Tensors(ti)
        return [int(v) for v in t.ShapeAsNumpy()] if t.ShapeLength() else []
    macs = {}
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        name = names.get(codes[op.OpcodeIndex()], "")
        out = int(np.prod(shape(op.Outputs(0)))) if op.OutputsLength() else 0
        w = shape(op.Inputs(1)) if op.InputsLength() > 1 and op.Inputs(1) >= 0 else []
        if name == "CONV_2D" and len(w) == 4:
            macs[i] = out * w[1] * w[2] * w[3]
        elif name == "DEPTHWISE_CONV_2D" and len(w) == 4:
            macs[i] = out * w[1] * w[2]
        elif name == "FULLY_CONNECTED" and len(w) == 2:
            macs[i] = out * w[1]
    return macs


def check_supported(info: ModelInfo) -> None:
    bad = info.unsupported
    if bad:
        listed = ", ".join(f"{name} (operator {i})" for i, name in bad)
        raise ModelError(f"{info.path}: unsupported operator{'s' if len(bad) > 1 else ''}: {listed}",
                         hint="supported: " + ", ".join(sorted(SUPPORTED_OPS)))


def random_inputs(info: ModelInfo, seed: int) -> list[np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))
    out = []
    for t in info.inputs:
        dt = np.dtype(t.dtype)
        if dt.kind == "f":
            out.append(rng.standard_normal(t.shape).astype(dt))
        else:
            ii = np.iinfo(dt)
            out.append(rng.integers(ii.min, ii.max, size=t.shape, endpoint=True, dtype=dt))
    return out


def load_inputs(path: str | Path, info: ModelInfo) -> list[np.ndarray]:
    """An .npy with the model's input shape (or a batch of them along a new first axis)."""
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: input file not found")
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as e:
        raise ModelError(f"{path}: not a readable .npy file ({e})") from None
    if len(info.inputs) != 1:
        raise ModelError(f"{path}: the model has {len(info.inputs)} inputs; .npy input supports one")
    t = info.inputs[0]
    if arr.dtype != np.dtype(t.dtype):
        raise ModelError(f"{path}: dtype {arr.dtype}, but the model's input is {t.dtype}{list(t.shape)}",
                         hint="quantize the input first, or save it with the model's input dtype")
    if tuple(arr.shape) != t.shape and int(np.prod(arr.shape)) != int(np.prod(t.shape)):
        raise ModelError(f"{path}: shape {list(arr.shape)}, but the model's input is {list(t.shape)}")
    return [arr.reshape(t.shape)]


@dataclass(frozen=True)
class Reference:
    outputs: tuple[np.ndarray, ...]
    arena_used_bytes: int | None


def reference(model: bytes, inputs: list[np.ndarray], n_outputs: int | None = None) -> Reference:
    """TFLM's own interpreter (reference kernels) on the same input bytes; a result is kept in
    the cache directory by TFLM's version, the model and the inputs (importing TFLM's runtime
    alone takes ~40 ms, a scenario's start-up pays it every run otherwise)."""
    from importlib.metadata import version
    key = [b"tflm-reference", version("tflite-micro").encode(), _SOURCE, str(n_outputs).encode(), model]
    for x in inputs:
        x = np.ascontiguousarray(x)
        key += [f"{x.dtype.str}{x.shape}".encode(), x.tobytes()]
    return derived("reference", b"|".join(len(k).to_bytes(8, "little") + k for k in key),
                   lambda: _reference(model, inputs, n_outputs))


def _reference(model: bytes, inputs: list[np.ndarray], n_outputs: int | None) -> Reference:
    from tflite_micro.python.tflite_micro import runtime
    # TFLM's default arena (10x the model) is too small for small models with large activations;
    # the arena use it reports does not depend on the size given
    interp = runtime.Interpreter.from_bytes(model, arena_size=max(8 << 20, 10 * len(model)))
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    n = n_outputs if n_outputs is not None else len(inspect_model("<model>", model).outputs)
    outs = tuple(np.array(interp.get_output(i)) for i in range(n))
    return Reference(outs, tflm_arena_bytes(interp))


def tflm_arena_bytes(interp) -> int | None:
    """TFLM prints its RecordingMicroAllocator figures from C++ (stdout or stderr, buffered):
    capture both file descriptors around the call, flushing the C library's buffers."""
    import ctypes
    import sys
    libc = ctypes.CDLL(None)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    with tempfile.TemporaryFile() as tmp:
        for fd in (1, 2):
            os.dup2(tmp.fileno(), fd)
        try:
            interp.print_allocations()
            libc.fflush(None)
        finally:
            for fd, keep in saved.items():
                os.dup2(keep, fd)
                os.close(keep)
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    m = re.search(r"Arena allocation total (\d+) bytes", text)
    return int(m.group(1)) if m else None


def model_partition(model: bytes) -> bytes:
    return MODEL_MAGIC + struct.pack("<III", len(model), zlib.crc32(model), 0) + model


def input_partition(batches: list[list[np.ndarray]]) -> bytes:
    body = b"".join(np.ascontiguousarray(x).tobytes() for batch in batches for x in batch)
    return INPUT_MAGIC + struct.pack("<III", len(body), len(batches), 0) + body


@dataclass(frozen=True)
class OpProfile:
    index: int
    op: str
    instructions: int
    cycles: int


def to_dict(obj) -> dict:
    return asdict(obj)


@dataclass(frozen=True)
class InferenceReport:
    model: str
    inputs_source: str                  # the .npy path or "random(seed=N)"
    outputs: tuple[list, ...]           # raw output values as lists (per output tensor)
    outputs_dequantized: tuple[list | None, ...]
    reference: tuple[list, ...]         # TFLM on the same input
    bit_exact: bool | None              # None: the firmware does not publish its outputs
    mismatched_bytes: int               # bytes that differ, counting absent outputs whole
    instructions_per_inference: int
    cycles_per_inference: int           # estimated (timing table)
    latency_ms: float                   # cycles / board clock
    arena_planned_bytes: int | None
    arena_tflm_bytes: int | None        # TFLM's RecordingMicroAllocator total for the same model
    arena_peak_bytes: int | None        # painted arena scanned after the run
    stack_peak_bytes: int | None
    model_flash_bytes: int
    code_flash_bytes: int
    ops: tuple[OpProfile, ...]
    op_types: dict                      # name -> {"count", "instructions", "cycles"}
    output_problems: tuple[str, ...] = ()   # why the outputs cannot be compared byte for byte
    kernels: str | None = None          # "opt" or "ref" (tsrt kernel variant in the firmware), None: not tsrt
    cycles_checked: str = ""            # the timing model against silicon (TimingTable.silicon_summary)


PREBUILT = Path(__file__).parent / "prebuilt"


KERNEL_VARIANTS = {"opt": "infer.elf", "ref": "infer_ref.elf"}


def prebuilt_firmware(platform_name: str, kernels: str = "opt") -> Path:
    """The shipped inference firmware: optimized kernels (``opt``) or TFLM-style reference
    kernels (``ref``)."""
    if kernels not in KERNEL_VARIANTS:
        raise ModelError(f"unknown kernel variant {kernels!r}", hint="use --kernels opt or --kernels ref")
    p = PREBUILT / platform_name / KERNEL_VARIANTS[kernels]
    if not p.is_file():
        raise ModelError(f"no prebuilt inference firmware ({kernels} kernels) for {platform_name!r}",
                         hint="build it with `make -C firmware prebuilt`, or pass --firmware")
    return p


def _kernel_variant(fw) -> str | None:
    """Which tsrt kernels an ELF carries, from its symbols (any firmware, prebuilt or not)."""
    names = {s.name for s in fw.symbols()}
    if "tsrt_eval_conv_opt" in names:
        return "opt"
    return "ref" if "tsrt_eval_conv" in names else None


def run_model(platform, model_path, *, input_path=None, seed: int = 0, firmware=None,
              engine: str = "builtin", max_time_s: float | None = None, wall_limit_s=None,
              on_uart=None, prepare=None, kernels: str = "opt"):
    """Run ``model_path`` on the inference firmware; returns (RunResult, InferenceReport)."""
    from . import api
    from .platform import Platform, load_platform
    plat = platform if isinstance(platform, Platform) else load_platform(platform)
    model_path = Path(model_path)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file not found")
    model = model_path.read_bytes()
    info = inspect_model(model_path, model)
    check_supported(info)
    inputs = load_inputs(input_path, info) if input_path else random_inputs(info, seed)
    ref = reference(model, inputs, len(info.outputs))

    fw_path = firmware or prebuilt_firmware(plat.name, kernels)
    with api.open_board(plat, fw_path, engine) as eng:
        fw = eng.firmware
        variant = _kernel_variant(fw)
        room = _results_capacity(fw)
        if room is not None and len(info.outputs) > room:
            raise ModelError(f"{model_path}: the model has {len(info.outputs)} outputs; the inference "
                             f"firmware {fw.path.name} publishes at most {room}",
                             hint="concatenate outputs in the model, or raise MAX_OUTPUTS in "
                             "firmware/apps/infer/main.c and pass the rebuilt ELF with --firmware")
        if prepare is not None:
            prepare(eng)
        _fill_partition(eng, "model", model_partition(model))
        _fill_partition(eng, "input", input_partition([inputs]))
        arena = _symbol_range(fw, "arena")
        if not eng.capabilities.region_paint:
            arena = None
        if arena is not None:
            eng.paint(*arena)
        marks: list[tuple[int, int, int, int]] = []
        def signed(v):
            return v - (1 << 32) if v & 0x80000000 else v
        if eng.capabilities.function_watch:
            eng.watch_function("tsrt_op_marker",
                               lambda i, c, a: marks.append((signed(a[0]), signed(a[1]), i, c)))
        run = api.run_engine(eng, max_time_s=max_time_s, wall_limit_s=wall_limit_s, on_uart=on_uart)
        results = _read_results(eng, fw)
        arena_peak = eng.painted_peak(*arena) if arena is not None else None
        overhead = _marker_overhead(eng)
    ops, per_inf = _profile(marks, info, overhead)
    types = _op_types(ops)
    common = dict(instructions_per_inference=per_inf[0], cycles_per_inference=per_inf[1],
                  latency_ms=per_inf[1] / plat.clock_hz * 1e3, arena_tflm_bytes=ref.arena_used_bytes,
                  arena_peak_bytes=arena_peak, stack_peak_bytes=run.stack_peak_bytes,
                  model_flash_bytes=len(model), code_flash_bytes=run.flash_bytes, ops=tuple(ops),
                  op_types=types, kernels=variant, cycles_checked=run.timing_checked)
    if results is None and not marks and fw.symbol("tsrt_op_marker") is None:
        # Neither a results struct nor the runtime: this ELF cannot run the model it was given.
        raise ModelError(f"{fw_path}: does not run models: it has no tsrt_results struct and no tsrt "
                         "runtime (tsrt_op_marker), so the model partition is never read",
                         hint="omit --firmware to use the prebuilt inference firmware, or give an "
                         "application linked with firmware/runtime")
    if results is None:
        # An application firmware (it takes its inputs from sensors): profile and memory only.
        return run, InferenceReport(model=str(model_path), inputs_source="firmware", outputs=(),
                                    outputs_dequantized=(), reference=(), bit_exact=None,
                                    mismatched_bytes=0, arena_planned_bytes=None, **common)
    status, planned, outs, err = results
    if status != 0:
        raise ModelError(f"{model_path}: the firmware rejected the model: {err}",
                         hint=_tsrt_hint(err))
    raw, mism, problems = compare_outputs(outs, info, ref)
    deq = tuple(None if t.scale is None or np.dtype(t.dtype).kind == "f" else
                ((r.astype(np.float64) - t.zero_point) * t.scale).round(7).tolist()
                for r, t in zip(raw, info.outputs))
    rep = InferenceReport(
        model=str(model_path), inputs_source=(str(input_path) if input_path else f"random(seed={seed})") + (
            " (holds NaN/Inf)" if any(a.dtype.kind == "f" and not np.isfinite(a).all() for a in inputs) else ""),
        outputs=tuple(r.tolist() for r in raw), outputs_dequantized=deq,
        reference=tuple(np.asarray(r).tolist() for r in ref.outputs),
        bit_exact=mism == 0 and not problems, mismatched_bytes=mism, arena_planned_bytes=planned,
        output_problems=problems, **common)
    return run, rep


def _tsrt_hint(err: str) -> str | None:
    """What to do about a model the firmware's tsrt_init rejected (its message says what and where;
    the firmware passes on tsrt's message, not its error code)."""
    if "quantization scales out of range" in err:
        return ("a rescale factor from the model's quantization scales is not finite or not below "
                "2^31, which only a damaged file holds: convert the model again")
    if err.startswith("corrupt model"):
        return "the file is damaged or was not written by the TFLite converter: convert the model again"
    if err.startswith("arena too small"):
        return "the model needs more arena than the firmware has: use a smaller model"
    return None


def compare_outputs(published: list[tuple[int, bytes]], info: ModelInfo, ref: Reference):
    """Compare what the firmware published ((TFLite type, bytes) per output) with TFLM's
    outputs. Only outputs that agree in count, type, size and shape are compared byte for
    byte; anything else is a problem, and an absent output counts all its bytes as
    mismatched. Returns (arrays for the outputs that could be read, mismatched bytes,
    problems)."""
    problems: list[str] = []
    if len(published) != len(info.outputs):
        problems.append(f"the firmware published {len(published)} output(s); the model has "
                        f"{len(info.outputs)}")
    if len(ref.outputs) != len(info.outputs):
        problems.append(f"TFLM returned {len(ref.outputs)} output(s); the model has {len(info.outputs)}")
    raw: list[np.ndarray] = []
    mism = 0
    for i, t in enumerate(info.outputs):
        want = np.ascontiguousarray(ref.outputs[i]) if i < len(ref.outputs) else None
        if want is not None and (want.dtype != np.dtype(t.dtype) or tuple(want.shape) != t.shape):
            problems.append(f"output {i}: TFLM gives {want.dtype}{list(want.shape)}, the model "
                            f"declares {t.dtype}{list(t.shape)}")
        if i >= len(published):
            mism += t.nbytes
            continue
        code, data = published[i]
        if code != t.type_code or len(data) != t.nbytes:
            problems.append(f"output {i}: the firmware published {len(data)} bytes of TFLite type "
                            f"{code}; the model declares {t.dtype}{list(t.shape)} ({t.nbytes} bytes, "
                            f"type {t.type_code})")
            mism += t.nbytes
            continue
        a = np.frombuffer(data, dtype=np.dtype(t.dtype)).reshape(t.shape)
        raw.append(a)
        if want is None or want.nbytes != a.nbytes:
            mism += a.nbytes
        else:
            mism += int(np.count_nonzero(np.frombuffer(a.tobytes(), np.uint8) !=
                                         np.frombuffer(want.tobytes(), np.uint8)))
    return tuple(raw), mism, tuple(problems)


def _op_types(ops) -> dict:
    types: dict[str, dict] = {}
    for op in ops:
        d = types.setdefault(op.op, {"count": 0, "instructions": 0, "cycles": 0})
        d["count"] += 1
        d["instructions"] += op.instructions
        d["cycles"] += op.cycles
    return types


def _symbol_range(fw, name):
    for s in fw.symbols():
        if s.name == name and s.size:
            return s.addr, s.addr + s.size
    return None


def _fill_partition(eng, name: str, blob: bytes) -> None:
    fw = eng.firmware
    lo, hi = fw.symbol(f"__{name}_partition_start__"), fw.symbol(f"__{name}_partition_end__")
    if lo is None or hi is None:
        raise ModelError(f"{fw.path}: no {name} partition (symbols __{name}_partition_start__/_end__)",
                         hint="use the prebuilt inference firmware or its linker script")
    if len(blob) > hi - lo:
        raise ModelError(f"the {name} ({len(blob):,} bytes with its header) does not fit the "
                         f"{name} partition ({hi - lo:,} bytes at {lo:#x}) of {eng.platform.name}")
    eng.write_memory(lo, blob)


# struct tsrt_results in firmware/apps/infer/main.c: a 24-byte header, MAX_OUTPUTS
# descriptors of 16 bytes, then a 128-byte error message.
_RESULTS_HEAD, _RESULTS_DESC, _RESULTS_ERR, _RESULTS_DEFAULT_OUTPUTS = 24, 16, 128, 8


def _results_capacity(fw) -> int | None:
    """How many output descriptors the firmware's results struct holds (from the symbol's
    size); None when the firmware publishes no results."""
    sym = next((s for s in fw.symbols() if s.name == "tsrt_results"), None)
    if sym is None:
        return None
    if not sym.size:
        return _RESULTS_DEFAULT_OUTPUTS
    return max(0, (sym.size - _RESULTS_HEAD - _RESULTS_ERR) // _RESULTS_DESC)


def _read_results(eng, fw):
    addr = fw.symbol("tsrt_results")
    room = _results_capacity(fw)
    if addr is None or room is None:
        return None
    raw = eng.read_memory(addr, _RESULTS_HEAD + _RESULTS_DESC * room + _RESULTS_ERR)
    if raw[:4] != RESULT_MAGIC:
        return None
    status, planned, _arena, _n_inf, n_out = struct.unpack_from("<iIIII", raw, 4)
    if n_out > room:
        raise ModelError(f"{fw.path}: the results struct says {n_out} outputs but holds at most {room}",
                         hint="the firmware and tinysim disagree on struct tsrt_results")
    outs = []
    for i in range(n_out):
        a, size, type_code, _ = struct.unpack_from("<IIii", raw, _RESULTS_HEAD + _RESULTS_DESC * i)
        outs.append((type_code, eng.read_memory(a, size)))
    err = raw[_RESULTS_HEAD + _RESULTS_DESC * room:].split(b"\0")[0].decode(errors="replace")
    return status, planned, outs, err


def _marker_overhead(eng) -> tuple[int, int]:
    """Instructions and cycles of one marker call (the call instruction and the marker's
    body), taken out of the operator that precedes each marker."""
    fw = eng.firmware
    addr = fw.symbol("tsrt_op_marker")
    size = next((s.size for s in fw.symbols() if s.name == "tsrt_op_marker"), 0)
    if addr is None or not eng.capabilities.code_costs or not size:
        return (0, 0)
    body_i, body_c = eng.code_cost(addr & ~1, size)
    call_i, call_c = eng.call_cost()
    return body_i + call_i, body_c + call_c


def _profile(marks, info: ModelInfo, overhead):
    """Operator k runs between marker(k) and the next marker; markers give exact counters."""
    ops: list[OpProfile] = []
    total_i = total_c = 0
    names = dict(info.ops)
    for (idx, _code, i0, c0), (_nidx, _nc, i1, c1) in zip(marks, marks[1:]):
        if idx < 0:
            continue
        oi, oc = i1 - i0 - overhead[0], c1 - c0 - overhead[1]
        if len(ops) < len(info.ops):            # first inference only
            ops.append(OpProfile(idx, names.get(idx, "?"), oi, oc))
    if marks:
        first = [m for m in marks if m[0] == 0]
        last = [m for m in marks if m[0] == -1]
        if first and last:
            total_i, total_c = last[0][2] - first[0][2], last[0][3] - first[0][3]
    return ops, (total_i, total_c)
