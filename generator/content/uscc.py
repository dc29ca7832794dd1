"""统一社会信用代码 (GB 32100-2015) and 组织机构代码 (GB 11714-1997) check characters.

See docs/domain.md §7. The two standards give letters different
values (GB 11714: full alphabet A=10 … Z=35; GB 32100: the 31-character set without I, O, S, V,
Z), so each has its own table.

Policy: codes are never "fixed". :func:`check_uscc` returns a :class:`CodeCheck` that says whether
the code is valid, invalid (with the reason) or a known legacy code that fails the GB 32100 check
but is real (the Fujian pilot codes issued before the standard); the caller decides what to do.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

#: GB 32100 character set, value = index.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
_USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1 3 9 27 19 26 16 …

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

#: 登记管理部门代码 → allowed 机构类别代码 (GB 32100 table and later revisions, docs/domain.md §7.1).
REGISTRATION_CLASSES: dict[str, str] = {
    "1": "1239",
    "2": "19",
    "3": "1234569",
    "4": "19",
    "5": "123459",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}

#: Codes that fail the GB 32100 check but were really issued (pilot codes before the standard).
#: Accepted with a warning, never rewritten. Source: docs/domain.md §7.4.
LEGACY_USCC = frozenset({"91350100M0001TGQXM"})


class CodeStatus(enum.Enum):
    """Outcome of a credit-code check."""

    VALID = "valid"
    LEGACY = "legacy"
    INVALID = "invalid"


@dataclass(frozen=True)
class CodeCheck:
    """Result of :func:`check_uscc`: a status and, unless valid, a reason in Chinese."""

    status: CodeStatus
    reason: str = ""


def _org_value(ch: str) -> int:
    if ch.isdigit():
        return ord(ch) - 48
    return ord(ch) - 55  # A=10 … Z=35


def org_code_check_char(body: str) -> str:
    """Return the GB 11714-1997 check character for an 8-character organisation-code body.

    Args:
        body: eight characters from ``0-9A-Z``.

    Returns:
        ``"0"``–``"9"`` or ``"X"``.

    Raises:
        ValueError: if ``body`` is not eight characters of ``0-9A-Z``.
    """
    if len(body) != 8 or not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        raise ValueError(f"组织机构代码本体应为8位数字或大写字母：{body!r}")
    total = sum(_org_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    c9 = 11 - total % 11
    if c9 == 10:
        return "X"
    if c9 == 11:
        return "0"
    return str(c9)


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character (position 18) for the first 17 characters.

    Raises:
        ValueError: if ``first17`` is not 17 characters of the GB 32100 character set.
    """
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        raise ValueError(f"前17位应为GB 32100字符集中的字符：{first17!r}")
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def check_uscc(code: str) -> CodeCheck:
    """Check an 18-character 统一社会信用代码 strictly (no normalisation).

    Checks, in order: length, character set, positions 1–2 against the registration table,
    positions 3–8 are six digits, the GB 11714 check at position 17, the GB 32100 check at
    position 18. Lower-case letters are rejected (not upper-cased): input is never rewritten.

    Returns:
        A :class:`CodeCheck`; ``LEGACY`` for allow-listed pre-standard codes.
    """
    if len(code) != 18:
        return CodeCheck(CodeStatus.INVALID, f"长度应为18位，实际为{len(code)}位")
    bad = [c for c in code if c not in _USCC_VALUE]
    if bad:
        return CodeCheck(CodeStatus.INVALID, f"含有不允许的字符“{bad[0]}”")
    classes = REGISTRATION_CLASSES.get(code[0])
    if classes is None:
        return CodeCheck(CodeStatus.INVALID, f"第1位登记管理部门代码“{code[0]}”不存在")
    if code[1] not in classes:
        return CodeCheck(CodeStatus.INVALID, f"第2位机构类别代码“{code[1]}”与登记管理部门不符")
    if not code[2:8].isdigit():
        return CodeCheck(CodeStatus.INVALID, "第3–8位行政区划码应为6位数字")
    if code in LEGACY_USCC:
        return CodeCheck(CodeStatus.LEGACY, "试点期间发放的历史代码，校验码不符合GB 32100")
    body = code[8:16]
    if not all(c.isdigit() or "A" <= c <= "Z" for c in body):
        return CodeCheck(CodeStatus.INVALID, "第9–16位主体标识码含有不允许的字符")
    if org_code_check_char(body) != code[16]:
        return CodeCheck(CodeStatus.INVALID, "第17位组织机构代码校验码错误")
    if uscc_check_char(code[:17]) != code[17]:
        return CodeCheck(CodeStatus.INVALID, "第18位校验码错误")
    return CodeCheck(CodeStatus.VALID)


def check_registration_number(number: str) -> CodeCheck:
    """Check an old 15-digit 注册号 (pre-2015 个体工商户 and enterprises).

    The 15th digit is the ISO 7064 MOD 11,10 check digit over the first 14 (GS15-2006).
    """
    if len(number) != 15 or not number.isdigit():
        return CodeCheck(CodeStatus.INVALID, "注册号应为15位数字")
    p = 10
    for ch in number[:14]:
        s = (p + int(ch)) % 10 or 10
        p = (2 * s) % 11
    check = (11 - p) % 10
    if check != int(number[14]):
        return CodeCheck(CodeStatus.INVALID, "注册号第15位校验位错误")
    return CodeCheck(CodeStatus.VALID)


def make_uscc(reg: str, cls: str, division: str, body: str) -> str:
    """Build a valid 统一社会信用代码 from its parts (used for synthetic example data).

    Args:
        reg: 登记管理部门代码 (one character).
        cls: 机构类别代码 (one character).
        division: six-digit GB/T 2260 code.
        body: eight-character organisation-code body.

    Raises:
        ValueError: if a part is malformed.
    """
    first17 = reg + cls + division + body + org_code_check_char(body)
    code = first17 + uscc_check_char(first17)
    result = check_uscc(code)
    if result.status is not CodeStatus.VALID:
        raise ValueError(f"无法生成有效代码：{result.reason}")
    return code
