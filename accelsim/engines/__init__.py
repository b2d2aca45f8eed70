"""Layer 6, the engines: ``fast`` (compiled, over many design points) and ``reference`` (a direct replay in
plain Python and SimPy, independent of the fast one: it never imports it). Both return ``output.EngineOutput``.
"""
