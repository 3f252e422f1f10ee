"""Properties of the generated code: the mini fixture package and the installed one."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from codegen_helpers import build_mini_package, run_python

from codegen import paths
from codegen.generate import HEADER, tree_diff

HTTPX_IMPORT = re.compile(r"^\s*(import httpx|from httpx\b)", re.MULTILINE)
INSTALLED = [paths.PACKAGE_DIR / part for part in paths.GENERATED_PARTS]


def _generated_files(package: Path) -> list[Path]:
    files: list[Path] = []
    for part in paths.GENERATED_PARTS:
        target = package / part
        files.extend(
            sorted(target.rglob("*.py")) if target.is_dir() else [target] if target.exists() else []
        )
    return files


def _installed_or_skip() -> Path:
    if not all(part.exists() for part in INSTALLED):
        pytest.skip("synerise_async has not been generated yet (run `make generate`)")
    return paths.PACKAGE_DIR


@pytest.mark.parametrize("which", ["mini", "installed"])
def test_every_generated_file_starts_with_the_header(which: str, mini_package: Path) -> None:
    """Every generated file's first line is the DO NOT EDIT header."""
    package = mini_package if which == "mini" else _installed_or_skip()
    files = _generated_files(package)
    assert files
    bad = [str(f) for f in files if f.read_text(encoding="utf-8").splitlines()[0] != HEADER]
    assert bad == []
    assert "DO NOT EDIT" in HEADER


def test_no_httpx_import_anywhere_in_the_package(mini_package: Path) -> None:
    """Nothing in synerise_async (hand-written or generated) nor the mini package imports httpx."""
    files = [*paths.PACKAGE_DIR.rglob("*.py"), *mini_package.rglob("*.py")]
    assert [str(f) for f in files if HTTPX_IMPORT.search(f.read_text(encoding="utf-8"))] == []
    assert not any(
        "HTTPStatus" in f.read_text(encoding="utf-8") for f in _generated_files(mini_package)
    )


def test_importing_one_endpoint_loads_only_its_models(mini_package: Path) -> None:
    """Importing listPets loads just the models it needs, not every model (lazy models/__init__)."""
    out = run_python(
        """
        import sys
        import synerise_async.api.pets.list_pets
        print(sorted(m for m in sys.modules if m.startswith("synerise_async.models.")))
        """,
        mini_package,
    )
    # PetPage's nested models (PageMeta, Cat, Dog) load on first parse, not on import.
    assert ast.literal_eval(out) == [
        "synerise_async.models.pet_page",
        "synerise_async.models.pet_status",
    ]


def test_installed_endpoint_import_is_bounded() -> None:
    """Any one installed endpoint module loads at most 15 model modules (5 today)."""
    package = _installed_or_skip()
    out = run_python(
        """
        import sys
        from synerise_async.api import REGISTRY, load
        assert sys.modules.keys().isdisjoint(e.module for e in REGISTRY.values())
        worst = 0
        for op_id in sorted(REGISTRY):
            before = {m for m in sys.modules if m.startswith("synerise_async.models.")}
            for m in before:
                del sys.modules[m]
            load(op_id)
            worst = max(worst, sum(m.startswith("synerise_async.models.") for m in sys.modules))
        print(worst, len(REGISTRY))
        """,
        package,
    )
    worst, count = map(int, out.split())
    assert count > 0 and worst <= 15


def test_operation_record_carries_the_spec_extensions(mini_package: Path) -> None:
    """OPERATION holds method, security names, api_version and pagination in Python names and JSON keys."""
    out = run_python(
        """
        from synerise_async.api.pets import list_pets, create_pet, delete_pet
        from synerise_async._transport import Operation, Pagination
        assert list_pets.OPERATION == Operation(
            operation_id="listPets", method="GET", path="/v4/pets", tag="pets", security=("JWT",),
            api_version="4.4",
            pagination=Pagination(style="page", items="data", page_param="page",
                                  size_param="limit", total="meta_data.total_count",
                                  items_key="data", total_key="metaData.totalCount"),
        ), list_pets.OPERATION
        assert create_pet.OPERATION.security == ("JWT", "Basic")
        assert create_pet.OPERATION.retry == "event-salt"
        assert delete_pet.OPERATION.deprecated and delete_pet.OPERATION.unconfirmed
        import inspect
        assert "api_version" not in inspect.signature(list_pets.asyncio).parameters
        print("ok")
        """,
        mini_package,
    )
    assert out.strip() == "ok"


