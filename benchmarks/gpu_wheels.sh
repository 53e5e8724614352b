#!/usr/bin/env bash
# The wheels benchmarks/gpu.py needs on the lent GPU machine beyond what its image has (Python 3.12, torch,
# triton, numpy, scipy, sympy, llvmlite, numba are there; xdsl and egglog, with a few of their needs, are not),
# downloaded here into .whl/ (ignored by git; it travels with `carry`). On the device:
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
#       .whl/*.whl && PYTHONPATH=/tmp/site:. python3 benchmarks/gpu.py > $OUT/gpu.json
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
py="${PYTHON:-.venv/bin/python}"
platforms=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_24_x86_64 manylinux_2_17_x86_64 \
         manylinux2014_x86_64 manylinux1_x86_64; do
  platforms+=(--platform "$p")
done
"$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp "${platforms[@]}" \
  -d .whl xdsl==0.75.0 immutabledict==4.3.1 ordered-set==4.1.0 egglog==13.2.0 black==26.10.1 graphviz==0.21 \
  opentelemetry-api==1.45.2 platformdirs==4.14.8 pytokens==0.4.1
du -sh .whl
