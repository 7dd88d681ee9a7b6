import os

# The own suite defaults to the derandomized CI profile unless told otherwise.
os.environ.setdefault("SPEC_NN_PROFILE", "ci")


def pytest_report_header(config):
    import torch
    if torch.cuda.is_available():
        return f"spec_nn: CUDA device {torch.cuda.get_device_name(0)}: CUDA parity tests run"
    return "spec_nn: no GPU here (torch.cuda.is_available() is False): CUDA parity tests are skipped"


def pytest_configure(config):
    # One torch thread per xdist worker: on 2 cores, oversubscribed OpenMP threads made tiny ops 10x slower.
    import torch
    torch.set_num_threads(1)