def test_endpoint_calls_the_transport_and_parses(mini_package: Path) -> None:
    """asyncio() hands OPERATION and a typed RequestParts to client.request and returns .parsed;
    path values stay unformatted for the client to check and quote."""
    out = run_python(
        """
        import asyncio, datetime
        from synerise_async._transport import RawResponse, RequestParts, Response
        from synerise_async.api.pets import list_pets, delete_pet
        from synerise_async.models.pet_status import PetStatus

        class FakeTransport:
            async def request(self, operation, kwargs, parse):
                raw = RawResponse(200, {}, b'{"data": [{"kind": "dog", "name": "Rex"}], "metaData": {"totalCount": 1}}')
                return Response(200, {}, raw.content, await self.call(operation, kwargs, parse))

            async def call(self, operation, kwargs, parse):
                self.seen = (operation.operation_id, kwargs)
                return parse(RawResponse(200, {}, b'{"data": [{"kind": "dog", "name": "Rex"}], "metaData": {"totalCount": 1}}'))

        client = FakeTransport()
        since = datetime.datetime(2024, 5, 1, tzinfo=datetime.timezone.utc)
        page = asyncio.run(list_pets.asyncio(client=client, page=2, status=PetStatus.SOLD, since=since))
        assert client.seen == ("listPets", RequestParts(method="GET", url="/v4/pets",
            params={"page": 2, "status": "sold", "since": "2024-05-01T00:00:00+00:00"})), client.seen
        assert type(page.data[0]).__name__ == "Dog" and page.meta_data.total_count == 1
        parts = delete_pet._get_kwargs("a/b")
        assert (parts.url, parts.path_params) == ("/v4/pets/{pet_id}", {"pet_id": "a/b"}), parts
        assert delete_pet._parse_response(RawResponse(204, {}, b"")) is None
        try:
            delete_pet._parse_response(RawResponse(200, {}, b"{}"))
        except Exception as exc:
            assert type(exc).__name__ == "UnexpectedStatusError"
        else:
            raise AssertionError("an undocumented 200 must raise")
        print("ok")
        """,
        mini_package,
    )
    assert out.strip() == "ok"


def test_discriminated_union_picks_the_variant_by_its_tag(mini_package: Path) -> None:
    """A dog whose fields would also fit Cat parses as Dog: the discriminator decides."""
    out = run_python(
        """
        from synerise_async.api.pets import create_pet
        from synerise_async._transport import RawResponse
        pet = create_pet._parse_response(RawResponse(201, {}, b'{"kind": "dog", "name": "Rex", "indoor": true}'))
        print(type(pet).__name__, pet.to_dict() == {"kind": "dog", "name": "Rex", "indoor": True})
        """,
        mini_package,
    )
    assert out.split() == ["Dog", "True"]


def test_unknown_enum_value_is_kept_and_round_trips(mini_package: Path) -> None:
    """An enum value the spec does not list parses to an unnamed member and is sent back unchanged."""
    out = run_python(
        """
        from synerise_async.models.page_meta import PageMeta
        from synerise_async.models.pet_status import PetStatus
        meta = PageMeta.from_dict({"status": "reserved"})
        assert meta.status == "reserved" and isinstance(meta.status, PetStatus)
        assert not meta.status.is_known and PetStatus.SOLD.is_known
        assert meta.to_dict() == {"status": "reserved"}
        assert PetStatus("sold") is PetStatus.SOLD
        assert [m.value for m in PetStatus] == ["available", "sold"]
        print("ok")
        """,
        mini_package,
    )
    assert out.strip() == "ok"


def test_epoch_and_iso_timestamps_parse_and_round_trip(mini_package: Path) -> None:
    """date-time fields accept epoch seconds, epoch millis and ISO strings, and send each back as received."""
    out = run_python(
        """
        import copy, datetime, pickle
        from synerise_async.models.client_model import ClientModel
        utc = datetime.timezone.utc
        wire = {"id": 7, "created": 1700000000123, "updated": "2024-05-01T10:00:00Z", "expiration": 1700003600}
        model = ClientModel.from_dict(wire)
        assert model.created == datetime.datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=utc)
        assert model.updated == datetime.datetime(2024, 5, 1, 10, 0, tzinfo=utc)
        assert model.expiration == 1700003600 and type(model.expiration) is int
        assert model.to_dict() == wire
        assert ClientModel.from_dict({"id": 1, "created": 1700000000}).created == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)
        assert copy.deepcopy(model).to_dict() == wire and pickle.loads(pickle.dumps(model)).to_dict() == wire
        model.created = model.created + datetime.timedelta(seconds=1)
        assert model.to_dict()["created"] == "2023-11-14T22:13:21.123000+00:00"
        print("ok")
        """,
        mini_package,
    )
    assert out.strip() == "ok"


