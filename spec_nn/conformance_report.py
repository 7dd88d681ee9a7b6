"""``spec-nn conformance``: every component's properties and every conformance scenario, written as
JSON and as one self-contained HTML page (matrix at a glance, then each scenario with its plots).

    spec-nn conformance                          # reference + torch, profile fast, ./conformance.{json,html}
    spec-nn conformance --target torch --profile thorough --out nightly/
    spec-nn conformance --target path/to/submission --style book

The component matrix is spec_nn.runner.check_property over spec_nn.registry.COMPONENTS (backends
reference, torch-cpu, and torch-cuda when a GPU is present; dtypes float64 and float32).  Scenarios
are conformance.ALL_SCENARIOS run on the same backends through conformance.ops.
"""
from __future__ import annotations

import argparse
import base64
import io
import json
import os
import platform
import sys
import time

import numpy as np

# Hypothesis examples per component::property in the report (the pytest suite uses spec_nn.profiles).
REPORT_EXAMPLES = {"fast": 5, "ci": 10, "thorough": None}
DTYPES = ("float64", "float32")
# A submission is graded on float64 inputs unless asked otherwise (as `spec-nn grade` does): code written
# for float64, like the book's numerical_gradient with h = 1e-4, is not a float32 implementation.
SUBMISSION_DTYPES = ("float64",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", default="all", metavar="reference|torch|all|PATH",
                        help="what to check: the NumPy reference, the PyTorch counterpart (CUDA when present), "
                             "both (default), or a submission directory (graded through the sandbox)")
    parser.add_argument("--style", choices=["book", "cs231n", "manifest"], default=None,
                        help="submission dialect for a PATH target (default: detected)")
    parser.add_argument("--json", default=None, metavar="F", help="JSON report (default OUT/conformance.json)")
    parser.add_argument("--html", default=None, metavar="F", help="HTML report (default OUT/conformance.html)")
    parser.add_argument("--junit", default=None, metavar="F", help="JUnit XML report (default OUT/conformance.xml)")
    parser.add_argument("--out", default=".", metavar="DIR", help="directory for the default file names")
    parser.add_argument("--profile", choices=["fast", "ci", "thorough"], default="fast",
                        help="fast: a few minutes on 2 cores (default); thorough: nightly")
    parser.add_argument("--seed", type=int, default=0, help="seed for Hypothesis and the scenarios")
    parser.add_argument("--only", default=None, metavar="NAMES",
                        help="comma-separated component and scenario names to run (default: all)")
    parser.add_argument("--no-components", action="store_true", help="skip the component matrix")
    parser.add_argument("--no-scenarios", action="store_true", help="skip the scenarios")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--submission-dtypes", default="float64", metavar="float64[,float32]",
                        help="dtypes a PATH target's components are graded at (default float64, as spec-nn grade)")


# -- environment and backends ------------------------------------------------------------------------

def environment(profile: str, seed: int) -> dict:
    import torch
    cuda = torch.cuda.is_available()
    return {"python": platform.python_version(), "platform": platform.platform(), "numpy": np.__version__,
            "torch": torch.__version__, "cuda_available": cuda,
            "device": torch.cuda.get_device_name(0) if cuda else "cpu",
            "cuda_note": "" if cuda else "CUDA not available (torch.cuda.is_available() is False): torch runs on CPU only",
            "dtype_policy": "components: float64 and float32 (float32 compared with the float32 tolerance row; "
                            "TF32 off on CUDA); scenarios: float64",
            "seed": seed, "profile": profile, "hypothesis_examples_per_property": REPORT_EXAMPLES[profile]}


def component_backends(target: str) -> list[str]:
    import torch
    torch_b = ["torch-cpu"] + (["torch-cuda"] if torch.cuda.is_available() else [])
    return {"reference": ["reference"], "torch": torch_b, "all": ["reference"] + torch_b}[target]


def scenario_backends(target: str) -> list[str]:
    import torch
    torch_b = ["torch-cuda"] if torch.cuda.is_available() else ["torch-cpu"]
    return {"reference": ["reference"], "torch": torch_b, "all": ["reference"] + torch_b}[target]


