"""Loading catalogs: the model built from a valid file, files and YAML errors, `${VAR}` expansion."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from govshare.catalog import (
    Catalog,
    CatalogError,
    Category,
    Department,
    Item,
    ItemType,
    Platform,
    Problem,
    Relation,
    Sharing,
    Source,
    load_catalog,
    parse_catalog,
)
from tests.test_catalog_support import VALID_PATH, VALID_TEXT, only_problem, problems_of, variant


@pytest.fixture
def catalog() -> Catalog:
    return load_catalog(VALID_PATH, env={})


def test_platform_and_departments(catalog: Catalog) -> None:
    assert catalog.version == 1
    assert catalog.platform == Platform(
        name="开封市政务数据共享平台",
        authority="bigdata",
        purposes={
            "administrative_basis": "作为行政依据",
            "work_reference": "工作参考",
            "data_verification": "数据校核",
            "business_collaboration": "业务协同",
        },
    )
    assert catalog.departments == {
        "police": Department("police", "市公安局"),
        "market": Department("market", "市市场监督管理局", description="负责电子证照"),
        "bigdata": Department("bigdata", "市政务服务和大数据管理局"),
    }


def test_sources_keep_free_form_options(catalog: Catalog) -> None:
    police, market = catalog.sources["police_db"], catalog.sources["market_api"]
    assert police == Source("police_db", "police", "sql", "sqlite+aiosqlite:///./govshare-demo/police.db")
    assert police.options == {"pool_size": 5, "statement_timeout": 2.5}
    assert market == Source("market_api", "market", "http", "https://market.example.gov.cn/api")
    assert market.options == {}


def test_resource_fields(catalog: Catalog) -> None:
    person = catalog.resources["Person"]
    assert (person.code, person.title, person.provider, person.category) == (
        "1010100001/000001",
        "人口基础信息",
        "police",
        Category.BASE,
    )
    assert (person.source, person.table, person.key, person.plural) == ("police_db", "person", "idNumber", "people")
    assert person.update_cycle == "daily"
    assert person.share_methods == ("interface", "query", "download")
    assert person.description is None
    assert person.root_fields == ("person", "people", "peopleAggregate", "personVerify")
    license_ = catalog.resources["License"]
    assert license_.plural == "licenses"  # default_plural
    assert license_.description == "营业执照等电子证照"
    assert catalog.resource_by_code("1020200002/000001") is license_


def test_items(catalog: Catalog) -> None:
    items = catalog.resources["Person"].items
    assert list(items) == ["idNumber", "name", "phone", "criminalRecord"]
    assert items["idNumber"] == Item("idNumber", "id_number", ItemType.ID, "公民身份号码", Sharing.UNCONDITIONAL)
    assert items["name"].column == "name"  # column defaults to the item name
    assert items["phone"] == Item(
        "phone",
        "phone",
        ItemType.STRING,
        "联系电话",
        Sharing.CONDITIONAL,
        business=True,
        condition="仅限办理业务时联系本人",
        mask="phone",
    )
    assert items["criminalRecord"].sharing is Sharing.WITHHELD
    assert items["criminalRecord"].legal_basis == "《中华人民共和国个人信息保护法》第三十四条"
    issued = catalog.resources["License"].items["issuedOn"]
    assert (issued.type, issued.business, issued.description) == (ItemType.DATE, False, "首次发证日期")


def test_relations_both_ways(catalog: Catalog) -> None:
    assert catalog.resources["Person"].relations == {
        "licenses": Relation("licenses", "License", "idNumber", "holderId", many=True, title="持有的电子证照"),
    }
    assert catalog.resources["License"].relations == {
        "holder": Relation("holder", "Person", "holderId", "idNumber", many=False, title="持证人"),
    }


def test_path_and_digest(catalog: Catalog) -> None:
    assert catalog.path == str(VALID_PATH)
    assert catalog.digest == hashlib.sha256(VALID_TEXT.encode("utf-8")).hexdigest()
    parsed = parse_catalog(VALID_TEXT, env={})
    assert parsed.path == "<catalog>"
    assert parsed.digest == catalog.digest


def test_load_catalog_accepts_str_path() -> None:
    assert load_catalog(str(VALID_PATH), env={}).resources.keys() == {"Person", "License"}


def test_missing_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(CatalogError) as caught:
        load_catalog(missing)
    [problem] = caught.value.problems
    assert problem.line == 0
    assert str(problem).startswith(f"{missing}: cannot read the catalog: No such file or directory")


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("version: 1\nplatform: {name: 开封}\n".encode("gbk"))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert "cannot read the catalog" in caught.value.problems[0].message
    assert "UTF-8" in caught.value.problems[0].hint


def test_yaml_syntax_error_names_its_line() -> None:
    text = "version: 1\nplatform:\n  name: a: b  # <-\n"
    problem = only_problem(text)
    assert problem.message == "YAML syntax error: mapping values are not allowed here"
    assert "column 10" in problem.hint


def test_unclosed_flow_mapping() -> None:
    problem = problems_of("version: 1\ndepartments: {police: {name: x}\n")[0]
    assert problem.message.startswith("YAML syntax error: while parsing a flow mapping")
    assert problem.line == 3


def test_several_documents_are_rejected() -> None:
    problem = problems_of("version: 1\n---\nversion: 1\n")[0]
    assert "expected a single document" in problem.message
    assert problem.line == 2


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_catalog(text: str) -> None:
    [problem] = problems_of(text)
    assert (problem.line, problem.message) == (1, "the catalog is empty")


def test_top_level_must_be_a_mapping() -> None:
    problem = only_problem("- version: 1  # <-\n")
    assert problem.message == "the catalog must be a mapping (key: value lines), not a list"


def test_error_lists_every_problem_sorted_by_line() -> None:
    text = variant({"key: licenseNo": "key: nope", "title: 人口基础信息": "title: [a]"})
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "cat.yaml", env={})
    lines = str(caught.value).splitlines()
    assert [p.line for p in caught.value.problems] == [28, 58]
    assert lines[0].startswith("cat.yaml:28: 'title' of resource 'Person' must be a text, not a list (hint: ")
    assert lines[1].startswith("cat.yaml:58: key 'nope' of resource 'License' is not one of its items (hint: ")


def test_problem_format() -> None:
    assert str(Problem("a.yaml", 3, "bad", "fix it")) == "a.yaml:3: bad (hint: fix it)"
    assert str(Problem("a.yaml", 0, "unreadable", "")) == "a.yaml: unreadable"


def test_aliases_reuse_a_value() -> None:
    text = variant(
        {
            "name: 市公安局}": "name: &police_name 市公安局}",
            "title: 证照编号": "title: *police_name",
        }
    )
    catalog = parse_catalog(text, env={})
    assert catalog.resources["License"].items["licenseNo"].title == "市公安局"


def test_merge_keys_are_refused() -> None:
    text = variant({"  market_api:\n    department: market\n": "  market_api:\n    <<: {department: market}\n"})
    missing, merge = problems_of(text)
    assert (merge.line, merge.message) == (22, "merge keys (<<) are not supported in source 'market_api'")
    assert (missing.line, missing.message) == (21, "source 'market_api' is missing the required key 'department'")


def test_custom_tags_are_refused() -> None:
    text = variant({"many: true,": "many: !secret true,  # <-\n       "})
    problem = only_problem(text)  # the value is still read, as if untagged: no second problem
    assert problem.message == "YAML tag '!secret' is not supported in a catalog"
    assert "${VARIABLE}" in problem.hint


def test_date_like_text_that_is_no_date() -> None:
    text = variant({"many: true,": "many: 2024-13-45,  # <-\n       "})
    assert only_problem(text).message.endswith("must be true or false, not 2024-13-45")


def test_options_are_plain_data() -> None:
    text = variant(
        {"{pool_size: 5, statement_timeout: 2.5}": "{pool_size: 5, since: 2024-01-31, hosts: &h [a, b], also: *h}"}
    )
    options = parse_catalog(text, env={}).sources["police_db"].options
    assert options == {"pool_size": 5, "since": date(2024, 1, 31), "hosts": ["a", "b"], "also": ["a", "b"]}


def test_example_in_the_docs_is_valid() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "catalog.md").read_text(encoding="utf-8")
    example = docs.split("## Example\n\n```yaml\n", 1)[1].split("```", 1)[0]
    catalog = parse_catalog(example, env={})
    assert list(catalog.resources) == ["Person", "License"]
    assert catalog.resources["Person"].relations["licenses"].target == "License"


# --- `${VAR}` expansion -------------------------------------------------------------------------


def source_url(text: str, env: dict[str, str]) -> str:
    return parse_catalog(text, env=env).sources["police_db"].url


def test_default_used_when_variable_unset() -> None:
    assert source_url(VALID_TEXT, {}) == "sqlite+aiosqlite:///./govshare-demo/police.db"


def test_variable_overrides_default() -> None:
    assert source_url(VALID_TEXT, {"POLICE_DB_URL": "postgresql+asyncpg://db/police"}) == (
        "postgresql+asyncpg://db/police"
    )


def test_empty_variable_takes_default_like_the_shell() -> None:
    assert source_url(VALID_TEXT, {"POLICE_DB_URL": ""}).startswith("sqlite+aiosqlite")


def test_expansion_inside_a_longer_value_and_several_references() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: https://${HOST}:${PORT:-443}/api"})
    catalog = parse_catalog(text, env={"HOST": "market.gov"})
    assert catalog.sources["market_api"].url == "https://market.gov:443/api"


def test_empty_default_and_empty_variable() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: https://m${SUFFIX:-}.gov${EMPTY}/api"})
    assert parse_catalog(text, env={"EMPTY": ""}).sources["market_api"].url == "https://m.gov/api"


def test_unset_variable_without_default_is_a_problem() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: ${MARKET_URL}  # <-"})
    problem = only_problem(text)
    assert problem.message == "environment variable MARKET_URL is not set"
    assert "${MARKET_URL:-value}" in problem.hint


def test_malformed_reference() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: https://${1HOST}/api  # <-"})
    assert only_problem(text).message == "malformed environment reference '${1HOST}'"


def test_unterminated_reference() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: https://${HOST/api  # <-"})
    assert only_problem(text).message == "malformed environment reference '${'"


def test_double_dollar_writes_a_literal_reference() -> None:
    text = variant({"url: https://market.example.gov.cn/api": "url: https://host/$${NOT_EXPANDED}"})
    assert parse_catalog(text, env={}).sources["market_api"].url == "https://host/${NOT_EXPANDED}"


def test_value_is_typed_after_expansion() -> None:
    # Quoted, as a reference inside {...} must be; the type still comes from the expanded text.
    text = variant({"many: true": 'many: "${JOIN_MANY:-true}"', "version: 1": "version: ${CATALOG_VERSION}"})
    catalog = parse_catalog(text, env={"JOIN_MANY": "false", "CATALOG_VERSION": "1"})
    assert catalog.resources["Person"].relations["licenses"].many is False
    assert catalog.version == 1


def test_expanded_value_of_the_wrong_type() -> None:
    text = variant({"many: true,": 'many: "${JOIN_MANY}",  # <-\n       '})
    problem = only_problem(text, env={"JOIN_MANY": "sometimes"})
    assert problem.message == (
        "'many' of relation 'licenses' of resource 'Person' must be true or false, not the string 'sometimes'"
    )


def test_block_text_is_never_retyped() -> None:
    text = variant({"description: 营业执照等电子证照": "description: |\n      ${N}"})
    assert parse_catalog(text, env={"N": "12"}).resources["License"].description == "12\n"


def test_references_in_keys_are_not_expanded() -> None:
    text = variant({"version: 1\n": "version: 1\n${EXTRA}: x  # <-\n"})
    assert only_problem(text, env={"EXTRA": "platform"}).message == "unknown key '${EXTRA}' in the catalog"


def test_env_defaults_to_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLICE_DB_URL", "sqlite:///from-environ.db")
    assert load_catalog(VALID_PATH).sources["police_db"].url == "sqlite:///from-environ.db"
