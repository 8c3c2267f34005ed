"""Wheel variants (PEP 825 + PEP 850): the pure policy layer.

- :mod:`.filenames`: variant wheel and ``-variants.json`` file names
- :mod:`.properties`: ``namespace :: feature :: value`` and the ``variant-properties-file``
- :mod:`.metadata`: ``-variants.json`` / ``variant.json`` of every schema generation
- :mod:`.ordering`: compatibility and preference order of labels
- :mod:`.providers`: which source answers for each namespace
- :mod:`.judgment`: a release judged: its pages combined, ranked, reasons for exclusion
- :mod:`.detect`: the built-in hardware providers
- :mod:`.cache`: on-disk cache of detection results

Nothing here imports pip; submodules are imported on demand to keep pip's start-up cheap.
"""
