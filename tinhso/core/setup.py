"""Init and demo steps of the core app: the role groups, and the demo administrator."""

from tinhso.core import roles
from tinhso.core.demo_accounts import demo_url, ensure_account


def init(out=print) -> None:
    roles.ensure_groups(out)


def load_demo(out=print) -> None:
    _, password = ensure_account("admin", groups=(roles.ADMINISTRATOR,), full_name="Quản trị demo")
    out(f"Demo {roles.ADMINISTRATOR}: admin / {password}  (users, groups, memberships, every table)  →  "
        f"{demo_url('/admin/')}")
