"""The demo catalog (政务信息资源目录) of Kaifeng's departments, as model objects.

Base resources (人口, 法人, 空间地理, 电子证照) share their base items
unconditionally and keep business items conditional or withheld (R4); every
withheld item cites its legal basis (R3).
"""

from __future__ import annotations

from pathlib import Path

from govshare.catalog.model import Catalog, Category, Department, Platform, Resource, Source
from govshare.demo.spec import (
    BLOOD_TYPES,
    BOOL,
    DATE,
    FLOAT,
    HEALTH_INFO,
    ID,
    INT,
    MARITAL_STATUSES,
    PIPL,
    PIPL_SENSITIVE,
    STR,
    C,
    R,
    U,
    W,
    items,
    relations,
)

PLATFORM = Platform(
    name="开封市政务数据共享平台",
    authority="bigdata",
    purposes={
        "administrative_basis": "作为行政依据",
        "work_reference": "工作参考",
        "data_verification": "数据校核",
        "business_collaboration": "业务协同",
    },
)

DEPARTMENTS = {
    d.code: d
    for d in (
        Department("police", "市公安局"),
        Department("market", "市市场监督管理局"),
        Department("elicense", "市电子证照管理中心"),
        Department("natres", "市自然资源和规划局"),
        Department("hrss", "市人力资源和社会保障局"),
        Department("ndrc", "市发展和改革委员会"),
        Department("health", "市卫生健康委员会"),
        Department("bigdata", "市政务服务和大数据管理局"),
    )
}

# SQL sources: (source name, department, database file, environment variable).
# Annual-report figures an enterprise chose not to publish.
ANNUAL_REPORT = "《企业信息公示暂行条例》第九条（企业选择不公示的年度报告信息）"

SQL_SOURCES = (
    ("police_db", "police", "police.db", "POLICE_DB_URL"),
    ("market_db", "market", "market.db", "MARKET_DB_URL"),
    ("elicense_db", "elicense", "elicense.db", "ELICENSE_DB_URL"),
    ("natres_db", "natres", "natres.db", "NATRES_DB_URL"),
    ("hrss_db", "hrss", "hrss.db", "HRSS_DB_URL"),
    ("health_db", "health", "health.db", "HEALTH_DB_URL"),
)
# The credit records are served over HTTP from this file (see ``credit_source``).
CREDIT_DB = "credit.db"
CREDIT_URL = "${CREDIT_API_URL:-http://127.0.0.1:8766}"

PERSON = Resource(
    name="Person", code="1010100001/000001", title="人口基础信息", provider="police",
    category=Category.BASE, source="police_db", table="person", key="idNumber", plural="people",
    update_cycle="daily", share_methods=("interface", "query", "download"),
    items=items(
        U("idNumber", ID, "公民身份号码", mask="id_number"),
        U("name", STR, "姓名", mask="name"),
        U("gender", STR, "性别"),
        U("ethnicity", STR, "民族"),
        U("birthDate", DATE, "出生日期"),
        U("district", STR, "户籍所在区县"),
        U("householdType", STR, "户别"),
        U("education", STR, "文化程度"),
        U("status", STR, "人口状态"),
        C("address", STR, "户籍地址", "仅限办理户籍、社会保障、不动产登记等依申请事项时核对住址", mask="address"),
        C("phone", STR, "联系电话", "仅限办理业务时联系本人", mask="phone"),
        C("maritalStatus", STR, "婚姻状况", "仅限婚姻登记、住房保障、社会救助资格审核", values=MARITAL_STATUSES),
        W("criminalRecord", STR, "违法犯罪记录", f"{PIPL}第二十八条、第三十四条"),
    ),
    relations=relations(
        R("licenses", "License", "idNumber", "holderId", "持有的电子证照"),
        R("insurance", "SocialInsurance", "idNumber", "idNumber", "社会保险参保记录"),
        R("healthRecord", "HealthRecord", "idNumber", "idNumber", "居民健康档案", many=False),
        R("landParcels", "LandParcel", "idNumber", "ownerId", "作为权利人的宗地"),
        R("legalEntities", "LegalEntity", "idNumber", "legalRepresentativeId", "担任法定代表人的市场主体"),
    ),
)  # fmt: skip

