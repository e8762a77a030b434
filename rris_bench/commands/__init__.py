"""The ``rris-bench`` subcommands: thin click commands over the job folders, loaded on demand by the CLI."""
