"""The agent loop: observe, decide, guard, act, verify, record. Built by the agent issue;
nothing here yet."""
