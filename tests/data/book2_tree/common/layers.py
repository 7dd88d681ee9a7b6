class Affine:
    def __init__(self, W, b):
        self.params, self.grads = [W, b], [None, None]
