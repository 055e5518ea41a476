"""The exceptions crossq raises: the C++ core's crossq::Error with its message, hint and exit status."""


class Error(RuntimeError):
    """An error crossq reports: ``message`` says what went wrong, ``hint`` how to fix it,
    ``exit_code`` is the status ``crossq`` exits with for the same error (1 runtime or I/O,
    2 bad input, 3 diverged, 130/143 interrupted)."""

    def __init__(self, message, hint="", exit_code=1):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self):
        # the CLI's two lines: "crossq: <message>" and "  fix: <hint>"
        return self.message + (f"\n  fix: {self.hint}" if self.hint else "")

    def __reduce__(self):
        return (type(self), (self.message, self.hint, self.exit_code))


class UsageError(Error, ValueError):
    """Bad input: a setting, name, shape or value crossq refuses (exit status 2 on the CLI)."""

    def __init__(self, message, hint="", exit_code=2):
        super().__init__(message, hint, exit_code)


# tracebacks name them as users import them
Error.__module__ = UsageError.__module__ = "crossq"
