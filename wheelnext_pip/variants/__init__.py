"""Wheel variants (PEP 825 + PEP 850): the pure policy layer.

- :mod:`.filenames`: variant wheel and ``-variants.json`` file names
- :mod:`.properties`: ``namespace :: feature :: value`` and the ``variant-properties-file``
- :mod:`.metadata`: ``-variants.json`` / ``variant.json`` of every schema generation
- :mod:`.ordering`: compatibility and preference order of labels
- :mod:`.providers`: which source answers for each namespace
- :mod:`.judgment`: a release judged: its pages combined, ranked, reasons for exclusion
- :mod:`.markers`: ``variant_namespaces``/``variant_features``/``variant_properties`` markers
- :mod:`.microarch`: the CPU micro-architecture table the CPU provider plugins match against
- :mod:`.plugins`: which provider plugins may run (``trust-providers``) and what their answer
  may hold
- :mod:`.detect`: the one door to the built-in hardware providers

These public modules decide and read nothing. What touches the machine is private, one module
per concern: each built-in provider (``_provider_nvidia``, ``_provider_x86_64``,
``_provider_aarch64``, ``_provider_tpu``, ``_provider_cpu_plugins``), the on-disk detection
cache (``_detection_cache``), the provider plugins' environment and the client of their runner
(``_plugin_env``), and the runner itself (``_plugin_runner``, run in the plugin's environment).

Nothing here imports pip; submodules are imported on demand to keep pip's start-up cheap.
"""
