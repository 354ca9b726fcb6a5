"""``covet`` sub-commands of the subsystems, loaded through the ``covet.commands`` entry points.

Each module imports only the standard library at import time: the libraries of its extra are
imported when the command runs, so a missing extra never breaks the other commands.
"""