# -- running ------------------------------------------------------------------------------------------

def _progress(total, quiet, desc):
    from .progress import bar
    return bar(total, desc, enabled=not quiet, file=sys.stderr)


def run_components(backends_impls, names, profile, seed, quiet, submission_dtypes=None) -> list[dict]:
    """backends_impls: list of (backend label, make(component) -> Impl | None)."""
    from spec_nn.registry import COMPONENTS
    from spec_nn.runner import applicable, check_property
    jobs = []
    for c in COMPONENTS.values():
        if names and c.name not in names:
            continue
        for label, make in backends_impls:
            for p in c.property_names:
                if applicable(c, p, label if label in ("reference",) else "impl"):
                    jobs.extend((c, p, label, make, dt) for dt in DTYPES)
    out, impls = [], {}
    graded = [(label, make) for label, make in backends_impls if isinstance(make, tuple)]
    for label, (_, path, style) in graded:  # a submission: the grader runs the properties
        out.extend(grade_components(label, path, style, names, profile, seed, quiet, submission_dtypes))
    jobs = [j for j in jobs if not isinstance(j[3], tuple)]
    bar = _progress(len(jobs), quiet, "components")
    for c, p, label, make, dt in jobs:
        bar.set_postfix_str(f"{c.name}::{p} [{label}-{dt}]"[:60])
        key = (c.name, label)
        if key not in impls:
            try:
                impls[key] = (make(c), "")
            except Exception as e:  # noqa: BLE001 - no counterpart / not in the submission
                impls[key] = (None, f"{type(e).__name__}: {e}")
        impl, why = impls[key]
        if impl is None:
            out.append({"id": f"{c.name}::{p}", "component": c.name, "property": p, "backend": label, "dtype": dt,
                        "status": "skip", "message": why or "not available on this backend", "seconds": 0.0})
        else:
            v = check_property(c, p, impl, dtype=dt, profile=profile, seed=seed,
                               max_examples=REPORT_EXAMPLES[profile])
            j = v.to_json()
            j["backend"] = label
            out.append(j)
        bar.update(1)
    bar.close()
    return out


def grade_components(label, path, style, names, profile, seed, quiet, dtypes=None) -> list[dict]:
    """Every component::property of a submission through spec_nn.grading.grade_submission (sandboxed),
    once per dtype; verdicts missing / blocked are kept as the grader gives them."""
    from spec_nn.grading import grade_submission
    from spec_nn.registry import COMPONENTS
    names = [n for n in COMPONENTS if n in names] if names else None
    if names == []:
        return []
    out = []
    for dt in dtypes or SUBMISSION_DTYPES:
        bar = _progress(None, quiet, f"grading {label} {dt}")
        res = grade_submission(path, style=style, components=names, seed=seed,
                               profile=profile, max_examples=REPORT_EXAMPLES[profile], dtype=dt,
                               progress=lambda name: (bar.set_postfix_str(name), bar.update(1)))
        bar.close()
        for e in res["components"]:
            for p in e["properties"]:
                out.append({**p, "id": f"{e['name']}::{p['name']}", "component": e["name"], "property": p["name"],
                            "backend": label, "dtype": dt, "message": p.get("message", "")})
    return out


def run_model_scenarios(ops, session, style, names, profile, seed, quiet) -> list[dict]:
    """The scenarios on the submission's own model class (conformance.model_dynamics), through the same
    sandbox session; where the dialect or the target has none, one "skip" entry per scenario with the reason
    (printed as one line each)."""
    from conformance.model_dynamics import MODEL_SCENARIOS, ModelRunner, run_model_scenarios as run_all, skipped
    wanted = [s.name for s in MODEL_SCENARIOS if not names or s.name in names]
    if not wanted:
        return []
    fc = getattr(ops, "components", {}).get("fc_net") or {}
    label = f"submission:{style} model"
    why = ""
    if style not in ("book", "cs231n"):
        why = f"the {style} dialect has no multi-layer net class for these scenarios (book and cs231n only)"
    elif not fc.get("forward"):
        why = {"book": "no MultiLayerNet in the target (common/multi_layer_net.py)",
               "cs231n": "no FullyConnectedNet in the target (cs231n/classifiers/fc_net.py)"}[style]
    if why:
        return [skipped(n, why, label, seed, profile) for n in wanted]
    bar = _progress(len(wanted), quiet, "model scenarios")
    out = run_all(ModelRunner(session, style, fc.get("api", "")), set(wanted), seed=seed, profile=profile)
    bar.update(len(wanted))
    bar.close()
    return out


