"""Shared by the training scripts: full-integer (int8) conversion of a Keras model."""
from __future__ import annotations


def to_int8_tflite(tf, model, samples, n_representative: int = 200) -> bytes:
    """Convert with int8 weights, activations, input and output; ``samples`` (float32, with
    the batch axis first) calibrate the activation ranges."""
    step = max(1, len(samples) // n_representative)

    def representative():
        for i in range(0, len(samples), step):
            yield [samples[i:i + 1]]

    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()
