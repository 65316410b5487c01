"""Structural validation: unknown, duplicate and missing keys, and values of the wrong type."""

from __future__ import annotations

import pytest

from tests.test_catalog_support import (
    LICENSE_ITEM_LINES,
    LICENSE_ITEMS,
    Case,
    check,
    only_problem,
    problems_of,
    variant,
    without,
)

DEPARTMENT_LINES = (
    "  police: {name: 市公安局}",
    "  market: {name: 市市场监督管理局, description: 负责电子证照}",
    "  bigdata: {name: 市政务服务和大数据管理局}",
)

UNKNOWN_KEYS: dict[str, Case] = {
    "top level": (
        {"version: 1\n": "version: 1\nresource: {}  # <-\n"},
        "unknown key 'resource' in the catalog",
        "did you mean 'resources'? allowed keys are: 'version', 'platform',",
    ),
    "platform": (
        {"  authority: bigdata\n": "  authority: bigdata\n  autority: x  # <-\n"},
        "unknown key 'autority' in platform",
        "did you mean 'authority'?",
    ),
    "department": (
        {"police: {name: 市公安局}": "police: {name: 市公安局, nmae: x}  # <-"},
        "unknown key 'nmae' in department 'police'",
        "did you mean 'name'? allowed keys are: 'name', 'description'",
    ),
    "source": (
        {"    kind: http\n": "    kind: http\n    opts: {}  # <-\n"},
        "unknown key 'opts' in source 'market_api'",
        "allowed keys are: 'department', 'kind', 'url', 'options'",
    ),
    "resource": (
        {"    update_cycle: realtime\n": "    update_cycle: realtime\n    update_cyle: x  # <-\n"},
        "unknown key 'update_cyle' in resource 'License'",
        "did you mean 'update_cycle'?",
    ),
    "item": (
        {"        business: true\n        legal": "        busines: true  # <-\n        business: true\n        legal"},
        "unknown key 'busines' in item 'criminalRecord' of resource 'Person'",
        "did you mean 'business'?",
    ),
    "relation": (
        {"        title: 持证人": "        title: 持证人\n        mny: true  # <-"},
        "unknown key 'mny' in relation 'holder' of resource 'License'",
        "did you mean 'many'? allowed keys are: 'target', 'on', 'many', 'title'",
    ),
    "no close match": (
        {"    kind: http\n": "    kind: http\n    zzz: 1  # <-\n"},
        "unknown key 'zzz' in source 'market_api'",
        "allowed keys are:",
    ),
}


@pytest.mark.parametrize("case", UNKNOWN_KEYS.values(), ids=UNKNOWN_KEYS.keys())
def test_unknown_key(case: Case) -> None:
    check(*case)


DUPLICATE_KEYS: dict[str, Case] = {
    "top level": (
        {"version: 1\n": "version: 1\nversion: 1  # <-\n"},
        "duplicate key 'version' in the catalog (first at line 2)",
        "remove one of the two 'version' entries",
    ),
    "department code": (
        {"大数据管理局}\n": "大数据管理局}\n  police: {name: x}  # <-\n"},
        "duplicate key 'police' in departments (first at line 12)",
        "rename one",
    ),
    "key inside a flow mapping": (
        {"title: 姓名, sharing: unconditional}": "title: 姓名, sharing: unconditional, title: 名字}  # <-"},
        "duplicate key 'title' in item 'name' of resource 'Person' (first at line 39)",
        "remove one",
    ),
    "item name": (
        {
            "    relations:\n      holder": "      issuedOn: {type: Date, title: x, sharing: unconditional}  # <-\n"
            "    relations:\n      holder"
        },
        "duplicate key 'issuedOn' in items of resource 'License' (first at line 65)",
        "remove one",
    ),
    "relation key": (
        {"        target: Person\n": "        target: Person\n        target: License  # <-\n"},
        "duplicate key 'target' in relation 'holder' of resource 'License' (first at line 69)",
        "remove one",
    ),
}


@pytest.mark.parametrize("case", DUPLICATE_KEYS.values(), ids=DUPLICATE_KEYS.keys())
def test_duplicate_key(case: Case) -> None:
    check(*case)


