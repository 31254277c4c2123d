"""A clock tests set by hand, for code that takes ``clock=``."""


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