def run_scenarios(ops_list, names, profile, seed, quiet) -> list[dict]:
    from conformance import ALL_SCENARIOS
    scen = [s for s in ALL_SCENARIOS if not names or s.name in names]
    out = []
    bar = _progress(len(scen) * len(ops_list), quiet, "scenarios")
    for ops in ops_list:
        for s in scen:
            bar.set_postfix_str(f"{s.name} [{ops.backend}]")
            out.append(s.run(ops, seed=seed, profile=profile))
            bar.update(1)
    bar.close()
    return out


# -- plots --------------------------------------------------------------------------------------------

WIDE_PLOTS = ("hist", "panels2d")  # grids of small panels: drawn full width in the HTML when 3 or more wide


def _is_wide(plot: dict) -> bool:
    return plot.get("kind") in WIDE_PLOTS and max(len(r) for r in (plot.get("rows") or [plot["panels"]])) > 2


def _png(fig) -> str:
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _plot_grid(plot: dict) -> str:
    """"hist": rows of histogram panels ({title, counts, edges}), "rows" (with "row_labels") or one row of
    "panels"; "panels2d": panels ({title, z (2-D, shaded), lines [[w1, w2, b]] drawn as w1 x + w2 y + b = 0,
    points [[x, y, label]]}) over a common "extent"."""
    import matplotlib.pyplot as plt
    rows = plot.get("rows") or [plot["panels"]]
    nr, nc = len(rows), max(len(r) for r in rows)
    fig, axes = plt.subplots(nr, nc, figsize=(min(max(2.6 * nc, 5.0), 13.5), 2.1 * nr + 1.2), dpi=90, squeeze=False)
    for i, row in enumerate(rows):
        for j in range(nc):
            ax = axes[i][j]
            if j >= len(row):
                ax.axis("off")
                continue
            p = row[j]
            if plot["kind"] == "hist":
                e = np.asarray(p["edges"], dtype=float)
                ax.stairs(p["counts"], e, fill=True, color="#4c72b0")  # one patch per panel: fast to draw
                ax.set_xlim(e[0], e[-1])
                ax.tick_params(labelsize=6)
                if j > 0:
                    ax.set_yticklabels([])
            else:
                x0, x1, y0, y1 = plot["extent"]
                ax.imshow(np.asarray(p["z"], dtype=float), origin="lower", extent=(x0, x1, y0, y1), cmap="Blues",
                          vmin=0, vmax=2, alpha=0.8)
                xs = np.linspace(x0, x1, 2)
                for w1, w2, b in p.get("lines", []):
                    if abs(w2) > 1e-12:
                        ax.plot(xs, -(w1 * xs + b) / w2, "k--", lw=0.8)
                    else:
                        ax.axvline(-b / w1, color="k", ls="--", lw=0.8)
                for x, y, lab in p.get("points", []):
                    ax.plot([x], [y], "o", ms=7, mfc="#c44e52" if lab else "white", mec="k")
                ax.set_xlim(x0, x1)
                ax.set_ylim(y0, y1)
                ax.set_xticks([0, 1])
                ax.set_yticks([0, 1])
                ax.tick_params(labelsize=6)
            ax.set_title(p.get("title", ""), fontsize=7)
        if plot.get("row_labels"):
            axes[i][0].set_ylabel(plot["row_labels"][i], fontsize=8)
    fig.suptitle(plot.get("title", ""), fontsize=9)
    fig.subplots_adjust(left=0.06 if nc > 2 else 0.14, right=0.98, bottom=0.07 if nr > 1 else 0.12,
                        top=0.92 if nr > 1 else 0.82, wspace=0.15 if plot["kind"] == "hist" else 0.25,
                        hspace=0.45)  # not tight_layout: slow on grids of 20 panels
    return _png(fig)


