"""Demo step of the core app: the admin account printed on the console."""

from tinhso.core.demo_accounts import demo_url, ensure_account


def load_demo(out=print) -> None:
    _, password = ensure_account("admin", superuser=True, full_name="Quản trị demo")
    out(f"Demo admin / Tài khoản quản trị demo: admin / {password}  →  {demo_url('/admin/')}")
