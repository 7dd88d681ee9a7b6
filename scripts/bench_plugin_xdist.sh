#!/usr/bin/env bash
# The pytest plugin on one complete submission, serial against pytest-xdist -n 2, alternating, RUNS times
# each (figures in BENCHMARKS.md).  Usage: scripts/bench_plugin_xdist.sh [SUBMISSION] (default
# examples/book_correct); RUNS=3 by default.  Prints one line per run: mode, wall/user/sys seconds, the
# 1-minute load average before the run, and pytest's closing line.
set -u
PY=${PYTHON:-.venv/bin/python}
cd "$(dirname "$0")/.."
PY=$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")  # absolute, not resolved: a venv's python is a symlink
SUB=$(realpath "${1:-examples/book_correct}")
RUNS=${RUNS:-3}
# from the submission's parent directory, as in a course repository: run from this repository's root, pytest
# would first load tests/conftest.py (this suite's own, which imports torch) through the testpaths setting
cd "$(dirname "$SUB")"
SUB=$(basename "$SUB")
out=$(mktemp)
trap 'rm -f "$out" "$out.time"' EXIT
for i in $(seq "$RUNS"); do
    for mode in serial "-n 2"; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        # shellcheck disable=SC2086  # $mode is "" or "-n 2" on purpose
        /usr/bin/time -o "$out.time" -f "%e %U %S" "$PY" -m pytest -p no:cacheprovider -q --spec-nn-profile ci \
            --spec-nn-submission "$SUB" ${mode/serial/} >"$out" 2>&1
        t=$(tail -1 "$out.time")
        read -r wall user sys <<<"$t"
        printf '%-7s run %d: wall %6.2f s  user %6.2f s  sys %5.2f s  load %5s  %s\n' "${mode/-n 2/-n2}" "$i" \
            "$wall" "$user" "$sys" "$load" "$(grep -E '(passed|failed)' "$out" | tail -1)"
    done
done
