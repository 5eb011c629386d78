"""Policy QA assistant: cited, verbatim answers over Chinese S&T policy documents."""

from assistant.settings import Settings, configure_offline

configure_offline()

from assistant.pipeline import Assistant  # noqa: E402  (the offline environment must be set first)
from assistant.types import Answer, Citation  # noqa: E402

__all__ = ["Answer", "Assistant", "Citation", "Settings"]
