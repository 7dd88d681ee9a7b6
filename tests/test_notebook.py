"""Issue 11: a notebook submission is graded like the files it defines (read with nbformat; code cells only,
magics and shell lines dropped, experiments not run, cells that fail reported)."""
import json
import os

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from spec_nn.cli import main

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def test_a_cs231n_notebook_is_graded_like_its_definitions(tmp_path):
    layers = open(os.path.join(EXAMPLES, "cs231n_correct", "cs231n", "layers.py")).read()
    nb = new_notebook(cells=[
        new_markdown_cell("# Assignment 2"),
        new_code_cell("%matplotlib inline\nimport numpy as np\n!pip install nothing"),
        new_code_cell(layers),
        new_code_cell("while True:\n    pass  # an experiment: never run by the grader"),
        new_code_cell("def broken(:\n    pass"),
        new_code_cell("import a_module_nobody_has"),
    ])
    path = tmp_path / "assignment.ipynb"
    nbformat.write(nb, str(path))
    out = tmp_path / "r.json"
    rc = main(["grade", str(path), "--components", "relu,affine", "--max-examples", "3", "--json", str(out), "-q"])
    r = json.loads(out.read_text())
    assert rc == 0 and r["style"] == "cs231n" and all(c["status"] == "pass" for c in r["components"])
    assert r["notebook"]["unparsable"] == ["assignment.ipynb cell 4: line 1: SyntaxError: invalid syntax"]
    assert any("cell 5" in f and "a_module_nobody_has" in f for f in r["notebook"]["failed_cells"])


def test_writefile_cells_become_the_submissions_files(tmp_path):
    src = {f: open(os.path.join(EXAMPLES, "book_buggy", "common", f)).read() for f in
           ("layers.py", "functions.py", "util.py")}
    nb = new_notebook(cells=[new_code_cell("%%writefile common/layers.py\n" + src["layers.py"]),
                             new_code_cell("%%writefile common/functions.py\n" + src["functions.py"]),
                             new_code_cell("%%writefile common/util.py\n" + src["util.py"])])
    (tmp_path / "sub").mkdir()
    nbformat.write(nb, str(tmp_path / "sub" / "hw.ipynb"))
    out = tmp_path / "r.json"
    main(["grade", str(tmp_path / "sub"), "--style", "book", "--components", "relu,affine", "--max-examples", "3",
          "--json", str(out), "-q"])
    r = json.loads(out.read_text())
    assert r["notebook"]["written_files"] == ["common/layers.py", "common/functions.py", "common/util.py"]
    status = {c["name"]: c["status"] for c in r["components"]}
    assert status == {"relu": "fail", "affine": "fail"}  # book_buggy's own bugs, graded from the written files
