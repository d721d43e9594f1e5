from __future__ import annotations

from kit.errors import Conflict, Forbidden, Invalid, NotFound


class DepartmentNotFound(NotFound):
    pass


class SystemNotFound(NotFound):
    pass


class UserNotFound(NotFound):
    pass


class DepartmentExists(Conflict):
    pass


class SystemExists(Conflict):
    pass


class UserExists(Conflict):
    pass


class InvalidDepartment(Invalid):
    pass


class InvalidSystem(Invalid):
    pass


class LoginFailed(Forbidden):
    status = 401
