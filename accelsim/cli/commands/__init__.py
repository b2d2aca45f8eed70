"""One module per ``accelsim`` subcommand, each with ``HELP``, ``add_arguments(parser)`` and ``main(args)``.

A command module imports only the base layer at load time: building the parser loads no simulator layer, and a
command loads the layers it needs inside its ``main``.
"""

#: The subcommands, in the order ``accelsim --help`` lists them.
COMMANDS = ("run", "validate", "presets", "scalesim", "dram", "pack", "synth", "sweep", "compare", "plot", "report",
            "timeline", "sensitivity")
