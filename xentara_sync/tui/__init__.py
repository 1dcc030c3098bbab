"""``xentara-sync tui``: a live view of a Xentara in the terminal, built on Textual.

:mod:`xentara_sync.tui.command` is the command (its arguments; it imports Textual
only when it runs), :mod:`xentara_sync.tui.app` the Textual application
(:class:`~xentara_sync.tui.app.XentaraApp`), :mod:`xentara_sync.tui.screens` its
dialogs and :mod:`xentara_sync.tui.view` the helpers that turn values into the text
it shows. Only ``command`` and ``view`` import without Textual
(``pip install "xentara-sync[tui]"``).
"""