def _plot_png(plot: dict) -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if plot["kind"] in WIDE_PLOTS:
        return _plot_grid(plot)
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=90)
    if plot["kind"] == "bars":
        vals = np.asarray([np.nan if isinstance(v, str) else v for v in plot["values"]], dtype=float)
        hi = set(plot.get("highlight", ()))
        pos = np.arange(len(vals))
        ax.bar(pos, np.where(vals > 0, vals, np.nan) if plot.get("logy") else vals,
               color=["#c44e52" if lab in hi else "#4c72b0" for lab in plot["labels"]])
        ax.set_xticks(pos)
        ax.set_xticklabels(plot["labels"], rotation=40, ha="right", fontsize=6.5)
        if plot.get("logy"):
            ax.set_yscale("log")
        for p, v, lab in zip(pos, vals, plot["labels"]):
            if lab in hi:
                ax.annotate(f"{v:g}", (p, 0.02), ha="center", fontsize=8, color="#c44e52",
                            xycoords=("data", "axes fraction"), va="bottom")
        ax.set_ylabel(plot.get("ylabel", ""))
    elif plot["kind"] == "paths":
        xs = np.linspace(*plot["xlim"], 200)
        ys = np.linspace(*plot["ylim"], 200)
        X, Y = np.meshgrid(xs, ys)
        ax.contour(X, Y, X ** 2 / 20 + Y ** 2, levels=20, colors="0.8", linewidths=0.7)
        for name, pts in plot["series"].items():
            p = np.asarray(pts, dtype=float)
            ax.plot(p[:, 0], p[:, 1], "o-", ms=2.5, lw=1, label=name)
        ax.plot([0], [0], "k+", ms=10)
        ax.set_xlim(*plot["xlim"])
        ax.set_ylim(*plot["ylim"])
        ax.set_xlabel("x")
        ax.set_ylabel("y")
    else:
        x = plot.get("x")
        for name, ys in plot["series"].items():
            y = np.asarray([np.nan if isinstance(v, str) else v for v in ys], dtype=float)
            xx = x[:len(y)] if x is not None else range(1, len(y) + 1)
            if plot.get("logy"):
                y = np.where(y > 0, y, np.nan)
            ax.plot(xx, y, "-", marker="." if len(y) <= 60 else None, lw=1.2, label=str(name))
        if plot.get("logy"):
            ax.set_yscale("log")
        if plot.get("logx"):
            ax.set_xscale("log")
        if plot.get("vline") is not None:
            ax.axvline(plot["vline"], color="0.5", ls="--", lw=0.8)
        ax.set_xlabel(plot.get("xlabel", ""))
        ax.set_ylabel(plot.get("ylabel", ""))
    ax.set_title(plot.get("title", ""), fontsize=9)
    if plot["kind"] != "bars":
        ax.legend(fontsize=7, loc="best")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


# -- HTML ---------------------------------------------------------------------------------------------

STATUS_ORDER = ("fail", "error", "blocked", "missing", "pass", "n/a", "skip")
SELF = ("forward_matches_reference", "backward_matches_reference")


def _cell(verdicts: list[dict]) -> dict:
    """Summary of one (component, property, backend) cell over dtypes."""
    statuses = [v["status"] for v in verdicts]
    status = next((s for s in STATUS_ORDER if s in statuses), "skip")
    msg = "; ".join(f"{v['dtype']}: {v['message']}" for v in verdicts if v["status"] in ("fail", "error"))
    return {"status": status, "title": msg or ", ".join(f"{v['dtype']} {v['status']}" for v in verdicts)}


def _short(backend: str) -> str:
    """Column letter of a backend in the matrix: R(eference), T(orch CPU), C(UDA), S(ubmission)."""
    return {"reference": "R", "torch-cpu": "T", "torch-cuda": "C"}.get(backend, "S")


