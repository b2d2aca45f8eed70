"""Layer 8, studies: many simulations — sweeps over design points (``sweep``) and the sensitivity of the
headline to each model parameter (``sensitivity``)."""
