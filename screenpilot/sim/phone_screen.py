"""What the simulated phone's screen shows: its pixels (drawn with Pillow) and its uiautomator
tree, both made from the apps' views (`phone_apps.PhoneApps.nodes`).

The two differ the way they do on a phone: the tree stops above the navigation bar that the
pixels still show, and a WebView's content is in the pixels only.
"""

from __future__ import annotations

from functools import cache
from xml.sax.saxutils import quoteattr

from PIL import Image, ImageDraw, ImageFont

from screenpilot.sim.phone_apps import LAUNCHER, NAV_BAR, NOTES, STATUS_BAR, Node, PhoneApps


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def render(apps: PhoneApps) -> Image.Image:
    """The display at its physical size: status bar, the current app's views, navigation bar."""
    image = Image.new("RGB", (apps.width, apps.height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, apps.width, STATUS_BAR), fill=(32, 33, 36))
    draw.text((40, 18), "12:00", font=_font(40), fill="white")
    draw.text((apps.width - 160, 18), "100%", font=_font(40), fill="white")
    nav = apps.height - NAV_BAR
    draw.rectangle((0, nav, apps.width, apps.height), fill=(32, 33, 36))
    for cx, shape in ((270, "back"), (540, "home"), (810, "recent")):
        cy = nav + NAV_BAR // 2
        if shape == "home":
            draw.ellipse((cx - 28, cy - 28, cx + 28, cy + 28), outline="white", width=5)
        elif shape == "recent":
            draw.rectangle((cx - 24, cy - 24, cx + 24, cy + 24), outline="white", width=5)
        else:
            draw.polygon([(cx + 24, cy - 28), (cx + 24, cy + 28), (cx - 24, cy)], fill="white")
    for node in apps.nodes():
        _draw(draw, node, apps.width)
    return image


def _draw(draw: ImageDraw.ImageDraw, node: Node, width: int) -> None:
    left, top, right, bottom = node.bounds
    cls = node.cls.rsplit(".", 1)[-1]
    if cls == "EditText":
        draw.rounded_rectangle(
            node.bounds,
            radius=16,
            outline=(26, 115, 232) if node.focused else (150, 150, 150),
            width=4,
            fill="white",
        )
        empty = node.text in ("Username", "Password")
        draw.text(
            (left + 30, top + 40),
            node.text,
            font=_font(52),
            fill=(150, 150, 150) if empty else (20, 20, 20),
        )
    elif cls == "Button":
        draw.rounded_rectangle(node.bounds, radius=24, fill=(26, 115, 232))
        draw.text(
            ((left + right) // 2, (top + bottom) // 2),
            node.text,
            font=_font(54),
            fill="white",
            anchor="mm",
        )
    elif cls == "Switch":
        cy, on = (top + bottom) // 2, node.checked
        draw.rounded_rectangle(
            (left + 20, cy - 30, right - 20, cy + 30),
            radius=30,
            fill=(26, 115, 232) if on else (189, 193, 198),
        )
        knob = right - 70 if on else left + 70
        draw.ellipse(
            (knob - 40, cy - 40, knob + 40, cy + 40),
            fill="white",
            outline=(120, 120, 120),
            width=2,
        )
    elif cls == "WebView":
        draw.rectangle(node.bounds, outline=(150, 150, 150), width=4, fill="white")
        lines = (node.text or "").split("\n")
        draw.text((left + 30, top + 45), lines[-1], font=_font(56), fill=(20, 20, 20))
    elif cls == "TextView" and node.text:
        size = 64 if node.text in ("Sign in", "Settings", "Notes") and top < 400 else 52
        draw.text(
            (left, (top + bottom) // 2),
            node.text,
            font=_font(size),
            fill=(20, 20, 20),
            anchor="lm",
        )
    elif cls == "LinearLayout":
        draw.line((0, bottom - 1, width, bottom - 1), fill=(225, 225, 225), width=2)


def ui_dump(apps: PhoneApps, override: tuple[int, int] | None = None) -> str:
    """The uiautomator XML of the current screen (without the trailer `uiautomator dump`
    prints after it); bounds are in the `wm size` override's frame when there is one."""
    sx = sy = 1.0
    if override is not None:
        sx, sy = override[0] / apps.width, override[1] / apps.height
    app = LAUNCHER if apps.recents else apps.stack[-1]

    def attrs(node: Node, index: int) -> str:
        left, top, right, bottom = node.bounds
        box = f"[{round(left * sx)},{round(top * sy)}][{round(right * sx)},{round(bottom * sy)}]"
        values = {
            "index": str(index),
            "text": node.text,
            "resource-id": node.rid,
            "class": node.cls,
            "package": app,
            "content-desc": node.desc,
            "checkable": node.checkable,
            "checked": node.checked,
            "clickable": node.clickable,
            "enabled": True,
            "focusable": node.focusable,
            "focused": node.focused,
            "scrollable": node.scrollable,
            "long-clickable": False,
            "password": node.password,
            "selected": False,
            "bounds": box,
        }
        return " ".join(
            f"{k}={quoteattr(str(v).lower() if isinstance(v, bool) else str(v))}"
            for k, v in values.items()
        )

    if app == NOTES:  # a WebView's content is not in the tree
        children: list[Node] = []
        webview = [
            Node("android.webkit.WebView", (0, STATUS_BAR, apps.width, apps.height - NAV_BAR))
        ]
    else:
        children = apps.nodes()
        webview = []
    # The tree stops above the navigation bar, which the screenshot still shows.
    root = Node("android.widget.FrameLayout", (0, 0, apps.width, apps.height - NAV_BAR))
    inner = "".join(f"<node {attrs(n, i)} />" for i, n in enumerate(children))
    inner += "".join(f"<node {attrs(n, len(children))} />" for n in webview)
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
        f'<hierarchy rotation="0"><node {attrs(root, 0)}>{inner}</node></hierarchy>'
    )
