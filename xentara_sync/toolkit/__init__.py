"""What a test does with the events of a subscription, whatever the flavour.

* :mod:`.conditions`: what a condition is (``Wait``, ``Hold``) and what its failure
  says; the clients' ``wait_until`` and ``hold`` loop over events and ask it;
* :mod:`.recording`: a recording (``Recording``, ``Limits``) and what it writes out;
* :mod:`.plotting`: a recording as a matplotlib figure.

Nothing here opens a connection: the clients feed the events in.
"""
