"""Layer 4, the workload: a trace turned into the packed rows and activation events the engines replay."""
