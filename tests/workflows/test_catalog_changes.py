"""The change report of a new catalog version: every difference, which ones break clients, which end grants."""

from __future__ import annotations

from govshare.catalog.changes import (
    CatalogChanges,
    ItemChange,
    PlatformChange,
    RelationChange,
    ResourceChange,
    catalog_changes,
    change_lines,
)
from tests.workflows.catalog_versions import (
    AGE,
    AGE_TEXT,
    EMAIL,
    NEW_EDITS,
    NICKNAME,
    NICKNAME_OPEN,
    PERMIT,
    PHONE,
    PHONE_WITHHELD,
    catalog,
)

SEAL = """\
  Seal:
    code: "L003/000001"
    title: 印章
    provider: market
    category: department
    source: market_db
    table: seal
    key: sealNo
    update_cycle: monthly
    share_methods: [interface]
    items:
      sealNo: {column: seal_no, type: ID, title: 印章编号, sharing: unconditional}
"""


def changes_to(*edits: tuple[str, str]) -> CatalogChanges:
    return catalog_changes(catalog(), catalog(*edits))


def test_identical_catalogs_change_nothing() -> None:
    changes = changes_to(("name: Changeville", "name: Changeville  # the same platform"))
    assert changes.is_empty()
    assert (changes.items, changes.breaking, changes.items_gone) == ((), (), ())
    assert changes.ended_items() == changes.moot_items() == frozenset()
    assert change_lines(changes) == ["the new catalog version changes nothing"]


def test_resources_added_and_removed() -> None:
    changes = changes_to((PERMIT, SEAL))
    assert (changes.resources_added, changes.resources_removed) == (("Seal",), ("Permit",))
    assert changes.items == () and changes.resources == ()
    assert changes.items_gone == (("Permit", "permitNo"), ("Permit", "work_scope"))
    assert changes.ended_items() == {("Permit", "permitNo"), ("Permit", "work_scope")}
    assert changes.breaking == (
        "resource Permit is removed: its type and the fields permit, permits, permitsAggregate, permitVerify go",
    )
    assert changes.item_fate("Permit", "work_scope") == "resource Permit is removed"
    assert not changes.is_empty()


def test_items_added_and_removed() -> None:
    gender = "      gender: {type: String, title: 性别, sharing: conditional, condition: 仅限统计}\n"
    changes = changes_to((EMAIL, gender))
    assert changes.items == (
        ItemChange("Person", "email", "removed", "conditional", None),
        ItemChange("Person", "gender", "added", None, "conditional"),
    )
    assert changes.items_gone == (("Person", "email"),)
    assert changes.ended_items() == {("Person", "email")}
    assert changes.breaking == ("Person.email is removed",)
    assert change_lines(changes) == [
        "Person.email is removed (was conditional)",
        "Person.gender is added (conditional)",
        "breaks: Person.email is removed",
    ]


def test_a_conditional_item_turned_withheld_ends_its_grants() -> None:
    changes = changes_to((PHONE, PHONE_WITHHELD))
    assert changes.items == (
        ItemChange("Person", "phone", "reclassified", "conditional", "withheld"),
        ItemChange("Person", "phone", "condition_changed", "仅限联系本人", None),
        ItemChange("Person", "phone", "legal_basis_changed", None, "通信管理规定"),
    )
    assert changes.ended_items() == {("Person", "phone")}
    assert changes.moot_items() == frozenset()
    assert changes.items_gone == ()
    assert changes.breaking == (
        "Person.phone turns withheld (was conditional): only the authority's decision opens it now",
    )
    assert changes.item_fate("Person", "phone") == "Person.phone turns withheld"


def test_a_conditional_item_turned_unconditional_makes_its_grants_moot() -> None:
    changes = changes_to((NICKNAME, NICKNAME_OPEN))
    assert changes.moot_items() == {("Person", "nickname")}
    assert changes.ended_items() == frozenset()
    assert changes.breaking == ()
    assert changes.broken_items() == frozenset()


def test_an_unconditional_item_turned_conditional_breaks_its_readers() -> None:
    name = "name: {type: String, title: 姓名, sharing: unconditional}"
    changes = changes_to((name, "name: {type: String, title: 姓名, sharing: conditional, condition: 仅限核对}"))
    assert changes.breaking == (
        "Person.name turns conditional (was unconditional): departments without a grant are refused it",
    )
    assert changes.broken_items() == {("Person", "name")}
    assert changes.ended_items() == frozenset()


def test_a_retyped_item_breaks_clients_but_ends_no_grant() -> None:
    changes = changes_to((AGE, AGE_TEXT))
    assert changes.items == (ItemChange("Person", "age", "retyped", "Int", "String"),)
    assert changes.breaking == ("Person.age changes type from Int to String",)
    assert changes.broken_items() == {("Person", "age")}
    assert changes.ended_items() == frozenset()
    assert changes.changed_items() == {("Person", "age")}