def test_parse_errors_name_the_model(mini_package: Path) -> None:
    """A missing required key raises KeyError with a note naming each enclosing model."""
    out = run_python(
        """
        from synerise_async.models.pet_page import PetPage
        try:
            PetPage.from_dict({})
        except KeyError as exc:
            print(exc.args[0], exc.__notes__)
        try:
            PetPage.from_dict([1])
        except TypeError as exc:
            print(exc)
        """,
        mini_package,
    )
    assert out.splitlines() == [
        "data ['while parsing PetPage']",
        "PetPage expects a JSON object, got list",
    ]


def test_parse_reads_the_source_without_copying_or_changing_it(mini_package: Path) -> None:
    """from_dict leaves its source as is, copies unknown keys in order, accepts any Mapping,
    maps enum values (known, unknown, bool for int) like Enum(value) and names bad nested fields."""
    out = run_python(
        """
        import types
        from synerise_async.models.client_model import ClientModel
        from synerise_async.models.client_model_tier import ClientModelTier
        from synerise_async.models.pet_page import PetPage
        src = {"z": 1, "id": 7, "tier": 2, "a": [1]}
        model = ClientModel.from_dict(src)
        assert src == {"z": 1, "id": 7, "tier": 2, "a": [1]} and list(src) == ["z", "id", "tier", "a"]
        assert model.additional_properties == {"z": 1, "a": [1]}
        assert list(model.to_dict()) == ["z", "a", "id", "tier"]
        model["b"] = 2
        assert "b" not in src and ClientModel.from_dict({"id": 1}).additional_properties == {}
        assert ClientModel.from_dict(types.MappingProxyType(src)) == ClientModel.from_dict(src)
        assert model.tier is ClientModelTier.VALUE_2
        assert ClientModel.from_dict({"id": 1, "tier": True}).tier is ClientModelTier.VALUE_1
        assert not ClientModel.from_dict({"id": 1, "tier": 9}).tier.is_known
        page = PetPage.from_dict({"data": [], "metaData": {"status": ["sold"]}})
        try:
            page.meta_data.status
        except Exception as exc:
            print(type(exc).__name__, exc.model, exc.field, type(exc.__cause__).__name__)
        """,
        mini_package,
    )
    # Fields are parsed on first read: the bad enum value is found there, named by model and field.
    assert out.splitlines() == ["ResponseFieldError PageMeta status ValueError"]


def test_registry_lists_operations_without_importing_them(mini_package: Path) -> None:
    """api.REGISTRY maps operationId to module, tag, method, path and pagination; load() imports lazily."""
    out = run_python(
        """
        import sys
        from synerise_async.api import REGISTRY, load
        assert not any(m.startswith("synerise_async.api.pets.") for m in sys.modules)
        assert REGISTRY["listPets"] == ("synerise_async.api.pets.list_pets", "pets", "GET", "/v4/pets", "page")
        assert load("getOwner").OPERATION.security == ("TrackerKey",)
        print(sorted(REGISTRY))
        """,
        mini_package,
    )
    assert out.strip() == "['createPet', 'deletePet', 'getOwner', 'listPets']"


def test_generation_is_deterministic(tmp_path: Path, mini_package: Path) -> None:
    """Two generations of the same spec are byte-identical, and tree_diff spots a changed file."""
    again = build_mini_package(tmp_path)
    assert tree_diff(mini_package, again) == []
    target = again / "models" / "cat.py"
    target.write_text(target.read_text(encoding="utf-8") + "# edit\n", encoding="utf-8")
    (again / "models" / "extra.py").write_text("", encoding="utf-8")
    assert tree_diff(mini_package, again) == [
        "extra:   synerise_async/models/extra.py",
        "changed: synerise_async/models/cat.py",
    ]


def test_committed_generated_code_is_current() -> None:
    """synerise_async/{api,models,types.py} equal a fresh generation from openapi/ (`make generate`)."""
    _installed_or_skip()
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "check"],
        capture_output=True,
        text=True,
        cwd=paths.ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_any_generator_warning_fails_generation(tmp_path: Path) -> None:
    """A part the generator would drop with a warning fails the run (like --fail-on-warning)."""
    from codegen_helpers import json_response, make_doc, op

    from codegen.errors import CodegenError
    from codegen.generate import generate_package

    xml_only = op("getX", responses=json_response({"type": "object"}, media="application/xml"))
    with pytest.raises(CodegenError, match="Unsupported content_type application/xml"):
        generate_package(make_doc({"/x": {"get": xml_only}}), tmp_path)
