"""Cross-reference, sharing (R3, R4), key, relation and naming rules of the catalog."""

from __future__ import annotations

from textwrap import dedent, indent

import pytest

from govshare.catalog import parse_catalog
from tests.test_catalog_support import VALID_TEXT, Case, check, problems_of, variant, without

REFERENCES: dict[str, Case] = {
    "authority": (
        {"  authority: bigdata": "  authority: bigdta  # <-"},
        "'authority' of platform is 'bigdta', which is not a defined department",
        "did you mean 'bigdata'? defined departments are: 'police', 'market', 'bigdata'",
    ),
    "department of a source": (
        {"    department: market\n": "    department: markt  # <-\n"},
        "'department' of source 'market_api' is 'markt', which is not a defined department",
        "did you mean 'market'?",
    ),
    "provider": (
        {"    provider: market": "    provider: mkt  # <-"},
        "'provider' of resource 'License' is 'mkt', which is not a defined department",
        "defined departments are: 'police', 'market', 'bigdata'",
    ),
    "source of a resource": (
        {"    source: market_api": "    source: market_db  # <-"},
        "'source' of resource 'License' is 'market_db', which is not a defined source",
        "did you mean 'market_api'? defined sources are: 'police_db', 'market_api'",
    ),
    "provider that does not own the source": (
        {"    provider: market": "    provider: police  # <-"},
        "resource 'License' is provided by 'police', but its source 'market_api' belongs to 'market'",
        "a department can only share its own data: set provider: market, or use a source of 'police'",
    ),
    "target of a relation": (
        {"        target: Person": "        target: Persn  # <-"},
        "'target' of relation 'holder' of resource 'License' is 'Persn', which is not a defined resource",
        "did you mean 'Person'?",
    ),
}


@pytest.mark.parametrize("case", REFERENCES.values(), ids=REFERENCES.keys())
def test_unknown_reference(case: Case) -> None:
    check(*case)


SHARING: dict[str, Case] = {
    "R3: withheld without legal_basis": (
        {
            "        sharing: withheld": "        sharing: withheld  # <-",
            **without("        legal_basis: 《中华人民共和国个人信息保护法》第三十四条"),
        },
        "item 'criminalRecord' of resource 'Person' is withheld but cites no legal_basis (R3)",
        "add legal_basis: naming the law or regulation that withholds it",
    ),
    "R3: withheld with an empty legal_basis": (
        {"        legal_basis: 《中华人民共和国个人信息保护法》第三十四条": '        legal_basis: "  "  # <-'},
        "item 'criminalRecord' of resource 'Person' is withheld but cites no legal_basis (R3)",
        "add legal_basis:",
    ),
    "conditional without condition": (
        {
            "sharing: conditional,\n                 business: true, condition: 仅限办理业务时联系本人, mask: phone}": (
                "sharing: conditional,  # <-\n                 business: true, mask: phone}"
            )
        },
        "item 'phone' of resource 'Person' is conditional but states no condition",
        "add condition: saying when it is shared",
    ),
    "R4: conditional base item": (
        {"title: 姓名, sharing: unconditional}": "title: 姓名, sharing: conditional, condition: 仅限核验}  # <-"},
        "item 'name' of resource 'Person' is conditional, but the base items of a base resource must be "
        "unconditional (R4)",
        "make it unconditional, or mark it 'business: true' if it is a business item",
    ),
    "R4: withheld base item": (
        {
            "        sharing: withheld": "        sharing: withheld  # <-",
            "        business: true\n        legal": "        legal",
        },
        "item 'criminalRecord' of resource 'Person' is withheld, but the base items of a base resource",
        "business: true",
    ),
    "R4: explicitly not a business item": (
        {
            "        sharing: withheld": "        sharing: withheld  # <-",
            "business: true\n        legal": "business: false\n        legal",
        },
        "item 'criminalRecord' of resource 'Person' is withheld, but the base items",
        "make it unconditional",
    ),
    "R4 holds in every base resource": (
        {
            "    category: theme": "    category: base",
            "type: Date, title: 发证日期, sharing: conditional,": (
                "type: Date, title: 发证日期, sharing: conditional,  # <-"
            ),
        },
        "item 'issuedOn' of resource 'License' is conditional, but the base items of a base resource",
        "business: true",
    ),
}


@pytest.mark.parametrize("case", SHARING.values(), ids=SHARING.keys())
def test_sharing_rule(case: Case) -> None:
    check(*case)


def test_r4_allows_conditional_items_outside_base_resources() -> None:
    # License is a theme resource: its non-business item issuedOn may be conditional.
    assert parse_catalog(VALID_TEXT, env={}).resources["License"].items["issuedOn"].business is False


