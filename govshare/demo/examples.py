"""Example queries over the demo world (only unconditionally shared items, so any department may run them)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from govshare.demo.catalog import LICENSE, PERSON
from govshare.demo.licenses import PERSON_HOLDER


@dataclass(frozen=True, slots=True)
class Example:
    title_zh: str
    title_en: str
    query: str

    @property
    def title(self) -> str:
        return f"{self.title_zh} / {self.title_en}"


LOOKUP_QUERY = """\
query PersonLookup($idNumber: ID!) {
  person(idNumber: $idNumber) {
    idNumber
    name
    gender
    ethnicity
    birthDate
    district
    licenses {
      licenseNumber
      type
      issuer
      issueDate
      expiryDate
      status
    }
  }
}
"""

JOIN_QUERY = """\
query EntitiesWithRepresentatives {
  legalEntities(
    filter: {district: {eq: "鼓楼区"}, status: {eq: "存续"}}
    orderBy: [{establishedDate: DESC}]
    first: 5
  ) {
    totalCount
    nodes {
      creditCode
      name
      type
      registeredCapital
      establishedDate
      legalRepresentative {
        name
        gender
        birthDate
        district
      }
      licenses {
        type
        licenseNumber
        issuer
        expiryDate
        status
      }
    }
    pageInfo {
      hasNextPage
      endCursor
    }
  }
}
"""

AGGREGATE_QUERY = """\
query PeopleByDistrict {
  peopleAggregate(groupBy: [district]) {
    count
    groups {
      key
      count
    }
  }
}
"""


def sample_person_id(directory: Path) -> str:
    """A working-age resident of the world in ``directory`` with a driving licence and two more licences."""
    holder, kind, type_ = (LICENSE.items[n].column for n in ("holderId", "holderType", "type"))
    with sqlite3.connect(f"file:{Path(directory) / 'elicense.db'}?mode=ro", uri=True) as conn:
        row = conn.execute(
            f"SELECT {holder} FROM {LICENSE.table}"
            f" WHERE {kind} = ? AND substr({holder}, 7, 4) BETWEEN '1970' AND '2000'"  # birth year
            f" GROUP BY {holder} HAVING count(*) >= 3 AND max({type_} = '机动车驾驶证') LIMIT 1",
            (PERSON_HOLDER,),
        ).fetchone()
    if row is None:  # a tiny world: fall back to any resident
        with sqlite3.connect(f"file:{Path(directory) / 'police.db'}?mode=ro", uri=True) as conn:
            row = conn.execute(f"SELECT {PERSON.key_item.column} FROM {PERSON.table} LIMIT 1").fetchone()
    return str(row[0])


def lookup_query(id_number: str) -> str:
    """The lookup with the ID number written in (for pasting where variables are awkward)."""
    return LOOKUP_QUERY.replace("query PersonLookup($idNumber: ID!)", "query PersonLookup").replace(
        "$idNumber", f'"{id_number}"'
    )


def example_queries(directory: Path) -> list[Example]:
    """The three demo queries, the lookup filled in with a real resident of ``directory``."""
    return [
        Example("按身份号码查询人口及其电子证照", "Look up a resident and their e-licences",
                lookup_query(sample_person_id(directory))),
        Example("跨部门关联：市场主体、法定代表人与电子证照",
                "Cross-department join: legal entities with representatives and licences", JOIN_QUERY),
        Example("按区县统计人口", "Residents per district (aggregate)", AGGREGATE_QUERY),
    ]  # fmt: skip
