#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the desktop tests and the demo use, if any is missing:
# a virtual X server and window manager, xdotool/xclip, Tk and GTK 3 for the example forms,
# AT-SPI (pyatspi) for accessibility trees, Chromium, fonts that cover CJK text, and the adb
# command-line client (the fake adb server is checked against it), mksh (Android's shell: quoting
# for the phone is checked against it), and the real programs of the
# real-program suite (examples/suites/real_apps.yaml): yad, zenity, mousepad,
# galculator, xterm, and PyQt5 for a Qt form.
set -euo pipefail
packages=(
  xvfb openbox xdotool xclip x11-utils dbus dbus-x11
  python3 python3-tk python3-gi gir1.2-gtk-3.0 libgtk-3-bin
  python3-pyatspi gir1.2-atspi-2.0 at-spi2-core
  chromium fonts-dejavu-core fonts-noto-cjk adb mksh
  yad zenity mousepad galculator xterm python3-pyqt5
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing Debian packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
