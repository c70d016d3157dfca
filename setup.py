"""The package is declared in pyproject.toml; this file only adds the native Unicorn
callbacks (a small C extension, built by `pip install` with the system C compiler)."""
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

# Copied into the wheel so a pip-installed tinysim builds and runs a developer's own firmware
# without a checkout: the board support (tinysim.sdk) and the bundled platform files.
SHIPPED = {"firmware/boards": "sdk/firmware/boards", "firmware/common": "sdk/firmware/common",
           "firmware/runtime": "sdk/firmware/runtime", "platforms": "sdk/platforms"}


class BuildPyWithSdk(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return      # an editable install finds the checkout's firmware/ and platforms/ itself
        root = Path(__file__).resolve().parent
        for src, dst in SHIPPED.items():
            out = Path(self.build_lib) / "tinysim" / dst
            shutil.rmtree(out, ignore_errors=True)
            shutil.copytree(root / src, out, ignore=shutil.ignore_patterns("host", "*.o", "*.d", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithSdk},
      ext_modules=[Extension("tinysim.engines.builtin._hook",
                             sources=["tinysim/engines/builtin/_hook.c"],
                             extra_compile_args=["-O2"]),
                   Extension("tinysim.engines.builtin._i2c",
                             sources=["tinysim/engines/builtin/_i2c.c"],
                             extra_compile_args=["-O2"]),
                   Extension("tinysim.engines.builtin._profile",
                             sources=["tinysim/engines/builtin/_profile.c"],
                             extra_compile_args=["-O2"]),
                   Extension("tinysim.engines.builtin._divtime",
                             sources=["tinysim/engines/builtin/_divtime.c"],
                             extra_compile_args=["-O2"])])
