"""The agent loop: observe, decide, guard, act, verify, record (`loop.Agent`), with the
safety policy (`safety`), the trajectory (`trajectory`) and the HTML report (`report`)."""
