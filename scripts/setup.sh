#!/usr/bin/env bash
# Set up a virtual environment in .venv with spec_nn and everything it needs.
# On these machines torch==2.13.0 (CPU build) is installed first from the local wheel; the package itself
# accepts any torch>=2.0, so a user's own CUDA build is kept where one is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
if ! .venv/bin/python -c "import torch" 2>/dev/null; then
    .venv/bin/python -m pip install -q "torch==2.13.0" || .venv/bin/python -m pip install -q torch
fi
.venv/bin/python -m pip install -q -e ".[test]"
# numpy-ml (GPLv3, never vendored) is graded through examples/numpy_ml_manifest by tests/test_vocabulary.py (skipped
# without it); its neural_nets import only NumPy, its __init__ also scipy and matplotlib, dependencies of spec_nn
.venv/bin/python -m pip install -q --no-deps numpy-ml || echo "numpy-ml not installed: tests/test_vocabulary.py skips it"
.venv/bin/python -c "import spec_nn, torch, numpy; print('spec_nn', spec_nn.__version__, '| torch', torch.__version__, '| numpy', numpy.__version__)"