MISSING_KEYS: dict[str, Case] = {
    "top level": (
        {"# A complete": "# <- A complete", "version: 1\n": ""},
        "the catalog is missing the required key 'version'",
        "add 'version: ...'",
    ),
    "platform": (
        {"platform:\n": "platform:  # <-\n", "  authority: bigdata\n": ""},
        "platform is missing the required key 'authority'",
        "add 'authority: ...'",
    ),
    "department": (
        {"bigdata: {name: 市政务服务和大数据管理局}": "bigdata: {description: 管理局}  # <-"},
        "department 'bigdata' is missing the required key 'name'",
        "add 'name: ...'",
    ),
    "source": (
        {"  market_api:\n": "  market_api:  # <-\n", "    url: https://market.example.gov.cn/api\n": ""},
        "source 'market_api' is missing the required key 'url'",
        "add 'url: ...'",
    ),
    "several in a resource": (
        {"  License:\n": "  License:  # <-\n", "    table: licenses\n": "", "    update_cycle: realtime\n": ""},
        "resource 'License' is missing the required keys 'table', 'update_cycle'",
        "add 'table: ...', 'update_cycle: ...'",
    ),
    "item": (
        {"title: 证照编号, sharing: unconditional}": "sharing: unconditional}  # <-"},
        "item 'licenseNo' of resource 'License' is missing the required key 'title'",
        "add 'title: ...'",
    ),
    "relation": (
        {"      holder:\n": "      holder:  # <-\n", "        on: {holderId: idNumber}\n": ""},
        "relation 'holder' of resource 'License' is missing the required key 'on'",
        "add 'on: ...'",
    ),
}


@pytest.mark.parametrize("case", MISSING_KEYS.values(), ids=MISSING_KEYS.keys())
def test_missing_key(case: Case) -> None:
    check(*case)


WRONG_TYPES: dict[str, Case] = {
    "many as a quoted string": (
        {"many: true,": 'many: "yes",  # <-\n       '},
        "'many' of relation 'licenses' of resource 'Person' must be true or false, not the string 'yes'",
        "write many: true or many: false, without quotes",
    ),
    "business as a number": (
        {"        business: true\n        legal": "        business: 1  # <-\n        legal"},
        "'business' of item 'criminalRecord' of resource 'Person' must be true or false, not 1",
        "without quotes",
    ),
    "version as a string": (
        {"version: 1": 'version: "1"  # <-'},
        "'version' of the catalog must be a whole number, not the string '1'",
        "write the number without quotes",
    ),
    "version without a value": (
        {"version: 1": "version:  # <-"},
        "'version' of the catalog must be a whole number, not nothing (null)",
        "write the number without quotes",
    ),
    "unsupported version": (
        {"version: 1": "version: 2  # <-"},
        "catalog version 2 is not supported",
        "this govshare reads 'version: 1'",
    ),
    "text given a mapping": (
        {"    title: 电子证照\n": "    title:  # <-\n      zh: 电子证照\n"},
        "'title' of resource 'License' must be a text, not a mapping",
        "write a single value on the line",
    ),
    "empty text": (
        {"    table: licenses": '    table: ""  # <-'},
        "'table' of resource 'License' is empty",
        "write a value after the colon",
    ),
    "null text": (
        {"    table: licenses": "    table:  # <-"},
        "'table' of resource 'License' is empty",
        "write a value after the colon",
    ),
    "mapping given a string": (
        {"  market: {name: 市市场监督管理局, description: 负责电子证照}": "  market: 市市场监督管理局  # <-"},
        "department 'market' must be a mapping (key: value lines), not the string '市市场监督管理局'",
        "{key: value, ...}",
    ),
    "options given a number": (
        {"    options: {pool_size: 5, statement_timeout: 2.5}": "    options: 5  # <-"},
        "'options' of source 'police_db' must be a mapping (key: value lines), not 5",
        "indent the entries",
    ),
    "purpose label given a list": (
        {"    work_reference: 工作参考": "    work_reference: [工作, 参考]  # <-"},
        "purpose 'work_reference' must be a text, not a list",
        "write a single value",
    ),
    "on given a string": (
        {"        on: {holderId: idNumber}": "        on: holderId  # <-"},
        "'on' of relation 'holder' of resource 'License' must be a mapping (key: value lines), "
        "not the string 'holderId'",
        "{key: value, ...}",
    ),
    "key that is a list": (
        {"大数据管理局}\n": "大数据管理局}\n  ? [a, b]  # <-\n  : {name: x}\n"},
        "a key in departments is a list; keys must be names",
        "write a plain name",
    ),
}


@pytest.mark.parametrize("case", WRONG_TYPES.values(), ids=WRONG_TYPES.keys())
def test_wrong_type(case: Case) -> None:
    check(*case)


