"""placeholder"""

COMMANDS: list[object] = []
