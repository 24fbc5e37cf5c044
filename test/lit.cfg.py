# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config

config.name = "attnc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".attn", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attnc_obj_root, "test")

config.substitutions.append(("%specs", os.path.join(config.attnc_src_root, "specs")))
config.substitutions.append(("%attnc_src", config.attnc_src_root))
config.substitutions.append(("%attnc_obj", config.attnc_obj_root))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
tool_dirs = [config.attnc_tools_dir, config.llvm_tools_dir]
tool_dirs.append(os.path.join(config.attnc_obj_root, "examples"))
llvm_config.add_tool_substitutions(["attnc", "attn-opt", "attnc-example", "attnc-check", "attnc-varlen-check", "attnc-gpu-check", "attnc-example-gpu"], tool_dirs)

# AMX-BF16 tiles on this CPU (the attnc kernels use them for bf16 specs).
try:
    with open("/proc/cpuinfo") as cpuinfo:
        flags = next((l.split() for l in cpuinfo if l.startswith("flags")), [])
    if "amx_bf16" in flags and "amx_tile" in flags:
        config.available_features.add("amx")
except OSError:
    pass

# GPU tests need ptxas and libdevice from a CUDA toolkit (no GPU needed).
import shutil
ptxas = shutil.which("ptxas") or ("/usr/local/cuda/bin/ptxas" if os.path.exists("/usr/local/cuda/bin/ptxas") else None)
if ptxas and os.path.exists("/usr/local/cuda/nvvm/libdevice/libdevice.10.bc"):
    config.available_features.add("ptxas")
    config.substitutions.append(("ptxas", ptxas))
