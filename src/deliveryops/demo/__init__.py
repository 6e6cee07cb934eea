"""The demo organisation: `deliveryops demo` builds it through the real services."""

from deliveryops.demo.builder import DemoLogin, DemoResult, build_demo

__all__ = ["DemoLogin", "DemoResult", "build_demo"]
