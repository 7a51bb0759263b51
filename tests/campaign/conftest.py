from tests.core.conftest import talk

__all__ = ["talk"]
