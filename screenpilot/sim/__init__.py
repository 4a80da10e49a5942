"""Stand-ins for what a CI machine cannot have: a phone and model weights.

Nothing here is a real device or a real model. It exists so that the tests, the examples and
the demos run without hardware and without downloading anything:

- a simulated Android phone (`phone.SimulatedPhone`) spoken to over adb's real wire protocol
  by a loopback adb server (`adb_server.FakeAdbServer`), so the real adb clients and the real
  `devices.android.AndroidDevice` drive it unchanged. The phone is split along its seams: how
  its shell splits a command line (`shell_words`), the commands that shell runs
  (`phone_commands`), its apps and what input does to them (`phone_apps`), and what its screen
  shows, as pixels and as a uiautomator tree (`phone_screen`);
- a tiny random Qwen3-VL with the real architecture, built offline (`tiny_qwen3vl`), that
  loads through the same code as a real checkpoint.
"""
