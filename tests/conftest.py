import os

# The own suite defaults to the derandomized CI profile unless told otherwise.
os.environ.setdefault("SPEC_NN_PROFILE", "ci")


def pytest_report_header(config):
    import torch
    from spec_nn import isolation
    if torch.cuda.is_available():
        lines = [f"spec_nn: CUDA device {torch.cuda.get_device_name(0)}: CUDA parity tests run"]
    else:
        lines = ["spec_nn: no GPU here (torch.cuda.is_available() is False): CUDA parity tests are skipped"]
    why = isolation._probe_bwrap()
    levels = (["bubblewrap"] if not why else []) + (["uid"] if os.geteuid() == 0 else [])
    lines.append(f"spec_nn sandbox: hostile-submission tests run at the level(s) {', '.join(levels) or 'none'}"
                 + (f"; bubblewrap skipped: {why}" if why else "")
                 + ("" if os.geteuid() == 0 else "; uid level skipped: not root"))
    return lines


def pytest_configure(config):
    # One torch thread per xdist worker: on 2 cores, oversubscribed OpenMP threads made tiny ops 10x slower.
    import torch
    torch.set_num_threads(1)
