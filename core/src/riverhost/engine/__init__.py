"""The job engine: what runs jobs in a host process.

``host`` wires a running host and its stop; ``producer`` fetches per queue; ``executor`` runs
one attempt and decides its outcome; ``completer`` writes outcomes in batches; ``notifier``
listens for River's notifications; ``supervisor`` runs several engine processes.
"""

from __future__ import annotations