KEYS: dict[str, Case] = {
    "not an item": (
        {"    key: licenseNo": "    key: licenceNo  # <-"},
        "key 'licenceNo' of resource 'License' is not one of its items",
        "did you mean 'licenseNo'? its items are: 'licenseNo', 'holderId', 'issuedOn'",
    ),
    "conditional": (
        {"    key: idNumber": "    key: phone  # <-"},
        "key 'phone' of resource 'Person' is a conditional item; the key must be unconditional",
        "use an unconditional item as key, or make 'phone' unconditional",
    ),
    "withheld": (
        {"    key: idNumber": "    key: criminalRecord  # <-"},
        "key 'criminalRecord' of resource 'Person' is a withheld item; the key must be unconditional",
        "use an unconditional item as key",
    ),
}


@pytest.mark.parametrize("case", KEYS.values(), ids=KEYS.keys())
def test_key_rule(case: Case) -> None:
    check(*case)


UPDATED: dict[str, Case] = {
    "not an item": (
        {
            "    description: 营业执照等电子证照\n": "    description: 营业执照等电子证照\n    updated_item: issuedAt  # <-\n"
        },
        "updated_item 'issuedAt' of resource 'License' is not one of its items",
        "did you mean 'issuedOn'?",
    ),
    "not a date": (
        {
            "    description: 营业执照等电子证照\n": "    description: 营业执照等电子证照\n    updated_item: holderId  # <-\n"
        },
        "updated_item 'holderId' of resource 'License' is a String item; it must say when a record was updated",
        "name an item of type Date or DateTime",
    ),
}


@pytest.mark.parametrize("case", UPDATED.values(), ids=UPDATED.keys())
def test_updated_item_rule(case: Case) -> None:
    check(*case)


def test_an_updated_item_of_type_date_is_kept() -> None:
    text = VALID_TEXT.replace(
        "    description: 营业执照等电子证照\n", "    description: 营业执照等电子证照\n    updated_item: issuedOn\n"
    )
    assert parse_catalog(text, "cat.yaml", env={}).resources["License"].updated_item == "issuedOn"


RELATIONS: dict[str, Case] = {
    "composite join": (
        {"        on: {holderId: idNumber}": "        on: {holderId: idNumber, licenseNo: name}  # <-"},
        "relation 'holder' of resource 'License' joins on 2 item pairs (holderId, licenseNo); "
        "composite joins are not supported",
        "join on exactly one pair, on: {localItem: targetItem}",
    ),
    "empty join": (
        {"        on: {holderId: idNumber}": "        on: {}  # <-"},
        "relation 'holder' of resource 'License' joins on no item pair",
        "write on: {localItem: targetItem}",
    ),
    "local item missing": (
        {"        on: {holderId: idNumber}": "        on: {holder: idNumber}  # <-"},
        "relation 'holder' of resource 'License' joins on 'holder', which is not an item of License",
        "did you mean 'holderId'? items of License are:",
    ),
    "target item missing": (
        {"        on: {holderId: idNumber}": "        on: {holderId: idNo}  # <-"},
        "relation 'holder' of resource 'License' joins to 'idNo', which is not an item of Person",
        "items of Person are: 'idNumber', 'name', 'phone', 'criminalRecord'",
    ),
    "types differ": (
        {"        on: {holderId: idNumber}": "        on: {issuedOn: idNumber}  # <-"},
        "relation 'holder' of resource 'License' joins issuedOn (Date) to Person.idNumber (ID); the types must agree",
        "ID and String join with each other",
    ),
    "target item given as a list": (
        {"        on: {holderId: idNumber}": "        on: {holderId: [idNumber]}  # <-"},
        "the target item joined to 'holderId' in relation 'holder' of resource 'License' must be a text, not a list",
        "write a single value",
    ),
    "name of an item": (
        {"      holder:\n": "      holderId:  # <-\n"},
        "relation 'holderId' of resource 'License' has the same name as one of its items",
        "items and relations are both fields of License",
    ),
    "name starting upper-case": (
        {"      holder:\n": "      Holder:  # <-\n"},
        "relation 'Holder' of resource 'License' must start with a lower-case letter (it becomes a GraphQL field)",
        "rename it to 'holder'",
    ),
}


@pytest.mark.parametrize("case", RELATIONS.values(), ids=RELATIONS.keys())
def test_relation_rule(case: Case) -> None:
    check(*case)


def test_id_joins_string() -> None:
    catalog = parse_catalog(VALID_TEXT, env={})
    person, license_ = catalog.resources["Person"], catalog.resources["License"]
    assert (person.items["idNumber"].type, license_.items["holderId"].type) == ("ID", "String")
    assert person.relations["licenses"].remote == "holderId"


