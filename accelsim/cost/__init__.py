"""Layer 5, the cost model: hardware packed for the kernels, DRAM stream costs, PE-array cycles, row costs."""
