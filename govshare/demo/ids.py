"""Identifiers with real check characters.

* Resident ID numbers (公民身份号码, GB 11643-1999): 6-digit area code, birth
  date ``YYYYMMDD``, 3-digit sequence (odd for men, even for women) and an
  ISO 7064 MOD 11-2 check character (``X`` stands for 10).
* Unified social credit codes (统一社会信用代码, GB 32100-2015): registration
  authority, entity category, 6-digit area code, a 9-character organisation
  code (GB 11714, with its own check character) and a final check character
  computed modulo 31.

Generators take a ``random.Random`` or an explicit serial number, so the demo
world is reproducible from its seed.
"""

from __future__ import annotations

import random
import re
from datetime import date

# --- resident ID numbers (GB 11643-1999) ------------------------------------

# Weight of position i (0-based, left to right) is 2^(17 - i) mod 11.
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"  # check character for (sum of weighted digits) mod 11
_ID_PATTERN = re.compile(r"\d{17}[\dX]")


def id_check_char(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def make_id_number(area_code: str, birth: date, sequence: int) -> str:
    """The ID number for an area, a birth date and a 3-digit sequence number (odd = male)."""
    if not (len(area_code) == 6 and area_code.isdigit()):
        raise ValueError(f"area code must be 6 digits, got {area_code!r}")
    if not 0 < sequence < 1000:
        raise ValueError(f"sequence must be 1..999, got {sequence}")
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


def random_id_number(rng: random.Random, area_code: str, birth: date, *, male: bool) -> str:
    """A random ID number; unlike :func:`make_id_number` it may repeat across calls."""
    sequence = 2 * rng.randrange(500) + 1 if male else 2 * rng.randrange(1, 500)
    return make_id_number(area_code, birth, sequence)


def birth_date_of(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def is_male(id_number: str) -> bool:
    return int(id_number[16]) % 2 == 1


def is_valid_id_number(value: str) -> bool:
    """Format, a real calendar birth date and the check character (the area code is not looked up)."""
    if not _ID_PATTERN.fullmatch(value):
        return False
    try:
        birth_date_of(value)
    except ValueError:
        return False
    return id_check_char(value[:17]) == value[17]


# --- organisation codes (GB 11714-1997) -------------------------------------

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_PATTERN = re.compile(r"[0-9A-Z]{8}[0-9X]")


def _org_value(c: str) -> int:
    # Digits count as themselves, letters A..Z as 10..35.
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_check_char(body: str) -> str:
    """The check character of an 8-character organisation code body."""
    if not re.fullmatch(r"[0-9A-Z]{8}", body):
        raise ValueError(f"expected 8 characters 0-9A-Z, got {body!r}")
    c = 11 - sum(_org_value(ch) * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(value: str) -> bool:
    return bool(_ORG_PATTERN.fullmatch(value)) and org_check_char(value[:8]) == value[8]


# --- unified social credit codes (GB 32100-2015) ----------------------------

# The 31 characters of GB 32100: digits and capitals without I, O, S, V, Z.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_ALPHABET)}
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_CREDIT_PATTERN = re.compile(rf"[{CREDIT_ALPHABET}]{{18}}")
# Registration authority → the entity categories it may register (GB 32100 table 1 as
# amended): 1 机构编制, 2 外交, 3 司法行政, 4 文化, 5 民政, 6 旅游, 7 宗教, 8 工会,
# 9 工商 (1 企业, 2 个体工商户, 3 农民专业合作社), A 军队, N 农业, Y 其他.
CREDIT_CATEGORIES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}
# Bijective scramblers: serial numbers map to organisation codes that look random
# but never repeat (multipliers are coprime to the moduli).
_LETTERS_SPACE = 31**6
_DIGITS_SPACE = 10**8


def credit_check_char(first17: str) -> str:
    if len(first17) != 17 or any(c not in _CREDIT_VALUE for c in first17):
        raise ValueError(f"expected 17 characters of {CREDIT_ALPHABET}, got {first17!r}")
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_code_for(serial: int, *, legacy: bool) -> str:
    """A unique organisation code for a serial number.

    Entities registered after the 2015 reform get codes starting ``MA`` (the
    new allocation range); older ones keep the numeric code they had before.
    """
    if legacy:
        body = f"{(serial * 48_271_913 + 12_345_679) % _DIGITS_SPACE:08d}"
    else:
        n = (serial * 15_485_863 + 104_729) % _LETTERS_SPACE
        tail = ""
        for _ in range(6):
            n, r = divmod(n, 31)
            tail = CREDIT_ALPHABET[r] + tail
        body = "MA" + tail
    return body + org_check_char(body)


def make_credit_code(authority: str, category: str, area_code: str, org_code: str) -> str:
    if category not in CREDIT_CATEGORIES.get(authority, ""):
        raise ValueError(f"unknown registration authority/category {authority}{category}")
    if not is_valid_org_code(org_code):
        raise ValueError(f"invalid organisation code {org_code!r}")
    first17 = f"{authority}{category}{area_code}{org_code}"
    return first17 + credit_check_char(first17)


def is_valid_credit_code(value: str, *, check_org_code: bool = True) -> bool:
    """Format, the final check character and (by default) the embedded organisation code's own."""
    if not _CREDIT_PATTERN.fullmatch(value) or not value[2:8].isdigit():
        return False
    if value[1] not in CREDIT_CATEGORIES.get(value[0], ""):
        return False
    if check_org_code and not is_valid_org_code(value[8:17]):
        return False
    return credit_check_char(value[:17]) == value[17]
