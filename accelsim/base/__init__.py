"""Layer 0, the base: what every other layer may use and which uses nothing of accelsim.

Errors that name the input (``errors``), atomic writes (``atomic``), checks on output paths (``paths``), the
numba switch (``jit``), the one-line argument parser (``argparser``), where the shipped data lives
(``resources``), the packed vectors the compiled kernels read (``layouts``) and the named result records
(``records``).
"""
