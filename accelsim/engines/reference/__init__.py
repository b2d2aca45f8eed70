"""The reference engine: a direct replay of one point in plain Python and SimPy (``engine``), with its own
placement decisions (``placement``) and period scheduler (``period``). It never imports the fast engine, so the
two agreeing checks both."""
