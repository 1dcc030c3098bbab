"""Client commands of the ``xentara-sync`` command line: browse, read, write, watch.

Each command is a module of this package with ``configure(parser)`` and
``run(args) -> int`` (see :mod:`xentara_sync.tools.cli`); what they share (the
connection options, connecting, errors, showing and parsing values) is in
:mod:`xentara_sync.tools.common`. Nothing heavy is imported before a command runs.

Exit status: 0 on success, 1 when connecting or a request fails, 2 for a bad
command line (including a value that does not convert to the element's type).
Errors are printed as one line, ``xentara-sync: error: ...``, and never contain
the password of the URL.
"""
