"""The runtime's model corpus: networks built with flatbuffers (no TensorFlow), covering every
operator tsrt supports and its options (the tests and ``bench_models --corpus`` use it). Each case returns a Case: the model
bytes, its input arrays (`reps` groups for multi-invoke cases) and the number
of outputs. Weights and inputs come from a seeded numpy generator."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .tflite_builder import ModelBuilder, options

SAME, VALID = 0, 1
NONE, RELU, RELU_N1_TO_1, RELU6, TANH = 0, 1, 2, 3, 4


@dataclass
class Case:
    model: bytes
    inputs: list
    n_out: int = 1
    reps: int = 1
    ops: list = field(default_factory=list)


CASES: dict = {}


def case(name):
    def deco(fn):
        CASES[name] = fn
        return fn
    return deco


NP = {"int8": np.int8, "int16": np.int16, "float32": np.float32, "int32": np.int32,
      "uint8": np.uint8}


def rand(rng, shape, dtype, lo=None, hi=None):
    if dtype == "float32":
        return rng.normal(0, 1.0 if lo is None else lo, size=shape).astype(np.float32)
    info = np.iinfo(NP[dtype])
    lo = info.min if lo is None else lo
    hi = info.max if hi is None else hi
    return rng.integers(lo, hi + 1, size=shape).astype(NP[dtype])


def out_hw(n, k, s, d, padding):
    eff = (k - 1) * d + 1
    return (n + s - 1) // s if padding == SAME else (n + s - eff) // s


# ---------------------------------------------------------------- conv family


def conv_case(rng, *, dtype="int8", in_shape=(1, 9, 9, 3), out_ch=4, k=(3, 3),
              stride=(1, 1), dil=(1, 1), padding=SAME, act=NONE, per_channel=True,
              bias=True, in_zp=5, depthwise=False, dm=1, bias64=True, groups=1):
    b = ModelBuilder()
    n, h, w, c = in_shape
    kh, kw = k
    oh = out_hw(h, kh, stride[0], dil[0], padding)
    ow = out_hw(w, kw, stride[1], dil[1], padding)
    oc = c * dm if depthwise else out_ch
    fshape = (1, kh, kw, oc) if depthwise else (oc, kh, kw, c // groups)
    cin_eff = kh * kw * (1 if depthwise else c // groups)
    if dtype == "float32":
        x = b.tensor(in_shape, "float32")
        f = b.const(rand(rng, fshape, "float32", 0.5), "float32")
        bb = b.const(rand(rng, (oc,), "float32"), "float32") if bias else -1
        y = b.tensor((n, oh, ow, oc), "float32")
        xin = rand(rng, in_shape, "float32")
    else:
        is16 = dtype == "int16"
        in_scale = 1.0 / 2048 if is16 else 0.05
        zp = 0 if is16 else in_zp
        nsc = oc if per_channel else 1
        fscale = rng.uniform(0.004, 0.02, size=nsc).astype(np.float32)
        x = b.tensor(in_shape, dtype, scale=in_scale, zp=zp)
        f = b.const(rand(rng, fshape, "int8", -127, 127), "int8", scale=fscale,
                    zp=np.zeros(nsc, np.int64), qdim=3 if depthwise else 0)
        bscale = (np.float32(in_scale) * fscale).astype(np.float32)
        if bias:
            btype = "int64" if (is16 and bias64) else "int32"
            bvals = rng.integers(-3000, 3000, size=oc)
            bb = b.const(bvals, btype, scale=bscale if per_channel else bscale[0],
                         zp=np.zeros(nsc, np.int64))
        else:
            bb = -1
        out_scale = float(in_scale * fscale.mean() * math.sqrt(cin_eff) * 128)
        if act == RELU_N1_TO_1:
            out_scale = 1.5 / 127
        y = b.tensor((n, oh, ow, oc), dtype, scale=out_scale, zp=0 if is16 else -3)
        xin = rand(rng, in_shape, dtype)
    inputs = [x, f] + ([bb] if bias else [])
    if depthwise:
        opts = options("DepthwiseConv2DOptions", padding=padding, strideW=stride[1],
                       strideH=stride[0], depthMultiplier=dm, fusedActivationFunction=act,
                       dilationWFactor=dil[1], dilationHFactor=dil[0])
        b.op("DEPTHWISE_CONV_2D", inputs, [y], opts)
    else:
        opts = options("Conv2DOptions", padding=padding, strideW=stride[1], strideH=stride[0],
                       fusedActivationFunction=act, dilationWFactor=dil[1],
                       dilationHFactor=dil[0])
        b.op("CONV_2D", inputs, [y], opts)
    return Case(b.build([x], [y]), [xin])


@case("conv_i8_same_s1_bias")
def _(rng): return conv_case(rng)


@case("conv_i8_valid_s2_relu")
def _(rng): return conv_case(rng, in_shape=(1, 11, 10, 4), out_ch=6, stride=(2, 2), padding=VALID, act=RELU)


@case("conv_i8_pertensor_same_s2_relu6_nobias")
def _(rng): return conv_case(rng, per_channel=False, stride=(2, 2), act=RELU6, bias=False)


@case("conv_i8_dilation2_relu_n1_to_1")
def _(rng): return conv_case(rng, in_shape=(1, 12, 12, 2), dil=(2, 2), act=RELU_N1_TO_1)


@case("conv_i8_batch2_stride_h2w1_5x3")
def _(rng): return conv_case(rng, in_shape=(2, 10, 8, 3), k=(5, 3), stride=(2, 1), in_zp=-20)


@case("conv_i8_valid_dilation_h3w1")
def _(rng): return conv_case(rng, in_shape=(1, 13, 9, 5), out_ch=3, dil=(3, 1), padding=VALID)


@case("conv_i8_1x1")
def _(rng): return conv_case(rng, in_shape=(1, 6, 6, 16), out_ch=8, k=(1, 1))


@case("conv_f32_same_relu")
def _(rng): return conv_case(rng, dtype="float32", act=RELU)


@case("conv_f32_valid_s2_dil2_relu6_nobias")
def _(rng): return conv_case(rng, dtype="float32", in_shape=(1, 15, 14, 3), stride=(2, 2), dil=(2, 2), padding=VALID, act=RELU6, bias=False)


@case("conv_i16x8_bias64")
def _(rng): return conv_case(rng, dtype="int16", in_shape=(1, 8, 8, 3), act=RELU)


@case("conv_i16x8_nobias_s2")
def _(rng): return conv_case(rng, dtype="int16", stride=(2, 2), bias=False)


@case("dwconv_i8_same_dm1")
def _(rng): return conv_case(rng, depthwise=True, in_shape=(1, 9, 9, 4))


@case("dwconv_i8_valid_s2_dm2_relu6")
def _(rng): return conv_case(rng, depthwise=True, in_shape=(1, 10, 11, 3), dm=2, stride=(2, 2), padding=VALID, act=RELU6)


@case("dwconv_i8_dil2_relu_pertensor")
def _(rng): return conv_case(rng, depthwise=True, in_shape=(1, 12, 12, 4), dil=(2, 2), act=RELU, per_channel=False)


@case("dwconv_i8_batch2_nobias_relu_n1")
def _(rng): return conv_case(rng, depthwise=True, in_shape=(2, 7, 7, 5), k=(5, 5), bias=False, act=RELU_N1_TO_1)


@case("dwconv_f32_dm3_same")
def _(rng): return conv_case(rng, dtype="float32", depthwise=True, in_shape=(1, 8, 8, 2), dm=3, act=RELU)


@case("dwconv_f32_valid_s2_nobias")
def _(rng): return conv_case(rng, dtype="float32", depthwise=True, in_shape=(1, 9, 9, 3), stride=(2, 2), padding=VALID, bias=False)


@case("dwconv_i16x8")
def _(rng): return conv_case(rng, dtype="int16", depthwise=True, in_shape=(1, 8, 8, 4), dm=2)


# ---------------------------------------------------------------- fully connected


def fc_case(rng, *, dtype="int8", in_shape=(1, 16), units=8, act=NONE, per_channel=False,
            bias=True, keep_dims=False, out_shape=None, in_zp=7, bias64=True):
    b = ModelBuilder()
    accum = in_shape[-1]
    batches = int(np.prod(in_shape)) // accum
    if out_shape is None:
        out_shape = (batches, units)
    if dtype == "float32":
        x = b.tensor(in_shape, "float32")
        w = b.const(rand(rng, (units, accum), "float32", 0.3), "float32")
        bb = b.const(rand(rng, (units,), "float32"), "float32") if bias else -1
        y = b.tensor(out_shape, "float32")
        xin = rand(rng, in_shape, "float32")
    else:
        is16 = dtype == "int16"
        in_scale = 1.0 / 4096 if is16 else 0.03
        nsc = units if per_channel else 1
        ws = rng.uniform(0.005, 0.02, size=nsc).astype(np.float32)
        x = b.tensor(in_shape, dtype, scale=in_scale, zp=0 if is16 else in_zp)
        w = b.const(rand(rng, (units, accum), "int8", -127, 127), "int8", scale=ws,
                    zp=np.zeros(nsc, np.int64), qdim=0)
        if bias:
            bt = "int64" if (is16 and bias64) else "int32"
            bb = b.const(rng.integers(-2000, 2000, size=units), bt,
                         scale=(np.float32(in_scale) * ws).astype(np.float32))
        else:
            bb = -1
        osc = float(in_scale * ws.mean() * math.sqrt(accum) * 128)
        if act == RELU_N1_TO_1:
            osc = 1.2 / 127
        y = b.tensor(out_shape, dtype, scale=osc, zp=0 if is16 else 4)
        xin = rand(rng, in_shape, dtype)
    ins = [x, w, bb] if bias else [x, w, -1]
    b.op("FULLY_CONNECTED", ins, [y],
         options("FullyConnectedOptions", fusedActivationFunction=act, keepNumDims=keep_dims))
    return Case(b.build([x], [y]), [xin])


@case("fc_i8_pertensor_bias")
def _(rng): return fc_case(rng)


@case("fc_i8_perchannel_relu")
def _(rng): return fc_case(rng, per_channel=True, act=RELU, in_shape=(2, 24), units=10)


@case("fc_i8_nobias_keepdims_3d")
def _(rng): return fc_case(rng, in_shape=(2, 3, 8), units=5, bias=False, keep_dims=True, out_shape=(2, 3, 5))


@case("fc_i8_relu6_batch4")
def _(rng): return fc_case(rng, in_shape=(4, 32), units=12, act=RELU6)


@case("fc_i8_relu_n1_to_1")
def _(rng): return fc_case(rng, act=RELU_N1_TO_1)


@case("fc_f32_relu6_batch2")
def _(rng): return fc_case(rng, dtype="float32", in_shape=(2, 20), units=7, act=RELU6)


@case("fc_f32_nobias")
def _(rng): return fc_case(rng, dtype="float32", bias=False, act=RELU)


@case("fc_i16x8_bias64")
def _(rng): return fc_case(rng, dtype="int16", in_shape=(2, 16), units=6)


@case("fc_i16x8_nobias_relu")
def _(rng): return fc_case(rng, dtype="int16", bias=False, act=RELU)


# ---------------------------------------------------------------- pooling


def pool_case(rng, op, *, dtype="int8", in_shape=(1, 9, 9, 3), f=(3, 3), stride=(2, 2),
              padding=SAME, act=NONE, same_q=True):
    b = ModelBuilder()
    n, h, w, c = in_shape
    oh = out_hw(h, f[0], stride[0], 1, padding)
    ow = out_hw(w, f[1], stride[1], 1, padding)
    if dtype == "float32":
        x = b.tensor(in_shape, dtype)
        y = b.tensor((n, oh, ow, c), dtype)
    else:
        sc, zp = (0.1, 3) if dtype == "int8" else (1 / 1024, 0)
        x = b.tensor(in_shape, dtype, scale=sc, zp=zp)
        y = b.tensor((n, oh, ow, c), dtype, scale=sc, zp=zp)
    b.op(op, [x], [y], options("Pool2DOptions", padding=padding, strideW=stride[1],
                                strideH=stride[0], filterWidth=f[1], filterHeight=f[0],
                                fusedActivationFunction=act))
    return Case(b.build([x], [y]), [rand(rng, in_shape, dtype)])


@case("avgpool_i8_same_s2_3x3")
def _(rng): return pool_case(rng, "AVERAGE_POOL_2D")


@case("avgpool_i8_valid_2x2_relu")
def _(rng): return pool_case(rng, "AVERAGE_POOL_2D", f=(2, 2), padding=VALID, act=RELU)


@case("avgpool_i8_global_relu6_batch2")
def _(rng): return pool_case(rng, "AVERAGE_POOL_2D", in_shape=(2, 5, 5, 8), f=(5, 5), stride=(1, 1), padding=VALID, act=RELU6)


@case("avgpool_f32_same_s1_relu")
def _(rng): return pool_case(rng, "AVERAGE_POOL_2D", dtype="float32", stride=(1, 1), act=RELU)


@case("avgpool_i16_same_s2")
def _(rng): return pool_case(rng, "AVERAGE_POOL_2D", dtype="int16", f=(2, 3))


@case("maxpool_i8_same_s2_3x3")
def _(rng): return pool_case(rng, "MAX_POOL_2D")


@case("maxpool_i8_valid_2x2_relu_n1")
def _(rng): return pool_case(rng, "MAX_POOL_2D", f=(2, 2), padding=VALID, act=RELU_N1_TO_1)


@case("maxpool_f32_same_relu6")
def _(rng): return pool_case(rng, "MAX_POOL_2D", dtype="float32", in_shape=(1, 8, 7, 2), act=RELU6)


@case("maxpool_i16_valid_s1")
def _(rng): return pool_case(rng, "MAX_POOL_2D", dtype="int16", stride=(1, 1), padding=VALID)


# ---------------------------------------------------------------- elementwise


def ew_case(rng, op, *, dtype="int8", s1=(1, 4, 4, 3), s2=(1, 4, 4, 3), so=None, act=NONE,
            q=((0.05, 3), (0.02, -7), (0.08, 1))):
    b = ModelBuilder()
    so = so or tuple(np.broadcast_shapes(s1, s2))
    if dtype in ("float32", "int32"):
        x1, x2, y = b.tensor(s1, dtype), b.tensor(s2, dtype), b.tensor(so, dtype)
        if dtype == "int32":
            a1 = rand(rng, s1, dtype, -1000, 1000)
            a2 = rand(rng, s2, dtype, -1000, 1000)
        else:
            a1, a2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    else:
        if dtype == "int16":
            q = tuple((sc, 0) for sc, _ in q)
        x1 = b.tensor(s1, dtype, scale=q[0][0], zp=q[0][1])
        x2 = b.tensor(s2, dtype, scale=q[1][0], zp=q[1][1])
        y = b.tensor(so, dtype, scale=q[2][0], zp=q[2][1])
        a1, a2 = rand(rng, s1, dtype), rand(rng, s2, dtype)
    name = {"ADD": "AddOptions", "SUB": "SubOptions", "MUL": "MulOptions"}[op]
    b.op(op, [x1, x2], [y], options(name, fusedActivationFunction=act))
    return Case(b.build([x1, x2], [y]), [a1, a2])


for _op in ("ADD", "SUB", "MUL"):
    _l = _op.lower()
    _mq = ((0.05, 3), (0.02, -7), (0.12, 1)) if _op == "MUL" else ((0.05, 3), (0.02, -7), (0.08, 1))
    _mq16 = ((1 / 512, 0), (1 / 1024, 0), (1 / 16, 0)) if _op == "MUL" else ((1 / 512, 0), (1 / 1024, 0), (1 / 256, 0))
    case(f"{_l}_i8_same_shape")(lambda rng, o=_op, q=_mq: ew_case(rng, o, q=q))
    case(f"{_l}_i8_relu_bcast_channel")(lambda rng, o=_op, q=_mq: ew_case(rng, o, s2=(1, 1, 1, 3), act=RELU, q=q))
    case(f"{_l}_i8_relu6_bcast_3d_2d")(lambda rng, o=_op, q=_mq: ew_case(rng, o, s1=(2, 1, 3), s2=(4, 1), act=RELU6, q=q))
    case(f"{_l}_i8_bcast_5d")(lambda rng, o=_op, q=_mq: ew_case(rng, o, s1=(2, 1, 3, 1, 2), s2=(1, 2, 1, 4, 1), q=q))
    case(f"{_l}_i8_scalar_relu_n1")(lambda rng, o=_op: ew_case(rng, o, s1=(3, 5), s2=(1,), act=RELU_N1_TO_1, q=((0.05, 3), (0.02, -7), (1.2 / 127, 0))))
    case(f"{_l}_i16_bcast")(lambda rng, o=_op, q=_mq16: ew_case(rng, o, dtype="int16", s2=(1, 1, 4, 3), q=q))
    case(f"{_l}_f32_bcast_relu")(lambda rng, o=_op: ew_case(rng, o, dtype="float32", s2=(4, 1), act=RELU))
    case(f"{_l}_f32_same_relu6")(lambda rng, o=_op: ew_case(rng, o, dtype="float32", act=RELU6))
    case(f"{_l}_i32")(lambda rng, o=_op: ew_case(rng, o, dtype="int32", s2=(1, 4, 1, 3)))


# ---------------------------------------------------------------- reshape / squeeze


@case("reshape_i8_with_shape_tensor")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((1, 4, 6), "int8", scale=0.1, zp=2)
    shp = b.const(np.array([2, 12]), "int32")
    y = b.tensor((2, 12), "int8", scale=0.1, zp=2)
    b.op("RESHAPE", [x, shp], [y], options("ReshapeOptions", newShape=[2, 12]))
    return Case(b.build([x], [y]), [rand(rng, (1, 4, 6), "int8")])


@case("reshape_f32_options_only_then_add")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((2, 3, 4), "float32")
    y = b.tensor((6, 4), "float32")
    z = b.tensor((6, 4), "float32")
    b.op("RESHAPE", [x], [y], options("ReshapeOptions", newShape=[6, 4]))
    b.op("ADD", [y, y], [z], options("AddOptions"))
    return Case(b.build([x], [z]), [rand(rng, (2, 3, 4), "float32")])


@case("squeeze_i8")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((1, 1, 5, 1, 3), "int8", scale=0.1, zp=0)
    y = b.tensor((5, 3), "int8", scale=0.1, zp=0)
    b.op("SQUEEZE", [x], [y], options("SqueezeOptions", squeezeDims=[0, 1, 3]))
    return Case(b.build([x], [y]), [rand(rng, (1, 1, 5, 1, 3), "int8")])


@case("squeeze_f32_all")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((1, 7, 1), "float32")
    y = b.tensor((7,), "float32")
    b.op("SQUEEZE", [x], [y], options("SqueezeOptions"))
    return Case(b.build([x], [y]), [rand(rng, (1, 7, 1), "float32")])


# ---------------------------------------------------------------- softmax


def softmax_case(rng, *, dtype="int8", out_dtype=None, shape=(2, 10), beta=1.0, in_scale=0.1,
                 in_zp=-10):
    b = ModelBuilder()
    out_dtype = out_dtype or dtype
    if dtype == "float32":
        x = b.tensor(shape, "float32")
        y = b.tensor(shape, "float32")
        xin = rand(rng, shape, "float32", 3.0)
    else:
        x = b.tensor(shape, dtype, scale=in_scale, zp=in_zp if dtype == "int8" else 0)
        if out_dtype == "int8":
            y = b.tensor(shape, "int8", scale=1 / 256, zp=-128)
        elif dtype == "int8":
            y = b.tensor(shape, "int16", scale=1 / 65536, zp=-32768)
        else:
            y = b.tensor(shape, "int16", scale=1 / 32768, zp=0)
        xin = rand(rng, shape, dtype)
    b.op("SOFTMAX", [x], [y], options("SoftmaxOptions", beta=beta))
    return Case(b.build([x], [y]), [xin])


@case("softmax_i8_beta1")
def _(rng): return softmax_case(rng)


@case("softmax_i8_beta0.5_4d_small_scale")
def _(rng): return softmax_case(rng, shape=(1, 2, 3, 16), beta=0.5, in_scale=0.02)


@case("softmax_i8_large_scale")
def _(rng): return softmax_case(rng, shape=(3, 7), in_scale=0.5, in_zp=0)


@case("softmax_i8_to_i16")
def _(rng): return softmax_case(rng, out_dtype="int16", shape=(2, 12))


@case("softmax_i16")
def _(rng): return softmax_case(rng, dtype="int16", shape=(3, 20), in_scale=1 / 2048)


@case("softmax_i16_beta2")
def _(rng): return softmax_case(rng, dtype="int16", shape=(2, 9), beta=2.0, in_scale=3 / 4096)


@case("softmax_f32")
def _(rng): return softmax_case(rng, dtype="float32", shape=(4, 11))


@case("softmax_f32_beta0.7_3d")
def _(rng): return softmax_case(rng, dtype="float32", shape=(2, 3, 5), beta=0.7)


# ---------------------------------------------------------------- logistic / tanh


def act_case(rng, op, *, dtype="int8", shape=(4, 64), in_scale=0.05, in_zp=4, out=None):
    b = ModelBuilder()
    if dtype == "float32":
        x, y = b.tensor(shape, dtype), b.tensor(shape, dtype)
        xin = rand(rng, shape, dtype, 4.0)
    else:
        if out is None:
            if dtype == "int8":
                out = (1 / 256, -128) if op == "LOGISTIC" else (1 / 128, 0)
            else:
                out = (1 / 32768, 0)
        x = b.tensor(shape, dtype, scale=in_scale, zp=in_zp if dtype == "int8" else 0)
        y = b.tensor(shape, dtype, scale=out[0], zp=out[1])
        xin = rand(rng, shape, dtype)
    b.op(op, [x], [y])
    return Case(b.build([x], [y]), [xin])


for _op in ("LOGISTIC", "TANH"):
    _l = _op.lower()
    case(f"{_l}_i8")(lambda rng, o=_op: act_case(rng, o))
    case(f"{_l}_i8_wide_scale")(lambda rng, o=_op: act_case(rng, o, in_scale=0.2, in_zp=-30))
    case(f"{_l}_i8_tiny_scale")(lambda rng, o=_op: act_case(rng, o, in_scale=0.004, in_zp=0))
    case(f"{_l}_i16_pot_scale")(lambda rng, o=_op: act_case(rng, o, dtype="int16", in_scale=1 / 4096))
    case(f"{_l}_i16_pot_scale_2048")(lambda rng, o=_op: act_case(rng, o, dtype="int16", in_scale=1 / 2048))
    case(f"{_l}_i16_general_scale")(lambda rng, o=_op: act_case(rng, o, dtype="int16", in_scale=0.00037))
    case(f"{_l}_f32")(lambda rng, o=_op: act_case(rng, o, dtype="float32"))


# ---------------------------------------------------------------- relu / relu6


@case("relu_i8_rescale")
def _(rng): return act_case(rng, "RELU", in_scale=0.05, in_zp=10, out=(0.03, -100))


@case("relu_i8_same_q")
def _(rng): return act_case(rng, "RELU", in_scale=0.05, in_zp=-3, out=(0.05, -3))


@case("relu_i16")
def _(rng): return act_case(rng, "RELU", dtype="int16", in_scale=1 / 1000, out=(1 / 1500, 0))


@case("relu_f32")
def _(rng): return act_case(rng, "RELU", dtype="float32")


@case("relu6_i8")
def _(rng): return act_case(rng, "RELU6", in_scale=0.05, in_zp=-5, out=(0.05, -5))


@case("relu6_i16")
def _(rng): return act_case(rng, "RELU6", dtype="int16", in_scale=1 / 2000, out=(1 / 2000, 0))


@case("relu6_f32")
def _(rng): return act_case(rng, "RELU6", dtype="float32")


# ---------------------------------------------------------------- quantize / dequantize


def q_case(rng, op, in_t, out_t, shape=(3, 33), inq=(0.05, 3), outq=(0.07, -5)):
    b = ModelBuilder()
    x = b.tensor(shape, in_t, **({} if in_t == "float32" else {"scale": inq[0], "zp": inq[1]}))
    y = b.tensor(shape, out_t, **({} if out_t == "float32" else {"scale": outq[0], "zp": outq[1]}))
    b.op(op, [x], [y])
    if in_t == "float32":
        xin = rand(rng, shape, "float32", 3.0)
        xin.flat[:8] = np.array([0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.035, -0.035], np.float32) * outq[0]
    else:
        xin = rand(rng, shape, in_t)
    return Case(b.build([x], [y]), [xin])


@case("quantize_f32_to_i8")
def _(rng): return q_case(rng, "QUANTIZE", "float32", "int8")


@case("quantize_f32_to_i8_zp0")
def _(rng): return q_case(rng, "QUANTIZE", "float32", "int8", outq=(0.02, 0))


@case("quantize_f32_to_i16")
def _(rng): return q_case(rng, "QUANTIZE", "float32", "int16", outq=(1 / 1024, 0))


@case("quantize_i8_to_i8")
def _(rng): return q_case(rng, "QUANTIZE", "int8", "int8")


@case("quantize_i16_to_i8")
def _(rng): return q_case(rng, "QUANTIZE", "int16", "int8", inq=(1 / 2048, 0))


@case("quantize_i8_to_i16")
def _(rng): return q_case(rng, "QUANTIZE", "int8", "int16", outq=(1 / 4096, 0))


@case("quantize_i16_to_i16")
def _(rng): return q_case(rng, "QUANTIZE", "int16", "int16", inq=(1 / 2048, 0), outq=(1 / 3000, 0))


@case("quantize_i8_to_i32")
def _(rng): return q_case(rng, "QUANTIZE", "int8", "int32", outq=(0.001, 0))


@case("dequantize_i8")
def _(rng): return q_case(rng, "DEQUANTIZE", "int8", "float32")


@case("dequantize_i16")
def _(rng): return q_case(rng, "DEQUANTIZE", "int16", "float32", inq=(1 / 3000, 0))


@case("dequantize_u8")
def _(rng): return q_case(rng, "DEQUANTIZE", "uint8", "float32", inq=(0.1, 128))


# ---------------------------------------------------------------- concatenation


def concat_case(rng, dtype, shapes, axis, rank_axis):
    b = ModelBuilder()
    kw = {} if dtype == "float32" else {"scale": 0.1, "zp": 1 if dtype == "int8" else 0}
    xs = [b.tensor(s, dtype, **kw) for s in shapes]
    so = list(shapes[0])
    so[rank_axis] = sum(s[rank_axis] for s in shapes)
    y = b.tensor(so, dtype, **kw)
    b.op("CONCATENATION", xs, [y], options("ConcatenationOptions", axis=axis))
    return Case(b.build(xs, [y]), [rand(rng, s, dtype) for s in shapes])


@case("concat_i8_axis_last_neg")
def _(rng): return concat_case(rng, "int8", [(1, 4, 4, 3), (1, 4, 4, 5)], -1, 3)


@case("concat_i8_axis1_three")
def _(rng): return concat_case(rng, "int8", [(2, 1, 3), (2, 4, 3), (2, 2, 3)], 1, 1)


@case("concat_f32_axis0")
def _(rng): return concat_case(rng, "float32", [(2, 5), (3, 5)], 0, 0)


@case("concat_i16_axis2")
def _(rng): return concat_case(rng, "int16", [(1, 2, 3), (1, 2, 4)], 2, 2)


@case("concat_i32_const_input")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((2, 3), "int32")
    c = b.const(np.arange(4).reshape(2, 2), "int32")
    y = b.tensor((2, 5), "int32")
    b.op("CONCATENATION", [x, c], [y], options("ConcatenationOptions", axis=1))
    return Case(b.build([x], [y]), [rand(rng, (2, 3), "int32", -100, 100)])


# ---------------------------------------------------------------- mean


def mean_case(rng, dtype, shape, axes, keep, inq=(0.1, 3), outq=(0.1, 3)):
    b = ModelBuilder()
    kwi = {} if dtype == "float32" else {"scale": inq[0], "zp": inq[1] if dtype == "int8" else 0}
    kwo = {} if dtype == "float32" else {"scale": outq[0], "zp": outq[1] if dtype == "int8" else 0}
    x = b.tensor(shape, dtype, **kwi)
    ax = b.const(np.array(axes), "int32")
    res = [d for i, d in enumerate(shape) if (i not in [a % len(shape) for a in axes])]
    so = [1 if i in [a % len(shape) for a in axes] else d for i, d in enumerate(shape)] if keep else res
    y = b.tensor(so, dtype, **kwo)
    b.op("MEAN", [x, ax], [y], options("ReducerOptions", keepDims=keep))
    return Case(b.build([x], [y]), [rand(rng, shape, dtype)])


@case("mean_i8_hw_keepdims")
def _(rng): return mean_case(rng, "int8", (1, 5, 6, 4), [1, 2], True)


@case("mean_i8_hw_keepdims_rescale")
def _(rng): return mean_case(rng, "int8", (2, 4, 4, 3), [2, 1], True, outq=(0.05, -10))


@case("mean_i8_last_axis_nokeep_rescale")
def _(rng): return mean_case(rng, "int8", (3, 4, 7), [-1], False, outq=(0.03, 5))


@case("mean_i8_axis0_same_q")
def _(rng): return mean_case(rng, "int8", (5, 6), [0], False)


@case("mean_i16_hw")
def _(rng): return mean_case(rng, "int16", (1, 3, 3, 5), [1, 2], True, inq=(1 / 1000, 0), outq=(1 / 1200, 0))


@case("mean_f32_hw_keepdims")
def _(rng): return mean_case(rng, "float32", (1, 6, 5, 3), [1, 2], True)


@case("mean_f32_axis1_nokeep")
def _(rng): return mean_case(rng, "float32", (2, 9, 3), [1], False)


@case("mean_f32_two_axes_nokeep")
def _(rng): return mean_case(rng, "float32", (3, 4, 5), [0, 2], False)


# ---------------------------------------------------------------- pad


def pad_case(rng, dtype, shape, pads):
    b = ModelBuilder()
    kw = {} if dtype == "float32" else {"scale": 0.1, "zp": -7 if dtype == "int8" else 0}
    x = b.tensor(shape, dtype, **kw)
    p = b.const(np.array(pads), "int32")
    so = [d + a + c for d, (a, c) in zip(shape, pads)]
    y = b.tensor(so, dtype, **kw)
    b.op("PAD", [x, p], [y], options("PadOptions"))
    return Case(b.build([x], [y]), [rand(rng, shape, dtype)])


@case("pad_i8_4d_hw")
def _(rng): return pad_case(rng, "int8", (1, 4, 5, 3), [[0, 0], [1, 2], [2, 1], [0, 0]])


@case("pad_f32_2d")
def _(rng): return pad_case(rng, "float32", (3, 4), [[1, 0], [2, 3]])


@case("pad_i16_3d_channels")
def _(rng): return pad_case(rng, "int16", (2, 3, 2), [[0, 1], [0, 0], [1, 1]])


# ---------------------------------------------------------------- svdf


def svdf_case(rng, dtype, *, batch=2, inp=8, units=4, rank=1, memory=5, act=NONE, reps=3,
              state_t="int16"):
    b = ModelBuilder()
    filters = units * rank
    if dtype == "float32":
        x = b.tensor((batch, inp), "float32")
        wf = b.const(rand(rng, (filters, inp), "float32", 0.5), "float32")
        wt = b.const(rand(rng, (filters, memory), "float32", 0.5), "float32")
        bb = b.const(rand(rng, (units,), "float32"), "float32")
        st = b.tensor((batch, memory * filters), "float32", variable=True)
        y = b.tensor((batch, units), "float32")
        ins = [rand(rng, (batch, inp), "float32") for _ in range(reps)]
    else:
        if state_t == "int16":
            in_s, wf_s, st_s, wt_s, out_s = 0.05, 0.01, 0.02, 0.004, 2.5
        else:
            in_s, wf_s, st_s, wt_s, out_s = 0.05, 0.01, 0.1, 0.01, 0.3
        x = b.tensor((batch, inp), "int8", scale=in_s, zp=3)
        wf = b.const(rand(rng, (filters, inp), "int8", -127, 127), "int8", scale=wf_s)
        wt = b.const(rand(rng, (filters, memory), state_t, -120 if state_t == "int8" else -3000,
                          120 if state_t == "int8" else 3000), state_t, scale=wt_s)
        bb = b.const(rng.integers(-500, 500, size=units), "int32",
                     scale=float(np.float32(st_s) * np.float32(wt_s)))
        st = b.tensor((batch, memory * filters), state_t, scale=st_s, zp=0, variable=True)
        y = b.tensor((batch, units), "int8", scale=out_s, zp=-2)
        ins = [rand(rng, (batch, inp), "int8") for _ in range(reps)]
    b.op("SVDF", [x, wf, wt, bb, st], [y],
         options("SVDFOptions", rank=rank, fusedActivationFunction=act))
    return Case(b.build([x], [y]), ins, reps=reps)


@case("svdf_f32_rank1")
def _(rng): return svdf_case(rng, "float32")


@case("svdf_f32_rank2_relu")
def _(rng): return svdf_case(rng, "float32", rank=2, act=RELU, batch=1)


@case("svdf_i8_state16_rank1")
def _(rng): return svdf_case(rng, "int8", reps=4)


@case("svdf_i8_state16_rank2")
def _(rng): return svdf_case(rng, "int8", rank=2, units=3, memory=4)


@case("svdf_i8_state8")
def _(rng): return svdf_case(rng, "int8", state_t="int8")


# ---------------------------------------------------------------- strided slice


def ss_case(rng, dtype, shape, begin, end, strides, out_shape, **masks):
    b = ModelBuilder()
    kw = {} if dtype == "float32" else {"scale": 0.1, "zp": 0}
    x = b.tensor(shape, dtype, **kw)
    tb = b.const(np.array(begin), "int32")
    te = b.const(np.array(end), "int32")
    ts = b.const(np.array(strides), "int32")
    y = b.tensor(out_shape, dtype, **kw)
    b.op("STRIDED_SLICE", [x, tb, te, ts], [y], options("StridedSliceOptions", **masks))
    return Case(b.build([x], [y]), [rand(rng, shape, dtype)])


@case("sslice_i8_basic_2d")
def _(rng): return ss_case(rng, "int8", (6, 8), [1, 2], [5, 7], [1, 2], (4, 3))


@case("sslice_i8_masks_4d")
def _(rng): return ss_case(rng, "int8", (2, 5, 6, 3), [1, 1, 0, 0], [0, 4, 0, 2], [1, 1, 2, 1], (2, 3, 3, 2), beginMask=0b0101, endMask=0b0101)


@case("sslice_f32_negative_stride")
def _(rng): return ss_case(rng, "float32", (7, 4), [-1, 0], [0, 4], [-2, 1], (3, 4), endMask=0)


@case("sslice_f32_shrink_axis")
def _(rng): return ss_case(rng, "float32", (3, 5, 4), [1, 0, -1], [2, 5, 0], [1, 1, 1], (5,), shrinkAxisMask=0b101)


@case("sslice_i8_negative_indices")
def _(rng): return ss_case(rng, "int8", (10,), [-7], [-1], [2], (3,))


@case("sslice_i16_end_mask_neg_stride")
def _(rng): return ss_case(rng, "int16", (4, 6), [3, 5], [0, 0], [-1, -2], (4, 3), endMask=0b11)


@case("sslice_i8_offset")
def _(rng): return ss_case(rng, "int8", (5, 6), [0, 0], [3, 4], [1, 1], (3, 4), offset=True)


@case("sslice_i8_ellipsis_mask_ignored")
def _(rng): return ss_case(rng, "int8", (4, 6), [0, 1], [4, 5], [1, 1], (4, 4), ellipsisMask=0b1, beginMask=0b1, endMask=0b1)


# ---------------------------------------------------------------- a small network


@case("net_i8_kws_like")
def _(rng):
    """QUANTIZE -> CONV -> DWCONV -> AVGPOOL -> RESHAPE -> FC -> SOFTMAX -> DEQUANTIZE,
    with a residual ADD and a MAX_POOL branch: exercises the arena planner."""
    b = ModelBuilder()
    xf = b.tensor((1, 16, 12, 1), "float32")
    xq = b.tensor((1, 16, 12, 1), "int8", scale=0.02, zp=0)
    b.op("QUANTIZE", [xf], [xq])
    fs1 = rng.uniform(0.005, 0.02, 8).astype(np.float32)
    w1 = b.const(rand(rng, (8, 3, 3, 1), "int8", -127, 127), "int8", scale=fs1, zp=np.zeros(8, np.int64))
    b1 = b.const(rng.integers(-100, 100, 8), "int32", scale=(np.float32(0.02) * fs1))
    c1 = b.tensor((1, 8, 6, 8), "int8", scale=0.05, zp=-128)
    b.op("CONV_2D", [xq, w1, b1], [c1], options("Conv2DOptions", padding=SAME, strideW=2, strideH=2, fusedActivationFunction=RELU))
    fs2 = rng.uniform(0.005, 0.02, 8).astype(np.float32)
    w2 = b.const(rand(rng, (1, 3, 3, 8), "int8", -127, 127), "int8", scale=fs2, zp=np.zeros(8, np.int64), qdim=3)
    b2 = b.const(rng.integers(-100, 100, 8), "int32", scale=(np.float32(0.05) * fs2))
    c2 = b.tensor((1, 8, 6, 8), "int8", scale=0.05, zp=-128)
    b.op("DEPTHWISE_CONV_2D", [c1, w2, b2], [c2], options("DepthwiseConv2DOptions", padding=SAME, strideW=1, strideH=1, depthMultiplier=1, fusedActivationFunction=RELU6))
    r = b.tensor((1, 8, 6, 8), "int8", scale=0.08, zp=-100)
    b.op("ADD", [c1, c2], [r], options("AddOptions"))
    p = b.tensor((1, 4, 3, 8), "int8", scale=0.08, zp=-100)
    b.op("AVERAGE_POOL_2D", [r], [p], options("Pool2DOptions", padding=VALID, strideW=2, strideH=2, filterWidth=2, filterHeight=2))
    mp = b.tensor((1, 4, 3, 8), "int8", scale=0.08, zp=-100)
    b.op("MAX_POOL_2D", [r], [mp], options("Pool2DOptions", padding=VALID, strideW=2, strideH=2, filterWidth=2, filterHeight=2))
    cat = b.tensor((1, 4, 3, 16), "int8", scale=0.08, zp=-100)
    b.op("CONCATENATION", [p, mp], [cat], options("ConcatenationOptions", axis=3))
    flat = b.tensor((1, 192), "int8", scale=0.08, zp=-100)
    b.op("RESHAPE", [cat], [flat], options("ReshapeOptions", newShape=[1, 192]))
    w3 = b.const(rand(rng, (10, 192), "int8", -127, 127), "int8", scale=0.01)
    b3 = b.const(rng.integers(-500, 500, 10), "int32", scale=float(np.float32(0.08) * np.float32(0.01)))
    logits = b.tensor((1, 10), "int8", scale=0.3, zp=5)
    b.op("FULLY_CONNECTED", [flat, w3, b3], [logits], options("FullyConnectedOptions"))
    sm = b.tensor((1, 10), "int8", scale=1 / 256, zp=-128)
    b.op("SOFTMAX", [logits], [sm], options("SoftmaxOptions", beta=1.0))
    out = b.tensor((1, 10), "float32")
    b.op("DEQUANTIZE", [sm], [out])
    return Case(b.build([xf], [out, logits]), [rand(rng, (1, 16, 12, 1), "float32", 1.0)], n_out=2)


@case("net_f32_mlp_tanh_logistic")
def _(rng):
    b = ModelBuilder()
    x = b.tensor((1, 12), "float32")
    w1 = b.const(rand(rng, (16, 12), "float32", 0.4), "float32")
    h1 = b.tensor((1, 16), "float32")
    b.op("FULLY_CONNECTED", [x, w1, -1], [h1], options("FullyConnectedOptions", fusedActivationFunction=RELU))
    h2 = b.tensor((1, 16), "float32")
    b.op("TANH", [h1], [h2])
    w2 = b.const(rand(rng, (4, 16), "float32", 0.4), "float32")
    b2 = b.const(rand(rng, (4,), "float32"), "float32")
    h3 = b.tensor((1, 4), "float32")
    b.op("FULLY_CONNECTED", [h2, w2, b2], [h3], options("FullyConnectedOptions"))
    y = b.tensor((1, 4), "float32")
    b.op("LOGISTIC", [h3], [y])
    m = b.tensor((1, 4), "float32")
    b.op("MUL", [y, h3], [m], options("MulOptions"))
    s = b.tensor((1, 4), "float32")
    b.op("SUB", [m, y], [s], options("SubOptions"))
    return Case(b.build([x], [s]), [rand(rng, (1, 12), "float32")])
