"""统一社会信用代码 (GB 32100-2015), 组织机构代码 (GB 11714-1997) and 注册号 (GS15-2006).

Vectors are the worked examples of docs/domain.md §7; every other code is synthetic.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.content.uscc import (
    LEGACY_USCC,
    REGISTRATION_CLASSES,
    USCC_CHARSET,
    CodeStatus,
    check_registration_number,
    check_uscc,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
)

#: GB 32100's own example, 华为技术有限公司, and a code whose org-code check is X (docs/domain.md §7.2).
VALID_CODES = ("91350100M000100Y43", "914403001922038216", "9144030071526726XG")
LEGACY_FUJIAN = "91350100M0001TGQXM"
#: GB 32100 letter values differ from GB 11714's (M=21, Y=30 here; M=22, Y=34 there).
GB32100_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def weighted_sum(first17: str) -> int:
    """Σ value × weight over the first 17 characters, written out from docs/domain.md §7.2."""
    return sum(GB32100_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))


@pytest.mark.parametrize("code", VALID_CODES)
def test_worked_vectors_are_valid(code: str) -> None:
    assert check_uscc(code).status is CodeStatus.VALID


def test_gb32100_example_sum_and_check() -> None:
    assert weighted_sum("91350100M000100Y4") == 1640
    assert 1640 % 31 == 28
    assert uscc_check_char("91350100M000100Y4") == "3"


def test_huawei_sum_is_831() -> None:
    assert weighted_sum("91440300192203821") == 831
    assert uscc_check_char("91440300192203821") == "6"


def test_x_is_data_in_the_gb32100_sum() -> None:
    assert weighted_sum("9144030071526726X") == 1782
    assert uscc_check_char("9144030071526726X") == "G"


def test_weights_are_powers_of_three_mod_31() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == WEIGHTS


def test_y4z_is_invalid() -> None:
    # docs/domain.md §7.2's counter-example; Z is not even in the GB 32100 set.
    result = check_uscc("91350100M000100Y4Z")
    assert result.status is CodeStatus.INVALID
    assert "不允许的字符“Z”" in result.reason


@pytest.mark.parametrize("last", [c for c in USCC_CHARSET if c != "3"])
def test_wrong_check_character_is_invalid(last: str) -> None:
    result = check_uscc("91350100M000100Y4" + last)
    assert result.status is CodeStatus.INVALID
    assert result.reason == "第18位校验码错误"


@pytest.mark.parametrize(
    ("body", "check"), [("19220382", "1"), ("71526726", "X"), ("M000100Y", "4")]
)
def test_org_code_vectors(body: str, check: str) -> None:
    assert org_code_check_char(body) == check


def test_org_code_check_eleven_becomes_zero() -> None:
    # 00000001 → Σ = 2, 11 − 2 = 9; 00000000 → Σ = 0, 11 − 0 = 11 → "0".
    assert org_code_check_char("00000000") == "0"
    assert org_code_check_char("00000001") == "9"


@pytest.mark.parametrize("body", ["1922038", "192203821", "1922038a", "1922-382"])
def test_org_code_rejects_malformed_bodies(body: str) -> None:
    with pytest.raises(ValueError, match="组织机构代码"):
        org_code_check_char(body)


def test_wrong_org_check_is_reported_even_when_position_18_fits() -> None:
    first17 = "914403001922038" + "2" + "2"  # position 17 should be 1
    code = first17 + uscc_check_char(first17)
    result = check_uscc(code)
    assert result.status is CodeStatus.INVALID
    assert "第17位" in result.reason


def test_legacy_fujian_code_is_flagged_not_fixed() -> None:
    assert LEGACY_FUJIAN in LEGACY_USCC
    result = check_uscc(LEGACY_FUJIAN)
    assert result.status is CodeStatus.LEGACY
    assert "GB 32100" in result.reason
    # It really does fail the check: the expected 18th character is not M.
    assert uscc_check_char(LEGACY_FUJIAN[:17]) != LEGACY_FUJIAN[17]


def test_legacy_allow_list_is_exact() -> None:
    near = LEGACY_FUJIAN[:17] + "N"
    assert check_uscc(near).status is CodeStatus.INVALID


@pytest.mark.parametrize("code", [c.lower() for c in VALID_CODES if c != c.lower()])
def test_lower_case_is_rejected_not_upper_cased(code: str) -> None:
    result = check_uscc(code)
    assert result.status is CodeStatus.INVALID
    assert "不允许的字符" in result.reason


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9135010M000100Y43", "长度应为18位，实际为17位"),
        ("91350100M000100Y433", "长度应为18位，实际为19位"),
        ("", "长度应为18位，实际为0位"),
        ("91350100M000100Y4 ", "不允许的字符"),
        ("91350100-000100Y43", "不允许的字符“-”"),
        ("B1350100M000100Y43", "第1位登记管理部门代码“B”不存在"),
        ("94350100M000100Y43", "第2位机构类别代码“4”"),
        ("Y2350100M000100Y43", "第2位机构类别代码“2”"),
        ("913501A0M000100Y43", "第3–8位"),
    ],
)
def test_structural_errors(code: str, reason: str) -> None:
    result = check_uscc(code)
    assert result.status is CodeStatus.INVALID
    assert reason in result.reason


@pytest.mark.parametrize("letter", "IOZSV")
def test_letters_outside_the_set_are_rejected(letter: str) -> None:
    code = "91350100" + letter + "000100Y43"
    result = check_uscc(code)
    assert result.status is CodeStatus.INVALID
    assert f"不允许的字符“{letter}”" in result.reason


#: Characters a typist might substitute: the whole set, lower case and the five excluded letters.
SUBSTITUTES = USCC_CHARSET + "IOZSVabxy-"


@pytest.mark.parametrize("code", VALID_CODES)
def test_every_single_substitution_is_invalid(code: str) -> None:
    """GB 32100's mod-31 check catches every single-character error.

    31 is prime and every weight 3^k mod 31 is non-zero, so changing one of the first 17
    characters to another member of the set changes the sum mod 31; changing position 18 to
    another character breaks the equality directly; a character outside the set fails the
    character-set check. No exception was found (none of these codes is one substitution away
    from the legacy allow-list).
    """
    failures = []
    for position in range(18):
        for ch in SUBSTITUTES:
            if ch == code[position]:
                continue
            mutated = code[:position] + ch + code[position + 1 :]
            if check_uscc(mutated).status is not CodeStatus.INVALID:
                failures.append(mutated)
    assert failures == []


@pytest.mark.parametrize(("reg", "cls"), [("A", "1"), ("A", "9"), ("N", "2"), ("Y", "1")])
def test_letters_allowed_in_position_one(reg: str, cls: str) -> None:
    code = make_uscc(reg, cls, "620823", "GK000001")
    assert code.startswith(reg + cls + "620823")
    assert check_uscc(code).status is CodeStatus.VALID


def test_every_registration_class_pair_is_accepted() -> None:
    for reg, classes in REGISTRATION_CLASSES.items():
        for cls in classes:
            assert check_uscc(make_uscc(reg, cls, "620823", "MA000001")).status is CodeStatus.VALID


_BODY = st.text(alphabet=USCC_CHARSET, min_size=8, max_size=8)
_DIVISION = st.text(alphabet="0123456789", min_size=6, max_size=6)
_PAIR = st.sampled_from([(r, c) for r, cs in REGISTRATION_CLASSES.items() for c in cs])


@given(pair=_PAIR, division=_DIVISION, body=_BODY)
def test_make_uscc_round_trip(pair: tuple[str, str], division: str, body: str) -> None:
    reg, cls = pair
    code = make_uscc(reg, cls, division, body)
    assert len(code) == 18
    assert code[:16] == reg + cls + division + body
    assert code[16] == org_code_check_char(body)
    assert code[17] == uscc_check_char(code[:17])
    assert check_uscc(code).status is CodeStatus.VALID


@given(pair=_PAIR, division=_DIVISION, body=_BODY, position=st.integers(0, 17), data=st.data())
def test_generated_codes_detect_any_substitution(
    pair: tuple[str, str], division: str, body: str, position: int, data: st.DataObject
) -> None:
    code = make_uscc(pair[0], pair[1], division, body)
    ch = data.draw(st.sampled_from([c for c in SUBSTITUTES if c != code[position]]))
    mutated = code[:position] + ch + code[position + 1 :]
    assert check_uscc(mutated).status is CodeStatus.INVALID


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("9", "4", "620823", "GK000001"), "第2位"),
        (("9", "1", "62082A", "GK000001"), "第3–8位"),
        (("9", "1", "620823", "GK00000I"), "GB 32100字符集"),
        (("9", "1", "620823", "GK00001"), "组织机构代码"),
    ],
)
def test_make_uscc_rejects_bad_parts(args: tuple[str, str, str, str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_uscc(*args)


# GS15-2006 注册号: ISO 7064 MOD 11,10 over the first 14 digits; 110108000000016 is the standard's
# example.
@pytest.mark.parametrize("number", ["110108000000016", "620823600000015"])
def test_registration_number_valid(number: str) -> None:
    assert check_registration_number(number).status is CodeStatus.VALID


def test_registration_number_every_other_check_digit_is_invalid() -> None:
    for digit in "012345789":
        result = check_registration_number("11010800000001" + digit)
        assert result.status is CodeStatus.INVALID
        assert "第15位" in result.reason


@pytest.mark.parametrize("number", ["11010800000001", "1101080000000160", "11010800000001X", ""])
def test_registration_number_shape(number: str) -> None:
    result = check_registration_number(number)
    assert result.status is CodeStatus.INVALID
    assert "15位数字" in result.reason


def _gs15_check(first14: str) -> int:
    """An independent MOD 11,10 implementation (ISO 7064 hybrid system)."""
    product = 10
    for ch in first14:
        total = (product + int(ch)) % 10
        product = (2 * (total if total else 10)) % 11
    return (11 - product) % 10


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_registration_number_matches_reference(first14: str) -> None:
    number = first14 + str(_gs15_check(first14))
    assert check_registration_number(number).status is CodeStatus.VALID
