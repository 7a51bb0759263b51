from tests.core.conftest import code, talk

__all__ = ["code", "talk"]