def matrix(components: list[dict]) -> dict:
    """Component x property x backend at a glance: one row per component, one column per generic
    property plus one for the component's specific properties; each cell holds one small badge per
    backend (worst status over dtypes; the message in its tooltip)."""
    from spec_nn.record import GENERIC
    backends = list(dict.fromkeys(v["backend"] for v in components))
    cells: dict = {}
    for v in components:
        cells.setdefault(v["component"], {}).setdefault(v["property"], {}).setdefault(v["backend"], []).append(v)

    def badges(by_b: dict, prop: str) -> list[dict]:
        out = []
        for b in backends:
            if b in by_b:
                c = _cell(by_b[b])
            elif b == "reference" and prop in SELF:
                c = {"status": "n/a", "title": "the reference is the definition this property compares with"}
            else:
                c = {"status": "skip", "title": "not run on this backend"}
            out.append({**c, "letter": _short(b), "backend": b})
        return out

    generic = [g for g in GENERIC if any(g in props for props in cells.values())]
    rows = []
    for comp, props in cells.items():
        rows.append({"component": comp,
                     "generic": [badges(props[g], g) if g in props else None for g in generic],
                     "specific": [(p, badges(by_b, p)) for p, by_b in props.items() if p not in GENERIC]})
    legend = ", ".join(f"{_short(b)} = {b}" for b in backends)
    return {"backends": backends, "generic": generic, "rows": rows, "legend": legend}


def to_junit(report: dict) -> str:
    """JUnit XML (valid against Jenkins' junit-10.xsd): one suite per backend with a test case per
    component::property[dtype] (classname ``spec_nn.BACKEND.COMPONENT``), and one suite of scenarios
    ("observed" passes, with the claims that did not hold in its output)."""
    from .reports import junit_case, junit_xml
    suites: dict = {}
    for v in report["components"]:
        detail = "\n".join(x for x in (v.get("message") or "", f"minimal example: {v['example']}"
                                       if v.get("example") else "", v.get("repro") or "") if x)
        status = {"pass": "pass", "fail": "fail", "error": "error"}.get(v["status"], "skip")
        message = f"{v['status']}: {v.get('message') or ''}" if status == "skip" else v.get("message") or ""
        suites.setdefault(v["backend"], []).append(junit_case(
            f"{v['id']}[{v['dtype']}]", f"spec_nn.{v['backend']}.{v['component']}", v.get("seconds") or 0.0,
            status, message, detail if status in ("fail", "error") else ""))
    scen = []
    for sc in report["scenarios"]:
        status = {"fail": "fail", "error": "error"}.get(sc["status"], "pass")
        if status == "fail":
            message = "; ".join(c["name"] for c in sc["checks"] if c["strict"] and not c["held"])
        else:
            message = (sc.get("error") or "error") if status == "error" else ""
        out = "\n".join(f"{c['name']}: measured {c['measured']}, threshold {c['threshold']}, "
                        f"{'held' if c['held'] else 'NOT held'}" for c in sc["checks"])
        scen.append(junit_case(f"{sc['name']}[{sc['backend']}]", "spec_nn.scenarios", sc.get("seconds") or 0.0,
                               status, message, stdout=out))
    suites_out = [(f"spec-nn conformance: components on {b}", cases) for b, cases in suites.items()]
    if scen:
        suites_out.append(("spec-nn conformance: scenarios", scen))
    return junit_xml(suites_out, name="spec-nn conformance")


def render_html(report: dict) -> str:
    import jinja2
    env = jinja2.Environment(loader=jinja2.PackageLoader("spec_nn", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]))
    env.filters["fmt"] = _fmt
    scenarios = []
    for s in report["scenarios"]:
        scenarios.append({**s, "images": [(p.get("title", ""), _plot_png(p), _is_wide(p)) for p in s["plots"]]})
    return env.get_template("conformance.html").render(
        env=report["environment"], summary=report["summary"], matrix=matrix(report["components"]),
        failures=[v for v in report["components"] if v["status"] in ("fail", "error")], scenarios=scenarios)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return "[" + ", ".join(_fmt(x) for x in v[:8]) + (", ..." if len(v) > 8 else "") + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {_fmt(x)}" for k, x in list(v.items())[:8]) + "}"
    return str(v)


