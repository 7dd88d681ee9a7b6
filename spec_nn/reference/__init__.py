"""Pure NumPy reference implementations.  Every function is boring on purpose: it never mutates its
arguments, and its docstring gives the formula, the shapes and the convention it follows."""
