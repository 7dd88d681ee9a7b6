"""Model components count in the possible total when the submission has their files (decided from the
files, before anything runs): a layers-only submission is not charged for models, a model bug costs points."""
import os
import shutil

from spec_nn.grading import grade_submission

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "examples")


def test_a_model_bug_costs_points_and_absent_models_cost_nothing(tmp_path):
    d = tmp_path / "cs"
    shutil.copytree(os.path.join(EXAMPLES, "cs231n_models"), d)
    fc = d / "cs231n" / "classifiers" / "fc_net.py"
    src = fc.read_text()
    assert 'grads["W1"] += self.reg * self.params["W1"]' in src
    fc.write_text(src.replace('grads["W1"] += self.reg * self.params["W1"]', 'pass  # regularisation forgotten'))
    res = grade_submission(str(d), components=["two_layer_net"], max_examples=3)
    assert res["components"][0]["status"] == "fail"
    assert 0 < res["score"]["earned"] < res["score"]["possible"]
    layers_only = grade_submission(os.path.join(EXAMPLES, "cs231n_correct"), components=["two_layer_net", "relu"],
                                   max_examples=3)
    assert layers_only["score"]["earned"] == layers_only["score"]["possible"] > 0
