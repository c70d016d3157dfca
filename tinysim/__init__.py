"""tinysim: an emulator-based development tool for TinyML microcontroller firmware."""

__version__ = "0.1.0"