LEGAL_ENTITY = Resource(
    name="LegalEntity", code="1020100001/000001", title="法人基础信息（市场主体登记）", provider="market",
    category=Category.BASE, source="market_db", table="legal_entity", key="creditCode",
    plural="legalEntities", update_cycle="daily", share_methods=("interface", "query", "download"),
    items=items(
        U("creditCode", ID, "统一社会信用代码"),
        U("name", STR, "名称"),
        U("type", STR, "市场主体类型"),
        U("legalRepresentativeId", ID, "法定代表人（负责人、经营者）身份号码", mask="id_number"),
        U("legalRepresentativeName", STR, "法定代表人（负责人、经营者）姓名", mask="name"),
        U("registeredCapital", FLOAT, "注册资本（万元）"),
        U("establishedDate", DATE, "成立日期"),
        U("district", STR, "所在区县"),
        U("address", STR, "住所（经营场所）"),
        U("businessScope", STR, "经营范围"),
        U("status", STR, "登记状态"),
        U("registrationAuthority", STR, "登记机关"),
        C("phone", STR, "联系电话", "仅限开展监管执法、政务服务时联系市场主体", mask="phone"),
        C("employees", INT, "从业人数", "仅限就业统计、社会保险稽核业务使用"),
        W("annualRevenue", FLOAT, "营业总收入（万元）", ANNUAL_REPORT),
    ),
    relations=relations(
        R("legalRepresentative", "Person", "legalRepresentativeId", "idNumber", "法定代表人", many=False),
        R("licenses", "License", "creditCode", "holderId", "持有的电子证照"),
        R("creditRecords", "CreditRecord", "creditCode", "creditCode", "公共信用信息"),
        R("landParcels", "LandParcel", "creditCode", "ownerId", "作为权利人的宗地"),
        R("insuredEmployees", "SocialInsurance", "creditCode", "employerCode", "参保职工记录"),
    ),
)  # fmt: skip

LICENSE = Resource(
    name="License", code="1050100001/000001", title="电子证照信息", provider="elicense",
    category=Category.BASE, source="elicense_db", table="license", key="licenseNumber",
    plural="licenses", update_cycle="realtime", share_methods=("interface", "query"),
    items=items(
        U("licenseNumber", ID, "证照编号"),
        U("type", STR, "证照类型"),
        U("holderId", ID, "持证主体代码（公民身份号码或统一社会信用代码）"),
        U("holderType", STR, "持证主体类型"),
        U("holderName", STR, "持证主体名称", mask="name"),
        U("issuer", STR, "发证机关"),
        U("issueDate", DATE, "发证日期"),
        U("expiryDate", DATE, "有效期截止日期（空为长期有效）"),
        U("status", STR, "证照状态"),
        C("surfaceInfo", STR, "证照照面信息", "仅限办理政务服务事项并经持证主体授权后调用"),
        W("holderPhoto", STR, "持证人照片", f"{PIPL_SENSITIVE}（生物识别信息属于敏感个人信息）"),
    ),
    relations=relations(
        R("holderPerson", "Person", "holderId", "idNumber", "持证自然人", many=False),
        R("holderEntity", "LegalEntity", "holderId", "creditCode", "持证市场主体", many=False),
    ),
)  # fmt: skip

LAND_PARCEL = Resource(
    name="LandParcel", code="1030100001/000001", title="宗地及不动产登记信息", provider="natres",
    category=Category.BASE, source="natres_db", table="land_parcel", key="parcelCode",
    plural="landParcels", update_cycle="daily", share_methods=("interface", "query"),
    items=items(
        U("parcelCode", ID, "宗地代码"),
        U("location", STR, "坐落"),
        U("district", STR, "所在区县"),
        U("area", FLOAT, "宗地面积（平方米）"),
        U("landUse", STR, "土地用途"),
        U("rightType", STR, "权利类型"),
        U("rightNature", STR, "权利性质"),
        U("ownerId", ID, "权利人证件号码", mask="id_number"),
        U("ownerType", STR, "权利人类型"),
        U("ownerName", STR, "权利人名称", mask="name"),
        U("registeredOn", DATE, "登记日期"),
        U("useTermEnd", DATE, "使用期限截止日期"),
        C("transactionPrice", FLOAT, "成交价款（万元）", "仅限税收征管、住房保障资格审核使用"),
        C("mortgaged", BOOL, "是否设定抵押", "仅限金融监管、司法协助、住房保障业务核验"),
        W("mortgageInfo", STR, "抵押权人及被担保债权数额", "《不动产登记暂行条例》第二十八条"),
    ),
    relations=relations(
        R("ownerPerson", "Person", "ownerId", "idNumber", "权利人（自然人）", many=False),
        R("ownerEntity", "LegalEntity", "ownerId", "creditCode", "权利人（市场主体）", many=False),
    ),
)  # fmt: skip

