"""One module per ``accelsim`` subcommand, each with ``HELP``, ``add_arguments(parser)`` and ``main(args)``.

Each also declares, for the one output guard (:func:`accelsim.cli.app.guard_paths`): ``INPUTS``, the arguments
naming files or folders it reads, as (attribute, flag); ``OUTPUTS``, those naming what it writes, as
(attribute, flag, is a folder); ``READS_DEFAULT_TRACE`` where it reads the shipped sample when given no trace;
and, where an input is derived from an argument (a sweep folder's tables), ``derived_inputs(args)``.

A command module imports only the base layer at load time: building the parser loads no simulator layer, and a
command loads the layers it needs inside its ``main``.
"""

#: The subcommands, in the order ``accelsim --help`` lists them.
COMMANDS = ("run", "validate", "presets", "scalesim", "dram", "pack", "synth", "sweep", "compare", "plot", "report",
            "explore", "timeline", "sensitivity", "capture")