# -- entry point --------------------------------------------------------------------------------------

def summarize(components, scenarios) -> dict:
    from collections import Counter
    return {"components": dict(Counter(v["status"] for v in components)),
            "scenarios": dict(Counter(s["status"] for s in scenarios))}


def run(args) -> int:
    from conformance.ops import make_ops, torch_backend_name
    from spec_nn.impl import make_impl

    t0 = time.perf_counter()
    names = set(args.only.split(",")) if args.only else None
    json_path = args.json or os.path.join(args.out, "conformance.json")
    html_path = args.html or os.path.join(args.out, "conformance.html")
    junit_path = args.junit or os.path.join(args.out, "conformance.xml")
    env = environment(args.profile, args.seed)
    if not env["cuda_available"] and not args.quiet:
        print(f"spec-nn conformance: {env['cuda_note']}", file=sys.stderr)

    session = None
    if args.target in ("reference", "torch", "all"):
        comp_b = [(b, (lambda b: lambda c: make_impl(c, b))(b)) for b in component_backends(args.target)]
        ops_list = [make_ops(b) for b in scenario_backends(args.target)]
    else:
        if not os.path.isdir(args.target):
            print(f"spec-nn conformance: --target={args.target!r} is neither reference, torch, all nor a directory",
                  file=sys.stderr)
            return 2
        from conformance.ops import submission_ops
        try:
            ops, session = submission_ops(args.target, args.style)
        except Exception as e:  # noqa: BLE001 - the submission does not load: one line, no traceback
            print(f"spec-nn conformance: cannot load the submission: {e}", file=sys.stderr)
            return 2
        style = ops.backend.split(":", 1)[1]
        comp_b = [(ops.backend, ("grader", args.target, style))]
        ops_list = [ops]
        env["target"] = {"path": os.path.abspath(args.target), "style": style}
    env["scenario_backends"] = [o.backend for o in ops_list]
    env["component_backends"] = [b for b, _ in comp_b]
    try:
        components = [] if args.no_components else run_components(
            comp_b, names, args.profile, args.seed, args.quiet,
            tuple(d for d in getattr(args, "submission_dtypes", "float64").split(",") if d))
        scenarios = [] if args.no_scenarios else run_scenarios(ops_list, names, args.profile, args.seed, args.quiet)
        if session is not None and not args.no_scenarios:
            scenarios += run_model_scenarios(ops_list[0], session, env["target"]["style"], names, args.profile,
                                             args.seed, args.quiet)
    finally:
        if session is not None:
            session.close()
    env["seconds"] = round(time.perf_counter() - t0, 2)
    report = {"environment": env, "summary": summarize(components, scenarios),
              "components": components, "scenarios": scenarios}
    from .reports import atomic_write  # a reader (CI, a browser) never sees half a report
    atomic_write(json_path, json.dumps(report, indent=1, default=str))
    atomic_write(html_path, render_html(report))
    atomic_write(junit_path, to_junit(report))
    s = report["summary"]
    print(f"components: {s['components']}  scenarios: {s['scenarios']}  ({env['seconds']} s)")
    for sc in scenarios:
        if sc["status"] == "skip":  # nothing to run: one line saying why
            print(f"  {sc['name']:<22} {sc['backend']:<18} skipped: {sc['error']}")
            continue
        print(f"  {sc['name']:<22} {sc['backend']:<18} {sc['status']}"
              + (f"  not held: {'; '.join(sc['claims_not_held'])}" if sc["claims_not_held"] else "")
              + (f"  {sc['error']}" if sc["error"] else ""))
    print(f"wrote {json_path}, {html_path} and {junit_path}")
    bad = s["components"].get("fail", 0) + s["components"].get("error", 0) + s["scenarios"].get("fail", 0) \
        + s["scenarios"].get("error", 0)
    return 1 if bad else 0