SOCIAL_INSURANCE = Resource(
    name="SocialInsurance", code="2010300001/000001", title="社会保险参保信息", provider="hrss",
    category=Category.THEME, source="hrss_db", table="social_insurance", key="recordId",
    plural="socialInsurances", update_cycle="monthly", share_methods=("interface", "query"),
    items=items(
        U("recordId", ID, "参保记录编号"),
        U("idNumber", ID, "公民身份号码", mask="id_number"),
        U("name", STR, "姓名", mask="name"),
        U("insuranceType", STR, "险种"),
        U("status", STR, "参保状态"),
        U("startDate", DATE, "参保日期"),
        U("employerCode", ID, "参保单位统一社会信用代码"),
        U("employerName", STR, "参保单位名称"),
        C("paymentBase", FLOAT, "缴费基数（元/月）", "仅限住房公积金、住房保障、社会救助资格审核使用"),
        C("monthsPaid", INT, "累计缴费月数", "仅限退休审批、落户和购房资格审核使用"),
        W("accountBalance", FLOAT, "个人账户余额（元）", "《中华人民共和国社会保险法》第八十一条"),
    ),
    relations=relations(
        R("person", "Person", "idNumber", "idNumber", "参保人", many=False),
        R("employer", "LegalEntity", "employerCode", "creditCode", "参保单位", many=False),
    ),
)  # fmt: skip

CREDIT_RECORD = Resource(
    name="CreditRecord", code="2020100001/000001", title="公共信用信息（双公示及红黑名单）",
    provider="ndrc", category=Category.THEME, source="credit_api", table="credit_record",
    key="recordId", plural="creditRecords", update_cycle="daily",
    share_methods=("interface", "query", "download"),
    items=items(
        U("recordId", ID, "信用记录编号"),
        U("creditCode", ID, "统一社会信用代码"),
        U("entityName", STR, "主体名称"),
        U("recordType", STR, "信用信息类别"),
        U("title", STR, "事项名称"),
        U("documentNumber", STR, "决定文书号"),
        U("decidedOn", DATE, "决定日期"),
        U("validUntil", DATE, "公示截止日期"),
        U("authority", STR, "决定机关"),
        U("status", STR, "公示状态"),
        C("penaltyAmount", FLOAT, "罚没金额（万元）", "仅限信用联合奖惩、评优评先、招标投标资格审核使用"),
        W("caseDetails", STR, "案件调查细节", "《中华人民共和国行政处罚法》第五十条"),
    ),
    relations=relations(
        R("entity", "LegalEntity", "creditCode", "creditCode", "信用主体", many=False),
    ),
)  # fmt: skip

HEALTH_RECORD = Resource(
    name="HealthRecord", code="3130100001/000001", title="居民电子健康档案", provider="health",
    category=Category.DEPARTMENT, source="health_db", table="health_record", key="recordId",
    plural="healthRecords", update_cycle="monthly", share_methods=("interface",),
    items=items(
        U("recordId", ID, "居民健康档案编号"),
        U("idNumber", ID, "公民身份号码", mask="id_number"),
        U("name", STR, "姓名", mask="name"),
        U("managingInstitution", STR, "建档机构"),
        U("createdOn", DATE, "建档日期"),
        U("familyDoctorSigned", BOOL, "是否签约家庭医生"),
        C("bloodType", STR, "血型", "仅限应急救治、无偿献血和临床用血业务", values=BLOOD_TYPES),
        C("lastCheckup", DATE, "最近一次健康体检日期", "仅限老年人健康管理、慢病随访和基本公共卫生服务考核"),
        C("vaccinationComplete", BOOL, "免疫规划疫苗是否全程接种", "仅限入托、入学预防接种证查验"),
        W("chronicDiseases", STR, "慢性病管理类别", HEALTH_INFO),
        W("diagnosis", STR, "最近一次就诊诊断", f"{HEALTH_INFO}；{PIPL_SENSITIVE}"),
        W("medicalHistory", STR, "既往病史", f"{HEALTH_INFO}；{PIPL_SENSITIVE}"),
    ),
    relations=relations(R("person", "Person", "idNumber", "idNumber", "档案所属居民", many=False)),
)  # fmt: skip

RESOURCES: dict[str, Resource] = {
    r.name: r for r in (PERSON, LEGAL_ENTITY, LICENSE, LAND_PARCEL, SOCIAL_INSURANCE, CREDIT_RECORD, HEALTH_RECORD)
}


def sources(directory: Path) -> dict[str, Source]:
    """Sources with environment overrides whose defaults are the absolute paths of the files.

    Absolute, because a relative SQLite path would be resolved against the
    server's working directory, not the catalog's.
    """
    root = directory.resolve()
    out = {
        name: Source(name, dept, "sql", f"${{{env}:-sqlite+aiosqlite:///{(root / file).as_posix()}}}")
        for name, dept, file, env in SQL_SOURCES
    }
    out["credit_api"] = Source("credit_api", "ndrc", "http", CREDIT_URL)
    return out


def demo_catalog(directory: Path) -> Catalog:
    return Catalog(
        version=1,
        platform=PLATFORM,
        departments=DEPARTMENTS,
        sources=sources(directory),
        resources=RESOURCES,
    )


def credit_source(directory: Path) -> tuple[Path, dict[str, str]]:
    """The credit database and its collections (collection → key column) for the HTTP source app."""
    key = CREDIT_RECORD.key_item.column
    return directory.resolve() / CREDIT_DB, {CREDIT_RECORD.table: key}
