"""Builds .tflite flatbuffers directly (flatbuffers + TFLM's schema module), no TensorFlow.

    b = ModelBuilder()
    x = b.tensor([1, 8], "int8", scale=0.1, zp=3)
    w = b.tensor([4, 8], "int8", data=np.ones((4, 8), np.int8), scale=0.02)
    y = b.tensor([1, 4], "int8", scale=0.2, zp=-1)
    b.op("FULLY_CONNECTED", [x, w, -1], [y], FullyConnectedOptionsT())
    model_bytes = b.build(inputs=[x], outputs=[y])
"""
from __future__ import annotations

import flatbuffers
import numpy as np

from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as S

TYPES = {
    "float32": (S.TensorType.FLOAT32, np.float32),
    "int32": (S.TensorType.INT32, np.int32),
    "uint8": (S.TensorType.UINT8, np.uint8),
    "int64": (S.TensorType.INT64, np.int64),
    "int16": (S.TensorType.INT16, np.int16),
    "int8": (S.TensorType.INT8, np.int8),
    "bool": (S.TensorType.BOOL, np.bool_),
}

# option class name -> BuiltinOptions union tag
_OPTION_TAGS = {name: getattr(S.BuiltinOptions, name) for name in dir(S.BuiltinOptions)
                if not name.startswith("_")}


class _AlignedBufferT(S.BufferT):
    """BufferT whose data vector is 16-byte aligned (the schema's force_align,
    which the Python generator ignores)."""

    def Pack(self, builder):
        data = None
        if self.data is not None and len(self.data):
            raw = bytes(self.data)
            builder.StartVector(1, len(raw), 16)
            builder.head = builder.head - len(raw)
            builder.Bytes[builder.head:builder.head + len(raw)] = raw
            data = builder.EndVector()
        S.BufferStart(builder)
        if data is not None:
            S.BufferAddData(builder, data)
        return S.BufferEnd(builder)


def options(name: str, **fields):
    """options("Conv2DOptions", padding=1, strideW=2) -> Conv2DOptionsT."""
    obj = getattr(S, name + "T")()
    for k, v in fields.items():
        if not hasattr(obj, k):
            raise AttributeError(f"{name} has no field {k}")
        setattr(obj, k, v)
    return obj


class ModelBuilder:
    def __init__(self):
        self.tensors: list = []
        self.buffers: list = [_AlignedBufferT()]
        self.ops: list = []
        self.opcodes: list = []
        self.raw_data: dict = {}

    def tensor(self, shape, dtype, data=None, scale=None, zp=None, qdim=0,
               variable=False, name=None) -> int:
        t = S.TensorT()
        t.shape = list(int(s) for s in shape)
        t.type = TYPES[dtype][0]
        t.name = name or f"t{len(self.tensors)}"
        t.isVariable = bool(variable)
        if data is not None:
            arr = np.asarray(data, dtype=TYPES[dtype][1]).reshape(t.shape)
            buf = _AlignedBufferT()
            buf.data = arr.tobytes()
            self.buffers.append(buf)
            t.buffer = len(self.buffers) - 1
        else:
            t.buffer = 0
        if scale is not None:
            q = S.QuantizationParametersT()
            sc = np.atleast_1d(np.asarray(scale, dtype=np.float32))
            z = np.atleast_1d(np.asarray(0 if zp is None else zp, dtype=np.int64))
            if z.size == 1 and sc.size > 1:
                z = np.zeros(sc.size, np.int64) + z[0]
            q.scale = [float(v) for v in sc]
            q.zeroPoint = [int(v) for v in z]
            q.quantizedDimension = int(qdim)
            t.quantization = q
        self.tensors.append(t)
        return len(self.tensors) - 1

    def const(self, arr, dtype, **kw) -> int:
        arr = np.asarray(arr)
        return self.tensor(arr.shape, dtype, data=arr, **kw)

    def op(self, name_or_code, inputs, outputs, opts=None, builtin_code=None,
           deprecated_code=None, custom_code=None) -> int:
        code = (getattr(S.BuiltinOperator, name_or_code)
                if isinstance(name_or_code, str) else int(name_or_code))
        key = (code, builtin_code, deprecated_code, custom_code)
        if key not in [k for k, _ in self.opcodes]:
            oc = S.OperatorCodeT()
            oc.builtinCode = code if builtin_code is None else builtin_code
            if deprecated_code is not None:
                oc.deprecatedBuiltinCode = deprecated_code
            else:
                oc.deprecatedBuiltinCode = min(code, 127)
            oc.version = 1
            if custom_code is not None:
                oc.customCode = custom_code
            self.opcodes.append((key, oc))
        idx = [k for k, _ in self.opcodes].index(key)
        o = S.OperatorT()
        o.opcodeIndex = idx
        o.inputs = list(inputs)
        o.outputs = list(outputs)
        if opts is not None:
            tag = type(opts).__name__[:-1]
            o.builtinOptionsType = _OPTION_TAGS[tag]
            o.builtinOptions = opts
        self.ops.append(o)
        return len(self.ops) - 1

    def build(self, inputs, outputs) -> bytes:
        sg = S.SubGraphT()
        sg.tensors = self.tensors
        sg.inputs = list(inputs)
        sg.outputs = list(outputs)
        sg.operators = self.ops
        sg.name = "main"
        m = S.ModelT()
        m.version = 3
        m.operatorCodes = [oc for _, oc in self.opcodes]
        m.subgraphs = [sg]
        m.buffers = self.buffers
        m.description = "tsrt test model"
        fb = flatbuffers.Builder(1024)
        fb.Finish(m.Pack(fb), file_identifier=b"TFL3")
        return bytes(fb.Output())
