"""Code generation for synerise-async: pull, normalise, generate and drift-check.

Run as ``python -m codegen <command>`` (see ``codegen/__main__.py``). The pipeline is::

    openapi/documents/*.yaml --merge--> one document --overlays--> --preflight-->
    openapi/build/synerise.json --openapi-python-client 0.29.1 + codegen/templates-->
    synerise_async/{api,models,types.py}
"""
