"""Q1 and Q2 as each server is asked them, and the one document shape their answers are compared in.

The shape is govshare's: ``{"data": {"people": {"nodes": [person…]}}}`` for Q1 and
``{"data": {"person": person}}`` for Q2, a person's licences as a ``licenses`` list. The floor
answers it as is; PostGraphile's answer is mapped onto it. govshare's relation lists carry no
order, so documents are compared with every person's licences sorted by licence number.
"""

from __future__ import annotations

from typing import Any

import orjson

# GraphQL name → column, in the order the answers list them.
PERSON = {"idNumber": "id_number", "name": "name", "gender": "gender", "birthDate": "birth_date",
          "district": "district", "address": "address", "phone": "phone", "ethnicity": "ethnicity"}  # fmt: skip
LICENSE = {"licenseNo": "license_no", "licenseType": "license_type", "issueDate": "issue_date",
           "expiryDate": "expiry_date"}  # fmt: skip
Q1_SIZE = 1000

_PERSON_SELECTION = " ".join(PERSON)
_LICENSE_SELECTION = " ".join(LICENSE)
GOVSHARE_Q1 = (f"query Q1 {{ people(first: {Q1_SIZE}, orderBy: [{{idNumber: ASC}}]) {{ nodes {{ "
               f"{_PERSON_SELECTION} licenses {{ {_LICENSE_SELECTION} }} }} }} }}")  # fmt: skip
GOVSHARE_Q2 = (f"query Q2($id: ID!) {{ person(idNumber: $id) {{ {_PERSON_SELECTION} "
               f"licenses {{ {_LICENSE_SELECTION} }} }} }}")  # fmt: skip
POSTGRAPHILE_Q1 = (f"query Q1 {{ allPeople(first: {Q1_SIZE}, orderBy: ID_NUMBER_ASC) {{ nodes {{ "
                   f"{_PERSON_SELECTION} licensesByHolderId(orderBy: LICENSE_NO_ASC) {{ nodes {{ "
                   f"{_LICENSE_SELECTION} }} }} }} }} }}")  # fmt: skip
POSTGRAPHILE_Q2 = (f"query Q2($id: String!) {{ personByIdNumber(idNumber: $id) {{ {_PERSON_SELECTION} "
                   f"licensesByHolderId(orderBy: LICENSE_NO_ASC) {{ nodes {{ {_LICENSE_SELECTION} }} }} "
                   "} }")  # fmt: skip


def graphql_body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return orjson.dumps({"query": query, "variables": variables or {}})


def _unwrap_person(person: dict[str, Any]) -> dict[str, Any]:
    shaped = {name: person[name] for name in PERSON}
    shaped["licenses"] = person["licensesByHolderId"]["nodes"]
    return shaped


def from_postgraphile(document: dict[str, Any]) -> dict[str, Any]:
    """PostGraphile's Q1 or Q2 answer in govshare's shape."""
    data = document.get("data") or {}
    if "allPeople" in data:
        return {"data": {"people": {"nodes": [_unwrap_person(p) for p in data["allPeople"]["nodes"]]}}}
    person = data.get("personByIdNumber")
    return {"data": {"person": _unwrap_person(person) if person else None}}


def _people(document: dict[str, Any]) -> list[dict[str, Any]]:
    data = document.get("data") or {}
    if data.get("people"):
        nodes: list[dict[str, Any]] = data["people"]["nodes"]
        return nodes
    return [data["person"]] if data.get("person") else []


def comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document with each person's licences in licence-number order (other lists keep theirs)."""
    for person in _people(document):
        person["licenses"] = sorted(person["licenses"], key=lambda lic: lic["licenseNo"])
    return document


def counts(document: dict[str, Any]) -> tuple[int, int]:
    """Persons and licences in a comparable document."""
    people = _people(document)
    return len(people), sum(len(p["licenses"]) for p in people)
