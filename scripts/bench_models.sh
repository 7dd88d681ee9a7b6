#!/usr/bin/env bash
# Grading a submission's models against grading its layers, side by side (issue 10: the models of a complete
# submission take no longer than its layers).  Usage: scripts/bench_models.sh [SUBMISSION...] (default
# examples/book_models examples/cs231n_models); RUNS=3 rounds, interleaved.  Prints wall seconds per run.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
MODELS=two_layer_net,fc_net,conv_net
RUNS=${RUNS:-3}
[ $# -gt 0 ] || set -- examples/book_models examples/cs231n_models
for sub in "$@"; do
    layers=$("$PY" -c "
import sys
from spec_nn.registry import COMPONENTS
print(','.join(n for n, c in COMPONENTS.items() if c.kind != 'model'))")
    for i in $(seq "$RUNS"); do
        for what in layers models; do
            comps=$([ "$what" = models ] && echo "$MODELS" || echo "$layers")
            load=$(cut -d' ' -f1 /proc/loadavg)
            TIMEFORMAT=%R
            secs=$( { time "$PY" -m spec_nn grade "$sub" --components "$comps" -q >/dev/null 2>&1; } 2>&1 )
            printf '%-28s %-6s run %d: %6s s  (load %s)\n' "$sub" "$what" "$i" "$secs" "$load"
        done
    done
done
