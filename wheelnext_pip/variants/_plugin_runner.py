"""Query one variant provider plugin: run as ``<provider venv python> -I _plugin_runner.py``.

This file is executed by path inside the provider's own virtual environment, never imported by
pip's process. It must use the standard library only and run on every Python the project
supports.

Protocol (one request per process):

- stdin: ``{"plugin_api": "module:obj.path", "namespace": "ns"}`` (UTF-8 JSON)
- success: exit 0, stdout ``[{"name": str, "values": [str, ...], "multi_value": bool}, ...]``
- failure: exit 1, a traceback and then one last line ``error: <summary>`` on stderr

Whatever the plugin itself writes to stdout (Python or C level) is sent to stderr so that it
cannot corrupt the answer. The answer is not validated here: the caller checks every name and
value against the property grammar.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import traceback
from collections.abc import Iterable, Mapping
from typing import Any, Callable

ERROR_PREFIX = "error: "
_SCALARS = (str, int, float, bool)


class RunnerError(Exception):
    """A problem with the plugin's shape (as opposed to an exception raised by its code)."""


def _resolve(plugin_api: str) -> Any:
    """Import the module, then follow the object path with ``getattr``."""
    module_name, _, object_path = plugin_api.partition(":")
    endpoint: Any = importlib.import_module(module_name.strip())
    for part in object_path.strip().split(".") if object_path.strip() else ():
        endpoint = getattr(endpoint, part)
    return endpoint


def _callable_without_arguments(function: Callable[..., Any]) -> bool:
    try:
        inspect.signature(function).bind()
    except TypeError:
        return False
    except ValueError:  # no signature available: just try it
        return True
    return True


def _supported_configs(endpoint: Any, plugin_api: str) -> Any:
    """Call ``get_supported_configs()``; legacy plugins: ``Cls().get_supported_configs(None)``."""
    method = getattr(endpoint, "get_supported_configs", None)
    if not callable(method):
        raise RunnerError(f"{plugin_api} has no get_supported_configs()")
    if _callable_without_arguments(method):
        return method()
    if not inspect.isclass(endpoint):
        raise RunnerError(f"{plugin_api}.get_supported_configs() needs arguments")
    # Legacy API (variantlib 0.0.x): an instance method taking the known properties.
    instance: Any = endpoint()
    bound = instance.get_supported_configs
    if _callable_without_arguments(bound):
        return bound()
    return bound(None)


def _jsonable(value: object) -> object:
    return value if value is None or isinstance(value, _SCALARS) else repr(value)


def _field(item: object, name: str) -> object:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def _convert(configs: object) -> list[dict[str, object]]:
    if isinstance(configs, (str, bytes, Mapping)) or not isinstance(configs, Iterable):
        raise RunnerError(f"get_supported_configs() returned {type(configs).__name__}, not a list")
    features: list[dict[str, object]] = []
    for item in configs:
        values = _field(item, "values")
        if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
            shown_values: object = _jsonable(values)
        else:
            shown_values = [_jsonable(value) for value in values]
        features.append(
            {
                "name": _jsonable(_field(item, "name")),
                "values": shown_values,
                "multi_value": bool(_field(item, "multi_value")),
            }
        )
    return features


def _query(request: Mapping[str, object]) -> list[dict[str, object]]:
    plugin_api = request.get("plugin_api")
    namespace = request.get("namespace")
    if not isinstance(plugin_api, str) or not isinstance(namespace, str):
        raise RunnerError("the request needs the strings plugin_api and namespace")
    endpoint = _resolve(plugin_api)
    declared = getattr(endpoint, "namespace", None)
    if isinstance(declared, str) and declared != namespace:
        raise RunnerError(f"{plugin_api} is the provider of {declared!r}, not of {namespace!r}")
    return _convert(_supported_configs(endpoint, plugin_api))


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]


def main() -> int:
    # Keep the real stdout for the answer; anything else written to fd 1 goes to stderr.
    sys.stdout.flush()
    answer_fd = os.dup(1)
    os.dup2(2, 1)
    try:
        request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        if not isinstance(request, dict):
            raise RunnerError("the request is not a JSON object")
        answer = json.dumps(_query(request), ensure_ascii=True)
    except BaseException as error:  # report everything, including SystemExit from a plugin
        traceback.print_exc()
        summary = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        sys.stdout.flush()
        sys.stderr.write(ERROR_PREFIX + _one_line(summary) + "\n")
        sys.stderr.flush()
        return 1
    sys.stdout.flush()
    with os.fdopen(answer_fd, "w", encoding="utf-8") as out:
        out.write(answer + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