def rename_license(name: str) -> dict[str, str]:
    """Edits renaming the License resource (marking its line) and the relation pointing at it."""
    return {"  License:\n": f"  {name}:  # <-\n", "{target: License,": f"{{target: {name},"}


NAMES: dict[str, Case] = {
    "resource starting lower-case": (
        rename_license("license"),
        "resource 'license' must start with an upper-case letter (it becomes a GraphQL type)",
        "rename it to 'License'",
    ),
    "resource not a GraphQL name": (
        rename_license("E-License"),
        "resource 'E-License' is not a valid GraphQL name (letters, digits and _, not starting with a digit)",
        "rename it to 'ELicense'",
    ),
    "resource starting with __": (
        rename_license("__License"),
        "resource '__License' starts with '__', which GraphQL reserves for itself",
        "rename it to 'License'",
    ),
    "resource named like a built-in type": (
        rename_license("Query"),
        "resource 'Query' has the name of a type every schema defines",
        "rename it, e.g. 'QueryRecord'",
    ),
    "resource named like a generated type": (
        rename_license("PersonFilter"),
        "resource 'PersonFilter' has the name of the filter input generated for resource 'Person'",
        "rename one of the two resources",
    ),
    "item starting upper-case": (
        {
            "      licenseNo:": "      LicenseNo:",
            "    key: licenseNo": "    key: LicenseNo",
            "证照编号, sharing: unconditional}": ("证照编号, sharing: unconditional}  # <-"),
        },
        "item 'LicenseNo' of resource 'License' must start with a lower-case letter (it becomes a GraphQL field)",
        "rename it to 'licenseNo'",
    ),
    "item with a space": (
        {
            "      name:     {type: String, title: 姓名, sharing: unconditional}": (
                "      full name: {type: String, title: 姓名, sharing: unconditional}  # <-"
            )
        },
        "item 'full name' of resource 'Person' is not a valid GraphQL name",
        "rename it to 'fullName'",
    ),
    "item in Chinese": (
        {
            "      name:     {type: String, title: 姓名, sharing: unconditional}": (
                "      姓名: {type: String, title: 姓名, sharing: unconditional}  # <-"
            )
        },
        "item '姓名' of resource 'Person' is not a valid GraphQL name",
        "rename it with letters, digits and _",
    ),
    "item named like a filter operator": (
        {
            "      name:     {type: String, title: 姓名, sharing: unconditional}": (
                "      not: {type: String, title: 姓名, sharing: unconditional}  # <-"
            )
        },
        "item 'not' of resource 'Person' has the name of a filter operator ('and', 'or', 'not')",
        "rename it, e.g. 'notValue'",
    ),
    "plural starting upper-case": (
        {"    plural: people": "    plural: People  # <-"},
        "plural 'People' of resource 'Person' must start with a lower-case letter (it becomes a GraphQL field)",
        "rename it to 'people'",
    ),
    "plural not a GraphQL name": (
        {"    plural: people": "    plural: 人口  # <-"},
        "plural '人口' of resource 'Person' is not a valid GraphQL name",
        "rename it with letters, digits and _",
    ),
    "purpose code": (
        {"    work_reference: 工作参考": "    work-reference: 工作参考  # <-"},
        "purpose code 'work-reference' is not a valid GraphQL name",
        "rename it to 'workReference'",
    ),
}


@pytest.mark.parametrize("case", NAMES.values(), ids=NAMES.keys())
def test_name_rule(case: Case) -> None:
    check(*case)


ROOT_FIELDS: dict[str, Case] = {
    "plural taken by another resource": (
        {"    key: licenseNo\n": "    key: licenseNo\n    plural: people  # <-\n"},
        "the list field 'people' of resource 'License' collides with the list field of resource 'Person' (line 26)",
        "set plural: to another name, or change the other resource",
    ),
    "single taken by another resource's plural": (
        rename_license("People"),
        "the one-record field 'people' of resource 'People' collides with the list field of resource 'Person' "
        "(line 26)",
        "rename the resource, or change the other resource",
    ),
    "single taken by the platform": (
        # 'Me' is also the platform's type for the `me` field: one problem, about the type.
        rename_license("Me"),
        "resource 'Me' has the name of a type every schema defines",
        "rename it, e.g. 'MeRecord'",
    ),
    "plural taken by the platform": (
        {"    plural: people": "    plural: catalog  # <-"},
        "the list field of resource 'Person' would be 'catalog', a root field the platform defines",
        "set plural: to another name",
    ),
    "plural equal to the single": (
        {"    plural: people": "    plural: person  # <-"},
        "resource 'Person' would generate 'person' as both its one-record field and its list field",
        "set plural: to another name, e.g. 'personList'",
    ),
}


