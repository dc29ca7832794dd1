"""The QR parts of a phone's file (docs/mobile.md §5.2, ``generator/mobile/qrparts.py``): any
file round-trips through its parts in any order; each part is a QR code of version ≤ 25 at
level M that an independent decoder (zxing-cpp) reads back; a file too large, a part cut,
altered, missing, renumbered or mixed up, and hostile text are refused with a message naming
the ``--qr-text`` they came from."""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worked_example import values

from generator.errors import BundleError
from generator.mobile import qrparts
from generator.mobile.qrparts import CHUNK, MAX_FILE_BYTES, MAX_PART_CHARS, MAX_PARTS, PREFIX

ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def _noise(size: int, label: str = "noise") -> bytes:
    """``size`` bytes that DEFLATE cannot shrink (SHA-256 in counter mode)."""
    out = b"".join(hashlib.sha256(f"{label}/{i}".encode()).digest() for i in range(size // 32 + 1))
    return out[:size]


def _part(i: int, n: int, data: bytes, chunk: str) -> str:
    return f"{PREFIX}{i}/{n}:{hashlib.sha256(data).hexdigest()[:16].upper()}:{chunk}"


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush()


def _refused(texts: list[str], *words: str) -> str:
    with pytest.raises(BundleError) as caught:
        qrparts.decode(texts)
    message = str(caught.value)
    for word in words:
        assert word in message, message
    return message


@settings(max_examples=60, deadline=None)
@given(st.binary(min_size=1, max_size=6000), st.randoms(use_true_random=False))
def test_any_file_round_trips_in_any_order(data: bytes, rnd: object) -> None:
    parts = qrparts.encode(data)
    assert 1 <= len(parts) <= MAX_PARTS
    for i, part in enumerate(parts, start=1):
        assert part.startswith(f"{PREFIX}{i}/{len(parts)}:")
        assert len(part) <= MAX_PART_CHARS
        assert set(part) <= ALPHANUMERIC
    sizes = [len(p.rsplit(":", 1)[1]) for p in parts]
    assert max(sizes) - min(sizes) <= 1  # the data is cut evenly
    shuffled = parts[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    (got,) = qrparts.decode(shuffled)
    assert got.data == data
    # A scanner that types with Caps Lock on gives lower-case letters: read alike.
    assert qrparts.decode([p.lower() for p in parts])[0].data == data


def test_the_phones_files_fit_few_codes_that_a_decoder_reads_back() -> None:
    segno = pytest.importorskip("segno")
    zxingcpp = pytest.importorskip("zxingcpp", reason="缺少 zxing-cpp（pip install -e '.[test]'）")
    image = pytest.importorskip("PIL.Image", reason="缺少 pillow（pip install -e '.[test]'）")
    v = values()
    counts = {}
    for name in ("enrolment", "bundle", "cosigned_bundle"):
        parts = qrparts.encode(v[name].encode())
        counts[name] = len(parts)
        for part in parts:
            code = segno.make_qr(part, error="m", boost_error=False, mode="alphanumeric")
            assert code.version <= 25
            png = io.BytesIO()
            code.save(png, kind="png", scale=3, border=4)
            (read,) = zxingcpp.read_barcodes(image.open(io.BytesIO(png.getvalue())))
            assert read.text == part
        assert qrparts.decode(parts)[0].data == v[name].encode()
    assert counts == {"enrolment": 1, "bundle": 1, "cosigned_bundle": 1}
    # The largest part: a full chunk and its header make a code of version 25 exactly.
    widest = segno.make_qr("A" * MAX_PART_CHARS, error="m", boost_error=False, mode="alphanumeric")
    assert widest.version == 25


def test_too_large_a_file_has_no_codes() -> None:
    with pytest.raises(ValueError, match="超过 9 张"):
        qrparts.encode(_noise(CHUNK * MAX_PARTS * 5 // 8 + 1))
    with pytest.raises(ValueError, match=str(MAX_FILE_BYTES)):
        qrparts.encode(b"\n" * (MAX_FILE_BYTES + 1))
    with pytest.raises(ValueError):
        qrparts.encode(b"")
    assert len(qrparts.encode(b"\n" * MAX_FILE_BYTES)) == 1  # compresses to a few bytes
    # A stream that inflates past the limit (a few hundred bytes of DEFLATE) is refused as read.
    bomb = b"{" * (MAX_FILE_BYTES + 1)
    _refused([_part(1, 1, bomb, _b32(_deflate(bomb)))], f"超过 {MAX_FILE_BYTES} 字节", "第 1 个")


def test_a_part_cut_altered_or_missing_is_refused() -> None:
    data = _noise(3000)
    parts = qrparts.encode(data)
    assert len(parts) == 4
    _refused([*parts[:2], parts[3]], "缺第 3 张", "请扫描全部二维码")
    _refused([parts[0]], "共 4 张，缺第 2、3、4 张")
    _refused([*parts[:3], parts[3][:-5]], "二维码数据无效")  # a scan cut short
    flipped = parts[1][:-1] + ("A" if parts[1][-1] != "A" else "B")
    _refused([parts[0], flipped, *parts[2:]], "第 1、2、3、4 个")
    (small,) = qrparts.encode(b"small file\n")
    other = _part(1, 1, b"other", small.rsplit(":", 1)[1])  # another file's digest on this data
    _refused([other], "校验值不符")


def test_parts_are_put_together_by_number_and_renumbering_is_caught() -> None:
    data = _noise(1500)
    one, two = qrparts.encode(data)
    assert qrparts.decode([two, one])[0].data == data
    assert qrparts.decode([one, two, one])[0].data == data  # the same code scanned twice
    swapped = [
        one.replace(f"{PREFIX}1/2", f"{PREFIX}2/2"),
        two.replace(f"{PREFIX}2/2", f"{PREFIX}1/2"),
    ]
    message = _refused(swapped, "第 2、1 个")
    assert "数据无效" in message or "校验值不符" in message
    _refused([one, one.replace(f"{PREFIX}1/2", f"{PREFIX}1/3")], "张数却不同", "第 1 个")
    changed = one[:-1] + ("B" if one.endswith("A") else "A")
    _refused([one, changed, two], "内容却不同", "第 2 个", "第 1 个")


def test_several_files_may_be_scanned_together() -> None:
    a, b = _noise(1500, "a"), b"small file\n"
    a1, a2 = qrparts.encode(a)
    (b1,) = qrparts.encode(b)
    got = qrparts.decode([a2, b1, a1])
    assert [g.data for g in got] == [a, b]
    assert got[0].where.startswith("--qr-text 第 3、1 个")
    assert got[1].where.startswith("--qr-text 第 2 个")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", ["应以 GKQR1: 开头"]),
        ('{"dept":"scjg"}', ["U+007B"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6YTBOI'; rm -rf /", ["U+0027"]),
        ("GKQR1:1/1:0123456789ABCDEF:检查", ["U+68C0"]),
        ("<SCRIPT>", ["U+003C"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6YTBO\u0131", ["U+0131"]),  # ı, which upper-cases to I
        ("\u017fKQR1:1/1:0123456789ABCDEF:MZXW6YTBOI", ["U+017F"]),  # ſ, which upper-cases to S
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6Y TBOI", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW\u202eYTBOI", ["U+202E"]),
        ("HTTP://EXAMPLE.COM/", ["应以 GKQR1: 开头"]),
        ("GKQR1:0/1:0123456789ABCDEF:MZXW6YTBOI", ["格式不对"]),
        ("GKQR1:2/1:0123456789ABCDEF:MZXW6YTBOI", ["张号 2/1 无效"]),
        ("GKQR1:1/10:0123456789ABCDEF:MZXW6YTBOI", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDE:MZXW6YTBOI", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDEF:", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6YTBO1", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6YTBOI:MZ", ["格式不对"]),
        ("GKQR1:1/1:0123456789ABCDEF:" + "A" * (MAX_PART_CHARS), ["过长"]),
        ("GKQR1:1/1:0123456789ABCDEF:MZXW6YTBOI", ["数据无效"]),  # base32 of "foobar": no DEFLATE
    ],
)
def test_hostile_text_is_refused_naming_it(text: str, words: list[str]) -> None:
    _refused([qrparts.encode(b"ok\n")[0], text], "第 2 个", *words)


def test_only_one_exact_deflate_stream_in_canonical_base32() -> None:
    data = b'{"a":"b"}\n'
    raw = _deflate(data)
    assert qrparts.decode([_part(1, 1, data, _b32(raw))])[0].data == data
    _refused([_part(1, 1, data, _b32(raw + b"\x00"))], "数据无效")  # bytes after the stream
    _refused([_part(1, 1, data, _b32(raw[:-1]))], "数据无效")  # the stream cut short
    # Non-zero padding bits in the last character: the same bytes, another spelling.
    assert len(raw) * 8 % 5 != 0, "the last character has padding bits"
    text = _b32(raw)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    spelled = text[:-1] + alphabet[alphabet.index(text[-1]) | 1]
    assert spelled != text
    assert base64.b32decode(spelled + "=" * (-len(spelled) % 8)) == raw
    _refused([_part(1, 1, data, spelled)], "数据无效")
    # A zlib (not raw) stream is not accepted.
    _refused([_part(1, 1, data, _b32(zlib.compress(data)))], "数据无效")
