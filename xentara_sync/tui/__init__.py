"""``xentara-sync tui``: a live view of a Xentara in the terminal, built on Textual.

:mod:`xentara_sync.tui.app` holds the Textual application
(:class:`~xentara_sync.tui.app.XentaraApp`); :mod:`xentara_sync.tui.view` the
helpers that turn values into the text it shows. Only ``view`` imports without
Textual (``pip install "xentara-sync[tui]"``).
"""