@pytest.mark.parametrize("case", ROOT_FIELDS.values(), ids=ROOT_FIELDS.keys())
def test_root_field_collision(case: Case) -> None:
    check(*case)


def test_duplicate_resource_code() -> None:
    check(
        {'    code: "1020200002/000001"': '    code: "1010100001/000001"  # <-'},
        "resource code '1010100001/000001' of resource 'License' is already used by resource 'Person' (line 27)",
        "every resource needs its own 信息资源代码",
    )


def test_same_table_twice_on_one_source_is_fine() -> None:
    # Two resources may be views of one table (e.g. a narrower resource for another purpose).
    resident = """\
        Resident:
          code: "1010100001/000002"
          title: 居民
          provider: police
          category: theme
          source: police_db
          table: person
          key: idNumber
          update_cycle: daily
          share_methods: [query]
          items:
            idNumber: {column: id_number, type: ID, title: 公民身份号码, sharing: unconditional}
    """
    catalog = parse_catalog(VALID_TEXT + indent(dedent(resident), "  "), env={})
    assert catalog.resources["Resident"].table == catalog.resources["Person"].table == "person"


MANY_PROBLEMS = """\
version: 1
platform:
  name: 测试平台
  authority: bigdata
  purposes: {work_reference: 工作参考}
departments:
  police: {name: 市公安局}
  bigdata: {name: 市政务服务和大数据管理局}
sources:
  police_db: {department: police, kind: sql, url: "${POLICE_DB_URL}"}
resources:
  Person:
    code: "1010100001/000001"
    title: 人口基础信息
    provider: polce
    category: base
    source: police_db
    table: person
    key: idNumber
    update_cycle: daily
    share_methods: [interface]
    items:
      idNumber: {column: id_number, type: ID, title: 公民身份号码, sharing: unconditional}
      phone: {type: String, title: 联系电话, sharing: conditional, condition: 仅限联系本人}
      criminalRecord: {type: String, title: 违法犯罪记录, sharing: withheld, business: true}
      birthDate: {type: Date, title: 出生日期, sharing: unconditional, busines: false}
    relations:
      household: {target: Household, on: {idNumber: headId}, many: "no", title: 户}
"""


def test_every_problem_is_reported_at_once() -> None:
    problems = problems_of(MANY_PROBLEMS)
    assert [(p.line, p.message) for p in problems] == [
        (10, "environment variable POLICE_DB_URL is not set"),
        (15, "'provider' of resource 'Person' is 'polce', which is not a defined department"),
        (
            24,
            "item 'phone' of resource 'Person' is conditional, but the base items of a base resource must be "
            "unconditional (R4)",
        ),
        (25, "item 'criminalRecord' of resource 'Person' is withheld but cites no legal_basis (R3)"),
        (26, "unknown key 'busines' in item 'birthDate' of resource 'Person'"),
        (28, "'many' of relation 'household' of resource 'Person' must be true or false, not the string 'no'"),
        (28, "'target' of relation 'household' of resource 'Person' is 'Household', which is not a defined resource"),
    ]
    assert all(p.file == "cat.yaml" and p.hint for p in problems)


# --- code sets (values) ---------------------------------------------------------------------------------------

ISSUED_ON = "                 condition: 仅限审批业务使用, description: 首次发证日期}"


def _kind(values: str, mark: str = "") -> dict[str, str]:
    """Edits adding an item 'kind' with the code set ``values`` after issuedOn."""
    kind = f"kind: {{type: String, title: 证照类型, sharing: unconditional, values: {values}}}{mark}"
    return {ISSUED_ON: f"{ISSUED_ON}\n      {kind}"}


def test_a_code_set_is_read_in_order() -> None:
    catalog = parse_catalog(variant(_kind("[营业执照, 食品经营许可证]")), "cat.yaml")
    assert catalog.resources["License"].items["kind"].values == ("营业执照", "食品经营许可证")
    assert catalog.resources["License"].items["issuedOn"].values is None


CODE_SETS: dict[str, Case] = {
    "on a Date item": (
        {ISSUED_ON: "                 condition: 仅限审批业务使用, values: [2020-01-01]}  # <-"},
        "item 'issuedOn' of resource 'License' lists values, but it is a Date: only String and ID items have a code set",
        "remove 'values', or make the item's type String",
    ),
    "empty": (_kind("[]", "  # <-"), "'values' of item 'kind'", "write e.g. values: [甲, 乙]"),
    "a value twice": (_kind("[甲, 甲]", "  # <-"), "lists '甲' twice", "remove the second one"),
}


@pytest.mark.parametrize("case", CODE_SETS.values(), ids=CODE_SETS.keys())
def test_code_set_rule(case: Case) -> None:
    check(*case)
