"""The devices the agent drives, the only place that imports a hardware library. `protocol`
is the `Device` protocol every device meets (a context manager: screenshot, elements, input,
close). `desktop` is an X desktop: mss capture, pyautogui/xdotool input, xclip paste, with its
accessibility tree (`atspi`, `a11y_bus`, `a11y_windows`, `x11_windows`), and
`virtual_display` is a private Xvfb session. `android` is a phone behind adb (`adb`, the only
ppadb import; `uiautomator` dumps; `phone_shell` quoting)."""
