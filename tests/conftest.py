from tests.aioresponses_compat import mocked  # noqa: F401  (fixture)
