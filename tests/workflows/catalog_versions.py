"""Two versions of a small catalog for the change report: the one in force, and edits of it.

police provides Person (phone, address, email, age, nickname conditional; record withheld),
market provides License and Permit; health applies; hub is the platform authority.
"""

from __future__ import annotations

import textwrap

from govshare.catalog import Catalog, parse_catalog

OLD = textwrap.dedent(
    """\
    version: 1
    platform:
      name: Changeville
      authority: hub
      purposes:
        work_reference: 工作参考
        business_collaboration: 业务协同
    departments:
      hub: {name: 大数据局}
      police: {name: 公安局}
      market: {name: 市场监管局}
      health: {name: 卫健委}
    sources:
      police_db: {department: police, kind: sql, url: "sqlite+aiosqlite:///police.db"}
      market_db: {department: market, kind: sql, url: "sqlite+aiosqlite:///market.db"}
    resources:
      Person:
        code: "P001/000001"
        title: 人口信息
        provider: police
        category: department
        source: police_db
        table: person
        key: idNumber
        plural: people
        update_cycle: daily
        share_methods: [interface, query, download]
        items:
          idNumber: {column: id_number, type: ID, title: 身份号码, sharing: unconditional}
          name: {type: String, title: 姓名, sharing: unconditional}
          phone: {type: String, title: 电话, sharing: conditional, condition: 仅限联系本人, mask: phone}
          address: {type: String, title: 住址, sharing: conditional, condition: 仅限送达, mask: address}
          email: {type: String, title: 邮箱, sharing: conditional, condition: 仅限通知}
          age: {type: Int, title: 年龄, sharing: conditional, condition: 仅限统计}
          nickname: {type: String, title: 别名, sharing: conditional, condition: 仅限核对}
          record: {type: String, title: 违法记录, sharing: withheld, legal_basis: 个人信息保护法第三十四条}
        relations:
          licenses: {target: License, on: {idNumber: holderId}, many: true, title: 证照}
      License:
        code: "L001/000001"
        title: 证照
        provider: market
        category: department
        source: market_db
        table: license
        key: licenseNo
        update_cycle: daily
        share_methods: [interface, query]
        items:
          licenseNo: {column: license_no, type: ID, title: 编号, sharing: unconditional}
          holderId: {column: holder_id, type: ID, title: 持证人, sharing: unconditional}
          issuedOn: {column: issued_on, type: Date, title: 发证日期, sharing: conditional, condition: 仅限审批}
        relations:
          holder: {target: Person, on: {holderId: idNumber}, title: 持证人}
      Permit:
        code: "L002/000001"
        title: 许可
        provider: market
        category: department
        source: market_db
        table: permit
        key: permitNo
        update_cycle: daily
        share_methods: [interface, query]
        items:
          permitNo: {column: permit_no, type: ID, title: 许可编号, sharing: unconditional}
          work_scope: {type: String, title: 许可范围, sharing: conditional, condition: 仅限审批}
    """
)

PHONE = "phone: {type: String, title: 电话, sharing: conditional, condition: 仅限联系本人, mask: phone}"
PHONE_WITHHELD = "phone: {type: String, title: 电话, sharing: withheld, legal_basis: 通信管理规定, mask: phone}"
EMAIL = "      email: {type: String, title: 邮箱, sharing: conditional, condition: 仅限通知}\n"
AGE = "age: {type: Int, title: 年龄, sharing: conditional, condition: 仅限统计}"
AGE_TEXT = "age: {type: String, title: 年龄, sharing: conditional, condition: 仅限统计}"
NICKNAME = "nickname: {type: String, title: 别名, sharing: conditional, condition: 仅限核对}"
NICKNAME_OPEN = "nickname: {type: String, title: 别名, sharing: unconditional}"
PERMIT = OLD[OLD.index("  Permit:\n") :]


def edited(*edits: tuple[str, str], text: str = OLD) -> str:
    """``text`` with each (old, new) replaced; each old text must occur exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def catalog(*edits: tuple[str, str]) -> Catalog:
    return parse_catalog(edited(*edits), "catalog.yaml", env={})


# The version the impact tests publish: phone withheld, email gone, age text, nickname
# unconditional, Permit gone.
NEW_EDITS = ((PHONE, PHONE_WITHHELD), (EMAIL, ""), (AGE, AGE_TEXT), (NICKNAME, NICKNAME_OPEN), (PERMIT, ""))
