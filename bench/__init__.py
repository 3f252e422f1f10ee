"""Benchmarks of synerise-async against hand-written aiohttp, raw httpx and the stock
openapi-python-client output, all against a lean server in a separate process.

``python -m bench`` runs everything and writes ``BENCHMARKS.md``; ``--quick`` is the
under-three-minutes variant. See ``bench/README.md``.
"""
