"""Parsing uiautomator dumps, traps included, and raw screencap formats."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from screenpilot.devices.android import AndroidError, _decode_raw
from screenpilot.devices.uiautomator import UiDumpError, parse_dump, strip_dump
from screenpilot.perception.geometry import ScreenBox

SCREEN = ScreenBox(x1=0, y1=0, x2=1079, y2=2399)


def node(bounds: str, cls: str = "android.widget.TextView", **attrs: str) -> str:
    extra = " ".join(f'{k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<node class="{cls}" bounds="{bounds}" {extra}/>'


def dump(*nodes: str) -> str:
    inner = "".join(nodes)
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?><hierarchy rotation=\"0\">"
        f'<node class="android.widget.FrameLayout" bounds="[100,600][980,1500]">{inner}'
        "</node></hierarchy>UI hierchary dumped to: /dev/tty\r\n"
    )


def test_trailer_and_crlf_are_stripped_and_a_dialog_root_need_not_start_at_0_0() -> None:
    xml = strip_dump(
        dump(
            node("[140,700][940,800]", text="Delete file?"),
            node("[600,1300][940,1450]", "android.widget.Button", text="Delete", clickable="true"),
        )
    )
    elements = parse_dump(xml, SCREEN)
    assert [(e.role, e.name) for e in elements] == [("text", "Delete file?"), ("button", "Delete")]
    assert elements[1].box == ScreenBox(x1=600, y1=1300, x2=939, y2=1449)


def test_nodes_off_screen_are_clipped_or_dropped() -> None:
    elements = parse_dump(
        strip_dump(
            dump(
                node("[0,2300][1080,2600]", text="half off"),
                node("[0,2500][1080,2700]", text="wholly off"),
            )
        ),
        SCREEN,
    )
    assert [e.name for e in elements] == ["half off"]
    assert elements[0].box.y2 == 2399


def test_webview_content_is_left_to_ocr_and_switches_carry_state() -> None:
    elements = parse_dump(
        strip_dump(
            dump(
                node("[0,100][1080,2000]", "android.webkit.WebView", clickable="false"),
                node(
                    "[860,300][1020,500]",
                    "android.widget.Switch",
                    text="ON",
                    checkable="true",
                    checked="true",
                ),
            )
        ),
        SCREEN,
    )
    assert len(elements) == 1
    assert elements[0].role == "checkbox" and elements[0].checked is True


@pytest.mark.parametrize(
    "output",
    ["ERROR: could not get idle state.\n", "", "<?xml version='1.0' ?><hierarchy><node"],
)
def test_error_output_and_cut_dumps_are_dump_errors(output: str) -> None:
    with pytest.raises(UiDumpError, match="no UI tree"):
        strip_dump(output)


def test_invalid_xml_is_a_dump_error() -> None:
    with pytest.raises(UiDumpError, match="not valid XML"):
        parse_dump("<hierarchy><node bounds='[0,0][1,1]'></hierarchy>", SCREEN)


@pytest.mark.parametrize(
    ("fmt", "depth", "header", "layout"),
    [(1, 4, 16, "RGBA"), (2, 4, 12, "RGBA"), (3, 3, 12, "RGB"), (5, 4, 16, "BGRA")],
)
def test_raw_screencap_headers_and_pixel_formats(
    fmt: int, depth: int, header: int, layout: str
) -> None:
    pixels = np.arange(4 * 3 * depth, dtype=np.uint8)
    head = struct.pack("<III", 4, 3, fmt) + (b"\0\0\0\0" if header == 16 else b"")
    decoded, got = _decode_raw(head + pixels.tobytes())
    assert got == layout and decoded.shape == (3, 4, depth)
    assert decoded.ravel().tolist() == pixels.tolist()


def test_raw_screencap_that_is_cut_short_or_unknown_is_refused() -> None:
    with pytest.raises(AndroidError, match="cut short"):
        _decode_raw(struct.pack("<IIII", 4, 3, 1, 0) + b"\0" * 10)
    with pytest.raises(AndroidError, match="format 4"):
        _decode_raw(struct.pack("<IIII", 4, 3, 4, 0) + b"\0" * 24)