def test_a_changed_key() -> None:
    changes = changes_to(("key: licenseNo", "key: holderId"))
    assert changes.resources == (ResourceChange("License", "key_changed", "licenseNo", "holderId"),)
    assert changes.breaking == (
        "the key of License changes from licenseNo to holderId: license and licenseVerify take holderId instead",
    )


def test_a_changed_plural() -> None:
    changes = changes_to(("plural: people", "plural: persons"))
    assert changes.resources == (ResourceChange("Person", "plural_changed", "people", "persons"),)
    assert changes.breaking == (
        "the list field of Person changes from people to persons (and peopleAggregate to personsAggregate)",
    )


def test_a_removed_relation() -> None:
    licenses = "      licenses: {target: License, on: {idNumber: holderId}, many: true, title: 证照}\n"
    changes = changes_to(("    relations:\n" + licenses, ""))
    assert changes.relations == (RelationChange("Person", "licenses", "removed", "License", None),)
    assert changes.breaking == ("relation Person.licenses is removed",)
    assert change_lines(changes) == [
        "relation Person.licenses to License is removed",
        "breaks: relation Person.licenses is removed",
    ]


def test_a_relation_turned_into_a_list() -> None:
    holder = "holder: {target: Person, on: {holderId: idNumber}, title: 持证人}"
    changes = changes_to((holder, "holder: {target: Person, on: {holderId: idNumber}, many: true, title: 持证人们}"))
    assert changes.relations == (
        RelationChange("License", "holder", "many_changed", "one", "many"),
        RelationChange("License", "holder", "retitled", "持证人", "持证人们"),
    )
    assert changes.breaking == ("relation License.holder changes from at most one record to a list of records",)


def test_a_removed_share_method() -> None:
    changes = changes_to(("share_methods: [interface, query, download]", "share_methods: [interface, query]"))
    assert changes.resources == (ResourceChange("Person", "share_method_removed", "download", None),)
    assert changes.breaking == ("Person no longer offers download, so these are refused: bulk export (/export/Person)",)
    assert change_lines(changes)[0] == "Person: share method download is removed"


def test_an_added_share_method_and_a_new_mask_break_nothing() -> None:
    address = "address: {type: String, title: 住址, sharing: conditional, condition: 仅限送达, mask: address}"
    changes = changes_to(
        (
            "share_methods: [interface, query]\n    items:\n      licenseNo",
            "share_methods: [interface, query, download]\n    items:\n      licenseNo",
        ),
        (address, address.replace("mask: address", "mask: full")),
    )
    assert changes.resources == (ResourceChange("License", "share_method_added", None, "download"),)
    assert changes.items == (ItemChange("Person", "address", "remasked", "address", "full"),)
    assert changes.breaking == ()
    assert changes.changed_items() == {("Person", "address")}


def test_a_removed_purpose_and_a_new_department() -> None:
    changes = changes_to(
        ("    business_collaboration: 业务协同\n", ""),
        ("  health: {name: 卫健委}", "  health: {name: 卫健委}\n  tax: {name: 税务局}"),
    )
    assert changes.platform == (
        PlatformChange("purpose", "business_collaboration", "removed", "业务协同", None),
        PlatformChange("department", "tax", "added", None, "税务局"),
    )
    assert changes.breaking == (
        "purpose business_collaboration is removed: operations declaring it are refused and grants stop holding for it",
    )


def test_every_change_of_a_version_in_a_fixed_order() -> None:
    changes = changes_to(*NEW_EDITS)
    assert change_lines(changes) == [
        "resource Permit is removed",
        "Person.age: type changes from Int to String",
        "Person.email is removed (was conditional)",
        "Person.nickname: sharing changes from conditional to unconditional",
        "Person.nickname: condition changes from 仅限核对 to none",
        "Person.phone: sharing changes from conditional to withheld",
        "Person.phone: condition changes from 仅限联系本人 to none",
        "Person.phone: legal basis changes from none to 通信管理规定",
        "breaks: resource Permit is removed: its type and the fields permit, permits, permitsAggregate, permitVerify go",
        "breaks: Person.age changes type from Int to String",
        "breaks: Person.email is removed",
        "breaks: Person.phone turns withheld (was conditional): only the authority's decision opens it now",
    ]
    assert changes.ended_items() == {
        ("Person", "phone"),
        ("Person", "email"),
        ("Permit", "permitNo"),
        ("Permit", "work_scope"),
    }
    assert changes.moot_items() == {("Person", "nickname")}
    # The same pair compared again reads the same.
    assert catalog_changes(catalog(), catalog(*NEW_EDITS)) == changes
