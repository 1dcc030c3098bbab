"""The ``xentara-sync`` command line: :mod:`.cli` (``main``, the entry point; also
``python -m xentara_sync``) and the client commands: browse, read, write, watch,
record, snapshot, and ``demo``.

Each command is a module with ``configure(parser)`` and ``run(args) -> int`` (see
:mod:`xentara_sync.tools.cli`); what they share (the connection options,
connecting, errors, showing and parsing values) is in
:mod:`xentara_sync.tools.common`. The commands of a package of their own live
there: ``simulate`` in :mod:`xentara_sync.simulator.cli`, ``tui`` in
:mod:`xentara_sync.tui.command`, ``bench`` in :mod:`xentara_sync.bench`. Nothing
heavy is imported before a command runs.

Exit status: 0 on success, 1 when connecting or a request fails, 2 for a bad
command line (including a value that does not convert to the element's type).
Errors are printed as one line, ``xentara-sync: error: ...``, and never contain
the password of the URL.
"""
