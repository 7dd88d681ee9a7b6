import os

# The own suite defaults to the derandomized CI profile unless told otherwise.
os.environ.setdefault("SPEC_NN_PROFILE", "ci")