ALLOWED_VALUES: dict[str, Case] = {
    "category": (
        {"    category: theme": "    category: topic  # <-"},
        "'category' of resource 'License' is 'topic', which is not allowed",
        "use one of: 'base', 'theme', 'department'",
    ),
    "kind": (
        {"    kind: http": "    kind: https  # <-"},
        "'kind' of source 'market_api' is 'https', which is not allowed",
        "did you mean 'http'? use one of: 'sql', 'http'",
    ),
    "item type": (
        {"type: Date,": "type: Datetime,  # <-\n                "},
        "'type' of item 'issuedOn' of resource 'License' is 'Datetime', which is not allowed",
        "did you mean 'DateTime'? use one of: 'ID', 'String', 'Int', 'Float', 'Boolean', 'Date', 'DateTime'",
    ),
    "sharing": (
        {"        sharing: withheld": "        sharing: secret  # <-"},
        "'sharing' of item 'criminalRecord' of resource 'Person' is 'secret', which is not allowed",
        "use one of: 'unconditional', 'conditional', 'withheld'",
    ),
    "update cycle": (
        {"    update_cycle: daily": "    update_cycle: dayly  # <-"},
        "'update_cycle' of resource 'Person' is 'dayly', which is not allowed",
        "did you mean 'daily'?",
    ),
    "mask": (
        {"mask: phone}": "mask: mobile}  # <-"},
        "'mask' of item 'phone' of resource 'Person' is 'mobile', which is not allowed",
        "use one of: 'id_number', 'phone', 'name', 'address', 'full'",
    ),
}


@pytest.mark.parametrize("case", ALLOWED_VALUES.values(), ids=ALLOWED_VALUES.keys())
def test_value_not_allowed(case: Case) -> None:
    check(*case)


SHARE_METHODS: dict[str, Case] = {
    "not a list": (
        {"    share_methods: [interface]": "    share_methods: interface  # <-"},
        "'share_methods' of resource 'License' must be a non-empty list, not the string 'interface'",
        "write e.g. share_methods: [interface, query, download]",
    ),
    "null": (
        {"    share_methods: [interface]": "    share_methods:  # <-"},
        "'share_methods' of resource 'License' must be a non-empty list, not nothing (null)",
        "share_methods: [interface, query, download]",
    ),
    "empty": (
        {"    share_methods: [interface]": "    share_methods: []  # <-"},
        "must be a non-empty list, not an empty list",
        "share_methods: [interface, query, download]",
    ),
    "unknown entry": (
        {"    share_methods: [interface]": "    share_methods: [interface, fax]  # <-"},
        "'share_methods' of resource 'License' lists the string 'fax', which is not allowed",
        "use one of: 'interface', 'query', 'download'",
    ),
    "repeated entry": (
        {"    share_methods: [interface]": "    share_methods:\n      - interface\n      - interface  # <-"},
        "'share_methods' of resource 'License' lists 'interface' twice",
        "remove the second one",
    ),
}


@pytest.mark.parametrize("case", SHARE_METHODS.values(), ids=SHARE_METHODS.keys())
def test_share_methods(case: Case) -> None:
    check(*case)


EMPTY_SECTIONS: dict[str, Case] = {
    "purposes": (
        {
            "  purposes:\n": "  purposes: {}  # <-\n",
            **without(
                "    administrative_basis: 作为行政依据",
                "    work_reference: 工作参考",
                "    data_verification: 数据校核",
                "    business_collaboration: 业务协同",
            ),
        },
        "purposes must have at least one entry",
        "work_reference: 工作参考",
    ),
    "items": (
        {
            LICENSE_ITEMS: "    description: 营业执照等电子证照\n    items: {}  # <-\n",
            **without(*LICENSE_ITEM_LINES),
        },
        "items of resource 'License' must have at least one entry",
        "add one, e.g. id: {type: ID",
    ),
}


@pytest.mark.parametrize("case", EMPTY_SECTIONS.values(), ids=EMPTY_SECTIONS.keys())
def test_empty_section(case: Case) -> None:
    check(*case)


@pytest.mark.parametrize("departments", ["{}", "[police, market, bigdata]", ""])
def test_unusable_departments_are_one_problem(departments: str) -> None:
    # Everything else refers to departments; that must not turn one mistake into a dozen.
    text = variant({"departments:\n": f"departments: {departments}  # <-\n", **without(*DEPARTMENT_LINES)})
    problem = only_problem(text)
    assert problem.message.startswith("departments must ")


def test_unusable_items_are_one_problem() -> None:
    # The key and both relations refer to License's items.
    text = variant(
        {
            LICENSE_ITEMS: "    description: 营业执照等电子证照\n    items: licenseNo  # <-\n",
            **without(*LICENSE_ITEM_LINES),
        }
    )
    assert only_problem(text).message == (
        "items of resource 'License' must be a mapping (key: value lines), not the string 'licenseNo'"
    )


def test_optional_keys_may_be_null_or_empty() -> None:
    text = variant(
        {
            "    description: 营业执照等电子证照": "    description:",
            "    plural: people": '    plural: ""',
            "    relations:\n      holder:\n": "    relations:\n    xrelations:\n      holder:\n",
        }
    )
    problems = problems_of(text)
    assert [p.message for p in problems] == ["unknown key 'xrelations' in resource 'License'"]
