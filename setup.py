"""The package is declared in pyproject.toml; this file only adds the native Unicorn
callbacks (a small C extension, built by `pip install` with the system C compiler)."""
from setuptools import Extension, setup

setup(ext_modules=[Extension("tinysim.engines.builtin._hook",
                             sources=["tinysim/engines/builtin/_hook.c"],
                             extra_compile_args=["-O2"])])
