"""The agent: the loop (`loop.Agent`: `run` over `step()`), the observers at its seams
(`observers`: trajectory recorder, budgets, loop detection), the safety policy and guard
(`safety`), the HTML report (`report`), suites for `screenpilot eval` (`evaluation`) and the
assembly of device, runtime and policy from the names a person types (`assembly`)."""
