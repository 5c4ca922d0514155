"""The sheet scan's shortcuts give what the passes they replace gave (reading.py).

``_XmlPatterns._area_narrow`` (row tags split, one search for a cell outside the expected
range) must return either nothing — the general pass then decides — or exactly the used area
``_area_fast`` finds; ``_inflate`` must unpack a member exactly as ``ZipFile.open`` does, in
chunks of at most ``CHUNK`` bytes, and a damaged member is refused as damaged."""

import io
import random
import zipfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cqo_registry.importing import reading
from cqo_registry.importing.reading import UnreadableFile, _XmlPatterns

LETTERS = st.sampled_from(["A", "B", "C", "K", "Z", "AA", "AB", "XFD", "a", ""])
NUMBERS = st.one_of(
    st.integers(min_value=1, max_value=30),
    st.integers(min_value=1, max_value=2_000_000),
    st.sampled_from([9, 10, 99, 100, 99_999, 100_000, 1_048_576]),
)


@st.composite
def cells(draw, row: int):
    letters = draw(LETTERS)
    number = draw(st.one_of(st.just(row), NUMBERS))
    ref = f"{letters}{number}"
    if draw(st.integers(0, 9)) == 0:
        ref = f"{letters}0{number}"  # a leading zero: more digits than the number has
    shape = draw(st.integers(0, 11))
    if shape == 0:
        return f'<c s="1" r="{ref}"><v>1</v></c>'  # reference not first
    if shape == 1:
        return "<c><v>1</v></c>"  # no attributes at all
    if shape == 2:
        return f'<c r="{ref}"/>'
    return f'<c r="{ref}" t="inlineStr"><is><t>文本</t></is></c>'


@st.composite
def sheet_xml(draw):
    rows = []
    numbers = draw(st.lists(NUMBERS, min_size=0, max_size=12))
    if draw(st.booleans()):
        numbers.sort()
    for number in numbers:
        shape = draw(st.integers(0, 12))
        if shape == 0:
            tag = "<row>"
        elif shape == 1:
            tag = f'<row spans="1:3" r="{number}">'
        elif shape == 2:
            tag = f'<row r="{number}x">'
        else:
            tag = f'<row r="{number}">'
        content = "".join(draw(st.lists(cells(number), max_size=5)))
        rows.append(f"{tag}{content}</row>")
    return "".join(rows).encode()


@settings(max_examples=400, deadline=None)
@given(
    xml=sheet_xml(),
    widest=st.sampled_from([0, 1, 3, 11, 26, 27, 16384]),
    limit=st.sampled_from([100, 2_000_000, 10**12]),
)
def test_narrow_area_is_the_fast_area_or_nothing(xml, widest, limit):
    patterns = _XmlPatterns(b"")
    cells = xml.count(patterns.cell_open)
    narrow = patterns._area_narrow(xml, cells, widest, limit)
    if narrow is None:
        return
    column, row = patterns._area_fast(xml, cells, widest, limit)
    assert narrow == (max(column, widest), row)
    assert patterns.bare_cell not in xml  # an answer also says there is no <c> to count


def test_narrow_area_takes_a_registry_file():
    """The shortcut applies to what Excel and openpyxl write: refs first, rows in order."""
    rows = [
        f'<row r="{n}">' + "".join(f'<c r="{c}{n}"><v>1</v></c>' for c in "ABCDEFGHIJK") + "</row>"
        for n in range(1, 2001)
    ]
    xml = "".join(rows).encode()
    patterns = _XmlPatterns(b"")
    cells = xml.count(patterns.cell_open)
    assert patterns._area_narrow(xml, cells, 0, 2_000_000) == (11, 2000)
    # a cell beyond the widest column or the last row's digits: left to the general pass
    wider = xml.replace(b'<c r="K1000">', b'<c r="L1000">')
    assert patterns._area_narrow(wider, cells, 0, 2_000_000) is None
    assert patterns._area_fast(wider, cells, 0, 2_000_000) == (12, 2000)
    far = xml.replace(b'<c r="K2000">', b'<c r="K20000">')
    assert patterns._area_narrow(far, cells, 0, 2_000_000) is None
    assert patterns._area_fast(far, cells, 0, 2_000_000) == (11, 20000)


def _zip(members: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("size", [0, 1, 999, 1000, 1001, 54_321])
def test_member_chunks_unpack_as_zipfile_does(monkeypatch, method, size):
    monkeypatch.setattr(reading, "CHUNK", 1000)
    rng = random.Random(size)
    content = bytes(rng.choice(b'<c r="A1"/>0123456789') for _ in range(size))
    data = _zip({"other.xml": b"x" * 100, "part.xml": content}, method)
    archive = zipfile.ZipFile(io.BytesIO(data))
    with reading._member_chunks(archive, "part.xml", data) as chunks:
        pieces = list(chunks)
    assert b"".join(pieces) == content == archive.read("part.xml")
    assert all(0 < len(piece) <= 1000 for piece in pieces)


def test_damaged_sheet_is_refused_as_damaged():
    """A truncated member stops the unpacking; a damaged deflate stream (or one whose CRC no
    longer matches: the parser checks it) is refused with the user's message, never a
    library's exception."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for n in range(3000):
        sheet.append([f"91340100{n:010d}", f"企业{n}", "城关镇"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    archive = zipfile.ZipFile(io.BytesIO(data))
    info = archive.getinfo("xl/worksheets/sheet1.xml")
    with reading._member_chunks(archive, info.filename, data[: info.header_offset + 200]) as chunks:
        with pytest.raises(EOFError):
            list(chunks)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for step in (3, 7, 101):
        damaged = bytearray(data)
        for offset in range(info.compress_size // 3, info.compress_size, step):
            damaged[start + offset] ^= 0x55
        with pytest.raises(UnreadableFile) as refused:
            reading.read_workbook(bytes(damaged), filename="damaged.xlsx")
        # Damaged, or — when the garbage it unpacks to looks like a far cell — too big.
        limits = reading.ReadLimits.from_settings()
        assert str(refused.value) in (
            reading._damaged_message(),
            reading._cells_message(limits),
            reading._unpacked_message(limits),
        )


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from(["<f>", "f", "<", "<c>", "x:", "<x:f", "ff", "<v>"]), max_size=90
    ),
    prefix=st.sampled_from([b"", b"x:"]),
)
def test_formula_hint_is_the_plain_search(pieces, prefix):
    xml = "".join(pieces).encode()
    patterns = _XmlPatterns(prefix)
    assert patterns._holds_formula(xml) == (patterns.formula_hint in xml)
