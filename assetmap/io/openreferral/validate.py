"""Validating Open Referral records against the published schemas, offline.

The HSDS 3.0 JSON Schemas (draft 2020-12) and the Open Referral UK 3.0 profile are read
from a folder laid out as ``../shared/standards/openreferral`` is (its SOURCE.md): the
folder ``hsds-3.0/`` holds one schema per object (``service.json``, ``location.json``...,
each referring to the others by file name) and ``uk-profile-3.0/`` one JSON Merge Patch
(RFC 7386) per object over the HSDS schema of the same name (``null`` removes the object
from the profile). Every ``$ref`` resolves inside that folder through a ``referencing``
registry: nothing is fetched. Formats (uuid, uri, email, date-time) are checked.

``jsonschema`` is needed only here (``pip install 'jsonschema[format-nongpl]'``).
"""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import InputError

#: The schema sets in the standards folder: name -> sub-folder.
SCHEMA_SETS = {"hsds": "hsds-3.0", "uk": "uk-profile-3.0"}
#: Base URI the schemas are registered under (``.invalid``: never resolvable, RFC 2606).
BASE_URI = "https://openreferral-schemas.invalid"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def merge_patch(target, patch):
    """RFC 7386 JSON Merge Patch: ``patch`` applied to ``target`` (neither is changed)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"not a readable JSON schema: {e}", file=str(path)) from None


def load_schemas(folder) -> dict[str, dict[str, dict]]:
    """``{"hsds": {name: schema}, "uk": {name: schema}}`` from a standards folder (object
    schemas only: ``openapi.json`` is left out; a UK patch of ``null`` removes the object)."""
    root = Path(folder)
    hsds_dir = root / SCHEMA_SETS["hsds"]
    if not hsds_dir.is_dir():
        raise InputError("no hsds-3.0 folder: not an Open Referral standards folder",
                         file=str(root))
    hsds = {p.stem: _read_json(p) for p in sorted(hsds_dir.glob("*.json"))
            if p.name != "openapi.json"}
    uk: dict[str, dict] = {}
    for name, schema in hsds.items():
        patch_file = root / SCHEMA_SETS["uk"] / f"{name}.json"
        patched = merge_patch(schema, _read_json(patch_file)) if patch_file.exists() \
            else schema
        if patched is not None:
            uk[name] = patched
    return {"hsds": hsds, "uk": uk}


def openapi(folder, which: str = "uk") -> dict:
    """The API document: HSDS 3.0's ``openapi.json``, with the UK profile's patch over it
    for ``which="uk"``."""
    root = Path(folder)
    doc = _read_json(root / SCHEMA_SETS["hsds"] / "openapi.json")
    if which == "uk":
        doc = merge_patch(doc, _read_json(root / SCHEMA_SETS["uk"] / "openapi.json"))
    return doc


@dataclass
class Problem:
    """One validation error: which set, which object, where in it, and what."""
    schema_set: str
    entity: str
    record_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return (f"[{self.schema_set}] {self.entity} {self.record_id} at {self.path or '/'}: "
                f"{self.message}")


@dataclass
class Validator:
    """Validators for every object of both schema sets, built once from a standards
    folder: ``problems(record, "service")`` lists what is wrong with one record."""
    folder: Path
    sets: dict = field(init=False)
    _validators: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        from jsonschema import Draft202012Validator
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012
        self.sets = load_schemas(self.folder)
        for set_name, schemas in self.sets.items():
            resources = []
            for name, schema in schemas.items():
                s = dict(schema, **{"$id": f"{BASE_URI}/{set_name}/{name}.json",
                                    "$schema": DIALECT})
                resources.append((s["$id"], Resource.from_contents(
                    s, default_specification=DRAFT202012)))
            registry = Registry().with_resources(resources)
            for uri, res in resources:
                name = uri.rsplit("/", 1)[1][:-5]
                self._validators[set_name, name] = Draft202012Validator(
                    res.contents, registry=registry,
                    format_checker=Draft202012Validator.FORMAT_CHECKER)

    def entities(self, schema_set: str) -> list[str]:
        return sorted(self.sets[schema_set])

    def problems(self, record: dict, entity: str, *, sets=("hsds", "uk")) -> list[Problem]:
        """Every error of ``record`` (one ``entity`` object: service, location...) against
        each schema set in ``sets`` (an entity the UK profile removed is not checked
        there)."""
        out = []
        for set_name in sets:
            v = self._validators.get((set_name, entity))
            if v is None:
                continue
            for err in v.iter_errors(record):
                out.append(Problem(set_name, entity, str(record.get("id", "?")),
                                   "/" + "/".join(str(p) for p in err.absolute_path),
                                   err.message[:300]))
        return out

    def check_all(self, records, entity: str, *, sets=("hsds", "uk")) -> list[Problem]:
        """:meth:`problems` of every record in ``records``."""
        out: list[Problem] = []
        for r in records:
            out += self.problems(r, entity, sets=sets)
        return out
