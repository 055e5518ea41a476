"""Builds the extension crossq._crossq with CMake for the interpreter running pip (docs/python.md).

    python3 -m pip install --no-build-isolation .       # offline, with Debian's packages
    CMAKE_BUILD_PARALLEL_LEVEL=1 ... and CROSSQ_CMAKE_ARGS="-DCROSSQ_NATIVE=OFF" are passed on

The package's Python files come from python/crossq/, the MuJoCo models of crossq's tasks are
copied into it (crossq/assets/), so the installed package does not need the checkout."""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))


def version():
    with open(os.path.join(ROOT, "CMakeLists.txt")) as f:
        return re.search(r"project\(crossq VERSION ([0-9.]+)", f.read()).group(1)


class CMakeExtension(Extension):
    def __init__(self, name):
        super().__init__(name, sources=[])


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        package_dir = os.path.dirname(os.path.abspath(self.get_ext_fullpath(ext.name)))
        build_dir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        args = ["-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release", f"-DPython3_EXECUTABLE={sys.executable}",
                "-DCROSSQ_BUILD_TESTS=OFF", "-DCROSSQ_BUILD_BENCH=OFF", "-DCROSSQ_BUILD_PYTHON=ON",
                f"-DCROSSQ_PYTHON_PACKAGE_DIR={package_dir}"]
        try:  # pybind11's CMake files from the interpreter's own pybind11, when it has one
            import pybind11
            args.append(f"-Dpybind11_DIR={pybind11.get_cmake_dir()}")
        except ImportError:
            pass
        if shutil.which("ninja") and not os.path.exists(os.path.join(build_dir, "CMakeCache.txt")):
            args += ["-G", "Ninja"]
        args += shlex.split(os.environ.get("CROSSQ_CMAKE_ARGS", ""))
        subprocess.check_call(["cmake", *args])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "_crossq"])
        built = glob.glob(os.path.join(package_dir, "_crossq*.so"))
        if not built:
            raise RuntimeError(f"CMake built no _crossq*.so into {package_dir}")
        # setuptools expects the file under its own name for this interpreter
        target = os.path.abspath(self.get_ext_fullpath(ext.name))
        if os.path.abspath(built[0]) != target:
            shutil.copyfile(built[0], target)
        assets = os.path.join(package_dir, "assets")
        os.makedirs(assets, exist_ok=True)
        for f in glob.glob(os.path.join(ROOT, "assets", "*.xml")):
            shutil.copy(f, assets)


setup(
    version=version(),
    packages=["crossq"],
    package_dir={"crossq": "python/crossq"},
    ext_modules=[CMakeExtension("crossq._crossq")],
    cmdclass={"build_ext": CMakeBuild},
    zip_safe=False,
)
