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

from .errors import ModelError

# TFLite TensorType -> numpy dtype, for the types the runtime handles.
_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 7: np.int16,
           9: np.int8}
SUPPORTED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D",
                 "MAX_POOL_2D", "ADD", "MUL", "SUB", "RESHAPE", "SQUEEZE", "SOFTMAX", "LOGISTIC",
                 "TANH", "RELU", "RELU6", "QUANTIZE", "DEQUANTIZE", "CONCATENATION", "MEAN", "PAD",
                 "SVDF", "STRIDED_SLICE"}
MODEL_MAGIC, INPUT_MAGIC, RESULT_MAGIC = b"TSM1", b"TSI1", b"TSR1"


def _schema():
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as s
    return s


def op_names() -> dict[int, str]:
    s = _schema()
    return {v: k for k, v in vars(s.BuiltinOperator).items() if not k.startswith("_")}


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
    s = _schema()
    names = op_names()
    try:
        model = s.Model.GetRootAs(data, 0)
        sg = model.Subgraphs(0)
        codes = [max(model.OperatorCodes(i).BuiltinCode(), model.OperatorCodes(i).DeprecatedBuiltinCode())
                 for i in range(model.OperatorCodesLength())]
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
    return ModelInfo(str(path), len(data), ops, inputs, outputs)


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


def reference(model: bytes, inputs: list[np.ndarray]) -> Reference:
    """TFLM's own interpreter (reference kernels) on the same input bytes."""
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(model)
    for i, x in enumerate(inputs):
        interp.set_input(x, i)
    interp.invoke()
    n = len(inspect_model("<model>", model).outputs)
    outs = tuple(np.array(interp.get_output(i)) for i in range(n))
    return Reference(outs, _arena_used(interp))


def _arena_used(interp) -> int | None:
    """TFLM prints its RecordingMicroAllocator figures from C++; capture fd 1 to read them."""
    import sys
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            interp.print_allocations()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
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
