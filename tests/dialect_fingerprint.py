"""The observable shape of a dialect's adapter table, as a fake submission sees it: for every component, the
api string, forward/backward availability and the files it can come from, under many submissions (every
name, one file only, one name only).  tests/test_dialect_manifests.py compares it with the fingerprint taken
from the Python tables before the dialects became manifests (tests/data/dialect_fingerprint.json)."""
from __future__ import annotations

import json
import os


class Fake:
    """A submission that has exactly the attributes ``present`` ("mod.name"; "mod.*": all of mod)."""

    def __init__(self, present):
        self.present = set(present)
        self.problems = {}
        self.root = "/nonexistent"  # book 1 edition (no common/layers.py to read)

    def attr(self, mod, name):
        if f"{mod}.{name}" in self.present or f"{mod}.*" in self.present:
            return _callable
        return None

    def lookup(self, mod, name):
        found = self.attr(mod, name)
        return (name, found) if found is not None else (None, None)

    def name_of(self, mod, name):
        return name


BOOK2 = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "book2_tree")


def _callable(*a, **k):
    """Dummy."""
    return None


def _names(ad):
    out = []
    for alt in tuple(getattr(ad, "needs", ()) or ()) + tuple(getattr(ad, "bwd_needs", ()) or ()):
        out += list(alt if isinstance(alt, tuple) else (alt,))
    for sub in getattr(ad, "alternatives", ()):
        out += _names(sub)
    for sub in getattr(ad, "entries", {}).values():
        out += _names(sub)
    return sorted(set(out))


def fingerprint(table) -> dict:
    from spec_nn.adapters import adapter_modules
    names = sorted({n for ad in table.values() for n in _names(ad)})
    mods = sorted({n.split(".", 1)[0] for n in names})
    subs = {"all": [m + ".*" for m in mods], **{f"only {m}": [m + ".*"] for m in mods},
            **{f"only {n}": [n] for n in names}}
    out = {}
    for comp, ad in sorted(table.items()):
        rows = {}
        for label, present in subs.items():
            sub = Fake(present)
            f, b = ad.available(sub)
            rows[label] = [bool(f), bool(b), ad.api(sub) if f else ""]
            if "functions.*" in present or any(p.startswith("functions.") for p in present):
                sub2 = Fake(present)
                sub2.root = BOOK2  # a book 2 tree: its row-wise functions
                rows[label + " (book 2)"] = [bool(f), bool(b), ad.api(sub2) if f else ""]
        out[comp] = {"modules": adapter_modules(ad), "names": _names(ad), "subs": rows}
    return out


def current() -> dict:
    from spec_nn.adapters import core_components, dialect_data, dialect_table, fixed_hp
    out = {}
    for style in ("book", "cs231n"):
        out[style] = {"table": fingerprint(dialect_table(style)), "core": sorted(core_components(style)),
                      "fixed": fixed_hp(style),
                      **{k: {c: {kk: list(vv) if isinstance(vv, tuple) else vv for kk, vv in v.items()}
                             if isinstance(v, dict) else list(v) for c, v in dialect_data(style, k).items()}
                         for k in ("CASES", "ACCEPT", "ENTRIES", "NOT_IN_API")}}
    return json.loads(json.dumps(out))


if __name__ == "__main__":
    path = os.path.join(os.path.dirname(__file__), "data", "dialect_fingerprint.json")
    with open(path, "w") as f:
        json.dump(current(), f, indent=1, sort_keys=True)
    print(path)
